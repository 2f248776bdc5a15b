/**
 * What a sweep found: each cell's metrics averaged over its seeds, the Pareto front of cost against
 * a latency metric (cells no other cell beats on both), and the sensitivity of each SLO metric to
 * each factor as main effects: the metric's mean at each level of the factor (averaged over all
 * other factors), and the range of those means. A range factor of a random or LHS design is cut
 * into equal-count bins to give it levels.
 */
import type {FactorValue} from './design.js'
import type {ResultRow} from './cell.js'
import {factorName} from './cell.js'
import {HIGHER_IS_BETTER, LATENCY_METRICS, type MetricName, SLO_METRICS} from './metrics.js'
import type {SweepSpec} from './spec.js'

export interface CellMean {
  cell: number
  factors: Record<string, FactorValue>
  /** Runs (seeds) averaged. */
  runs: number
  means: Record<string, number | null>
}

export interface MainEffect {
  factor: string
  metric: string
  /** [level, mean of the metric over the cells at that level, cells] */
  levels: [string, number | null, number][]
  /** Largest level mean minus smallest: how much the metric moves across the factor. */
  range: number | null
}

export interface SweepSummary {
  apiVersion: 'fleetcap.dev/v1'
  kind: 'SweepSummary'
  name: string
  design: SweepSpec['design']
  cells: number
  seedsPerCell: number
  /** Factor names, in the spec's order. */
  factors: string[]
  metrics: string[]
  cellMeans: CellMean[]
  pareto: {cost: string; latency: string; cells: number[]}
  sensitivity: MainEffect[]
}

const mean = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length
}

/** Rows sorted by cell and run → the per-cell means. */
export function cellMeans(rows: readonly ResultRow[], metrics: readonly string[]): CellMean[] {
  const out: CellMean[] = []
  let i = 0
  while (i < rows.length) {
    let j = i
    while (j < rows.length && rows[j].cell === rows[i].cell) j++
    const group = rows.slice(i, j)
    const means: Record<string, number | null> = {}
    for (const m of metrics) means[m] = mean(group.map((r) => r.metrics[m] ?? null))
    out.push({cell: rows[i].cell, factors: rows[i].factors, runs: group.length, means})
    i = j
  }
  return out
}

/** Cells on the Pareto front of (cost, latency), both minimised, in cost order. */
export function paretoFront(cells: readonly CellMean[], cost: string, latency: string): number[] {
  const pts = cells
    .filter((c) => c.means[cost] !== null && c.means[latency] !== null)
    .map((c) => ({cell: c.cell, x: c.means[cost] as number, y: c.means[latency] as number}))
    .sort((a, b) => a.x - b.x || a.y - b.y || a.cell - b.cell)
  const front: number[] = []
  let best = Number.POSITIVE_INFINITY
  for (const p of pts) {
    if (p.y < best) {
      front.push(p.cell)
      best = p.y
    }
  }
  return front
}

/** Main effect of each factor on each metric. */
export function mainEffects(cells: readonly CellMean[], spec: SweepSpec, metrics: readonly string[]): MainEffect[] {
  const out: MainEffect[] = []
  for (const f of spec.factors) {
    const name = factorName(f)
    const levelOf = levelFunction(cells.map((c) => c.factors[name]), f.range !== undefined)
    // Levels in order: the spec's list order, or a range's bins from low to high.
    const order = f.values !== undefined ? f.values.map((v) => levelOf(v as FactorValue)) : [...cells].sort((a, b) => (a.factors[name] as number) - (b.factors[name] as number)).map((c) => levelOf(c.factors[name]))
    for (const m of metrics) {
      const groups = new Map<string, (number | null)[]>()
      for (const k of order) if (!groups.has(k)) groups.set(k, [])
      for (const c of cells) {
        const key = levelOf(c.factors[name])
        const g = groups.get(key) ?? []
        g.push(c.means[m])
        groups.set(key, g)
      }
      const levels: [string, number | null, number][] = [...groups].filter(([, g]) => g.length > 0).map(([k, g]) => [k, mean(g), g.length])
      const ms = levels.map((l) => l[1]).filter((x): x is number => x !== null)
      out.push({factor: name, metric: m, levels, range: ms.length === 0 ? null : Math.max(...ms) - Math.min(...ms)})
    }
  }
  return out
}

/** Levels as labels: each distinct value, or for a continuous factor four equal-count bins. */
function levelFunction(values: readonly FactorValue[], continuous: boolean): (v: FactorValue) => string {
  if (!continuous) return (v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))
  const sorted = (values as number[]).slice().sort((a, b) => a - b)
  const bins = Math.min(4, new Set(sorted).size)
  const edges = Array.from({length: bins - 1}, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / bins)])
  const label = (b: number): string => {
    const lo = b === 0 ? sorted[0] : edges[b - 1]
    const hi = b === bins - 1 ? sorted.at(-1) : edges[b]
    return `[${fmt(lo as number)}, ${fmt(hi as number)}${b === bins - 1 ? ']' : ')'}`
  }
  return (v) => {
    let b = 0
    while (b < edges.length && (v as number) >= edges[b]) b++
    return label(b)
  }
}

const fmt = (x: number): string => String(Number(x.toPrecision(4)))

export function summarize(rows: readonly ResultRow[], spec: SweepSpec, cells: number): SweepSummary {
  const metrics = spec.metrics as string[]
  const means = cellMeans(rows, metrics)
  const cost = spec.pareto?.cost ?? (metrics.includes('costUsd') ? 'costUsd' : metrics[0])
  const latency = spec.pareto?.latency ?? metrics.find((m) => LATENCY_METRICS.includes(m as MetricName)) ?? metrics[0]
  const sloMetrics = metrics.filter((m) => SLO_METRICS.includes(m as MetricName))
  return {
    apiVersion: 'fleetcap.dev/v1',
    kind: 'SweepSummary',
    name: spec.name,
    design: spec.design,
    cells,
    seedsPerCell: spec.seedsPerCell,
    factors: spec.factors.map(factorName),
    metrics,
    cellMeans: means,
    pareto: {
      cost,
      latency,
      // A metric where more is better is negated so the front still minimises both.
      cells: paretoFront(
        HIGHER_IS_BETTER.has(latency as MetricName) ? means.map((c) => ({...c, means: {...c.means, [latency]: c.means[latency] === null ? null : -(c.means[latency] as number)}})) : means,
        cost,
        latency,
      ),
    },
    sensitivity: mainEffects(means, spec, sloMetrics.length > 0 ? sloMetrics : metrics),
  }
}
