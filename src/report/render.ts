/**
 * Rendering a report: deterministic JSON (fixed rounding, key order as built), the time-series CSV
 * and the summary table a person reads in a terminal.
 */
import {PRIORITIES} from '../workload/types.js'
import {renderAutoscalingSummary} from './autoscaling-render.js'
import type {BandFigure, ReportBand} from './band.js'
import type {LatencyBlock, SimulationReport} from './report.js'
import type {QuantileSummary} from '../sim/metrics.js'
import {humanSeconds} from '../util/duration.js'

/** Round to 6 significant digits (integers stay exact); NaN and ±Infinity become null. */
export function roundNumber(x: number): number | null {
  if (!Number.isFinite(x)) return null
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x
  const r = Number(x.toPrecision(6))
  return Object.is(r, -0) ? 0 : r
}

function roundDeep(value: unknown): unknown {
  if (typeof value === 'number') return roundNumber(value)
  if (Array.isArray(value)) return value.map(roundDeep)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = roundDeep(v)
    return out
  }
  return value
}

/** The report with every number rounded as report.json has it. */
export function roundedReport(report: SimulationReport): SimulationReport {
  return roundDeep(report) as SimulationReport
}

/** report.json: two-space indented, rounded, newline-terminated. */
export function renderReportJson(report: SimulationReport): string {
  return `${JSON.stringify(roundDeep(report), null, 2)}\n`
}

function csvNumber(x: number): string {
  const r = roundNumber(x)
  return r === null ? '' : String(r)
}

/** timeseries.csv: one row per sample interval; the header names the columns. */
export function renderTimeSeriesCsv(columns: readonly string[], flatRows: readonly number[]): string {
  const lines = [columns.join(',')]
  const w = columns.length
  for (let i = 0; i + w <= flatRows.length; i += w) {
    const row: string[] = []
    for (let j = 0; j < w; j++) row.push(csvNumber(flatRows[i + j]))
    lines.push(row.join(','))
  }
  return `${lines.join('\n')}\n`
}

