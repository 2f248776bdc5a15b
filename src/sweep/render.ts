/** The sweep's tables for a terminal: the cells (means over seeds), the Pareto front, main effects. */
import {roundNumber} from '../report/render.js'
import type {SweepSummary} from './summary.js'

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd()
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n'
}

export function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-'
  const r = roundNumber(x) as number
  if (Number.isInteger(r)) return r.toLocaleString('en-US')
  return Math.abs(r) >= 100 ? r.toFixed(1) : String(Number(r.toPrecision(4)))
}

/** Render the summary: at most `maxCells` cell rows (the Pareto front is always listed in full). */
export function renderSweepSummary(s: SweepSummary, maxCells = 40): string {
  const factors = s.factors
  const header = ['cell', ...factors, ...s.metrics]
  const row = (c: SweepSummary['cellMeans'][number]): string[] => [String(c.cell), ...factors.map((f) => fv(c.factors[f])), ...s.metrics.map((m) => num(c.means[m]))]
  let out = `Sweep ${s.name}  (${s.design}, ${s.cells} cells × ${s.seedsPerCell} seed${s.seedsPerCell === 1 ? '' : 's'}; means over seeds)\n\n`
  out += table(header, s.cellMeans.slice(0, maxCells).map(row))
  if (s.cellMeans.length > maxCells) out += `… ${s.cellMeans.length - maxCells} more cells in summary.json\n`
  const front = new Set(s.pareto.cells)
  out += `\nPareto front: ${s.pareto.cost} against ${s.pareto.latency} (${front.size} of ${s.cellMeans.length} cells)\n\n`
  out += table(header, s.cellMeans.filter((c) => front.has(c.cell)).sort((a, b) => s.pareto.cells.indexOf(a.cell) - s.pareto.cells.indexOf(b.cell)).map(row))
  out += '\nSensitivity (main effects: the metric\'s mean at each level of a factor; range = largest − smallest)\n\n'
  out += table(
    ['metric', 'factor', 'range', 'mean by level'],
    s.sensitivity.map((e) => [e.metric, e.factor, num(e.range), e.levels.map(([l, m]) => `${l}: ${num(m)}`).join(', ')]),
  )
  return out
}

function fv(v: unknown): string {
  return typeof v === 'number' ? num(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)
}

/** "What each strategy costs and saves": each strategy's cost and service, and its saving against the fixed fleet and the HPA. */
export function renderStrategies(c: import('./strategies.js').StrategyComparison): string {
  const by = (s: string) => c.rows.find((r) => r.strategy === s)?.metrics.costUsd ?? null
  const fixed = by('fixed')
  const hpa = by('hpa')
  const saving = (cost: number | null, ref: number | null): string =>
    cost === null || ref === null || ref === 0 ? '-' : `${num(ref - cost)} (${((100 * (ref - cost)) / ref).toFixed(1)}%)`
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(2)}%`)
  let out = `What each strategy costs and saves: ${c.scenario}, pool ${c.pool}, seed ${c.seed} (same traffic for all)\n\n`
  out += table(
    ['strategy', 'cost $', 'saves vs fixed $', 'saves vs HPA $', 'GPU-h', 'SLO attainment', 'SLO', 'TTFT p95 s', 'errors', 'cold starts', 'peak replicas'],
    c.rows.map((r) => [
      r.strategy,
      num(r.metrics.costUsd),
      saving(r.metrics.costUsd, fixed),
      saving(r.metrics.costUsd, hpa),
      num(r.metrics.gpuHours),
      pct(r.metrics.sloAttainment),
      r.metrics.sloPass === null ? '-' : r.metrics.sloPass === 1 ? 'PASS' : 'FAIL',
      num(r.metrics.ttftP95S),
      pct(r.metrics.errorRate),
      num(r.metrics.coldStarts),
      num(r.metrics.peakReplicas),
    ]),
  )
  out += '\n' + c.rows.map((r) => `${r.strategy}: ${r.setup}`).join('\n') + '\n'
  out += `predictive floors by hour (forecast: the HPA's hourly peak on another day): ${c.forecastFloors.map(([, n]) => n).join(' ')}\n`
  return out
}