const sec = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-'
  return humanSeconds(x)
}
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`)
const num = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', {maximumFractionDigits: 2}))
const usd = (x: number | null): string => (x === null ? '-' : `$${x.toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2})}`)

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)]
}

function latencyRow(label: string, q: QuantileSummary | null): string[] {
  return [label, q ? num(q.count) : '0', sec(q?.meanS), sec(q?.p50S), sec(q?.p90S), sec(q?.p95S), sec(q?.p99S), sec(q?.maxS)]
}

/** The summary a person reads: totals, latency quantiles, pools, cost and SLO verdicts. */
export function renderSummary(report: SimulationReport): string {
  const out: string[] = []
  const s = report.scenario
  const t = report.tasks
  out.push(`Scenario ${s.name}  (seed ${s.seed}, ${num(s.durationS)} s of arrivals, last call done at ${num(Math.round(report.run.endS))} s)`)
  out.push(
    `Tasks: ${num(t.arrived)} arrived, ${num(t.completed)} completed, ${num(t.failed)} failed (error rate ${pct(t.errorRate)}: ` +
      `${num(t.droppedDeadline)} past deadline, ${num(t.rejectedQueueFull)} queue full, ${num(t.rejectedTooLarge)} too large` +
      `${t.unserved > 0 ? `, ${num(t.unserved)} never served` : ''}${t.lostOnFailure > 0 ? `, ${num(t.lostOnFailure)} lost to failures` : ''}` +
      `${t.rejectedOverload > 0 ? `, ${num(t.rejectedOverload)} rejected: overloaded` : ''})`,
  )
  const ov = report.overload
  if (ov !== undefined) {
    out.push(
      `OVERLOADED: the fleet cannot keep up. Its queue reached ${num(ov.queueLimit)} waiting calls at ${num(Math.round(ov.firstAtS))} s; ` +
        `${num(ov.rejectedTasks)} tasks (${pct(ov.rejectedShare)} of arrivals) were rejected after that. Add replicas, or size the fleet with \`fleetcap plan\`.`,
    )
  }
  out.push('')
  const o: LatencyBlock = report.latency.overall
  const rows = [
    latencyRow('queue wait', o.queueWaitS),
    ...(o.ttftS ? [latencyRow('TTFT', o.ttftS)] : []),
    ...(o.tpotS ? [latencyRow('TPOT', o.tpotS)] : []),
    latencyRow('call e2e', o.e2eS),
    latencyRow('task e2e', o.taskE2eS),
  ]
  for (const p of PRIORITIES) {
    const b = report.latency.byPriority[p]
    if (b.taskE2eS && b.taskE2eS.count > 0 && b.taskE2eS.count !== o.taskE2eS?.count) rows.push(latencyRow(`task e2e: ${p}`, b.taskE2eS))
  }
  out.push(...table(['latency', 'count', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'], rows))
  out.push('')
  const th = report.throughput
  out.push(
    `Throughput: ${th.tasksPerS.toFixed(3)} tasks/s, ${th.callsPerS.toFixed(3)} calls/s` +
      (th.outputTokensPerS > 0 ? `, ${num(Math.round(th.outputTokensPerS))} output tokens/s` : '') +
      `; queue depth peak ${num(report.queue.peakDepth)}, mean ${report.queue.meanDepth.toFixed(2)}`,
  )
  for (const p of report.pools) {
    if (p.preemptions === undefined || p.preemptions.count === 0) continue
    out.push(`Preemptions, pool ${p.name}: ${num(p.preemptions.count)} sequences evicted from a full KV cache, ${num(Math.round(p.preemptions.recomputedTokens))} tokens computed again`)
  }
  for (const p of report.pools) {
    if (p.prefixCache === undefined) continue
    const pc = p.prefixCache
    out.push(`Prefix cache, pool ${p.name}: ${pct(pc.hitRate)} of prompt tokens served from cache (${num(Math.round(pc.hitTokens))} of ${num(p.inputTokens)}); ${num(pc.evictions)} cached contexts evicted before their next call`)
  }
  out.push('')
  out.push(
    ...table(
      ['pool', 'gpu', 'model', 'replicas', 'GPUs', 'util', 'KV', 'batch', 'calls', 'GPU-h', 'cost'],
      report.pools.map((p) => [
        p.name,
        p.gpu ?? '-',
        p.model ?? '-',
        num(p.replicas),
        num(p.replicas * p.gpusPerReplica),
        pct(p.utilization),
        pct(p.kvOccupancy),
        p.meanInFlightPerReplica.toFixed(1),
        num(p.callsServed),
        p.gpuHours.toFixed(1),
        usd(p.costUsd),
      ]),
    ),
  )
  out.push('util: busy share of replica time; KV: mean share of the KV cache reserved; batch: mean calls in flight per replica.')
  out.push('')
  const c = report.cost
  out.push(`Cost: ${c.gpuHours.toFixed(1)} GPU-hours, ${usd(c.costUsd)}, ${usd(c.costPer1000TasksUsd)} per 1,000 tasks`)
  if (report.slo.checks.length > 0) {
    out.push('')
    out.push(
      ...table(
        ['SLO', 'target', 'actual', 'within target', 'result'],
        report.slo.checks.map((k) => [
          k.objective,
          k.objective === 'error rate' ? pct(k.target) : sec(k.target),
          k.objective === 'error rate' ? pct(k.actual) : sec(k.actual),
          k.attainment === null ? '-' : pct(k.attainment),
          k.pass ? 'PASS' : 'FAIL',
        ]),
      ),
    )
    out.push(`SLO: ${report.slo.pass ? 'PASS' : 'FAIL'}`)
  }
  if (report.band !== undefined) out.push('', ...renderBand(report.band))
  if (report.autoscaling !== undefined) out.push(...renderAutoscalingSummary(report.autoscaling))
  return `${out.join('\n')}\n`
}

function bandValue(f: BandFigure, x: number | null): string {
  if (x === null) return '-'
  if (f.unit === 's') return sec(x)
  if (f.unit === 'fraction') return pct(x)
  if (f.unit === 'USD') return usd(x)
  if (f.unit === 'GPU-h') return x.toFixed(1)
  return x >= 100 ? num(Math.round(x)) : x.toFixed(3)
}

/** The band block: each headline figure at the nominal step times and at both edges, then what each pool's band rests on. */
export function renderBand(band: ReportBand): string[] {
  const out: string[] = []
  out.push(`Band (${pct(band.coverage)} nominal coverage): every LLM pool re-run at its step-time band's edges, same seed and arrivals`)
  const rows = band.figures
    .filter((f) => f.nominal !== null)
    .map((f) => {
      const lo = f.atFast === null || f.atSlow === null ? null : Math.min(f.atFast, f.atSlow)
      const hi = f.atFast === null || f.atSlow === null ? null : Math.max(f.atFast, f.atSlow)
      return [f.figure, bandValue(f, f.nominal), lo === null ? '-' : `${bandValue(f, lo)} – ${bandValue(f, hi)}`, bandValue(f, f.atFast), bandValue(f, f.atSlow)]
    })
  if (band.slo) {
    const v = (x: boolean) => (x ? 'PASS' : 'FAIL')
    rows.push(['SLO', v(band.slo.nominal), band.slo.atFast === band.slo.atSlow ? v(band.slo.atSlow) : 'PASS – FAIL', v(band.slo.atFast), v(band.slo.atSlow)])
  }
  out.push(...table(['figure', 'nominal', 'band', 'fast edge', 'slow edge'], rows))
  for (const p of band.pools) {
    out.push(`  ${p.pool} (${p.profile ?? '-'}): ${p.status}, step times ×${p.fast.toFixed(2)}–×${p.slow.toFixed(2)} (${pct(p.coverage)}: ${p.basis}); ${p.statusBasis}`)
  }
  return out
}
