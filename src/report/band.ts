/**
 * The uncertainty band of a simulation's headline figures: the same scenario (same seed, same
 * arrivals) re-run with every LLM pool's step times at its profile's fast edge and at its slow edge.
 * Pure: three reports in, one band out.
 */
import type {SimulationReport} from './report.js'

/** What one pool's band rests on, as its serving profile states it. */
export interface PoolBand {
  pool: string
  profile: string | null
  status: 'measured' | 'transferred' | 'roofline'
  statusBasis: string
  /** Step-time multipliers at the edges (fast ≤ 1 ≤ slow). */
  fast: number
  slow: number
  /** Nominal fraction of measurements the band covers. */
  coverage: number
  basis: string
}

/** A headline figure at the nominal step times and at each edge. */
export interface BandFigure {
  figure: string
  unit: 's' | '1/s' | 'fraction' | 'USD' | 'GPU-h'
  nominal: number | null
  /** Every LLM pool at band.fast. */
  atFast: number | null
  /** Every LLM pool at band.slow. */
  atSlow: number | null
}

export interface ReportBand {
  method: string
  /** The smallest nominal coverage among the pools (the band is no wider than its weakest pool's claim). */
  coverage: number
  pools: PoolBand[]
  figures: BandFigure[]
  slo: {nominal: boolean; atFast: boolean; atSlow: boolean} | null
}

export const BAND_METHOD =
  'the scenario re-run twice with the same seed and arrivals: every LLM pool\'s step times (prefill, mixed and decode steps) × its profile\'s band.fast, then × band.slow; the edges move together (errors of one calibration are correlated across its pools)'

type Pick = (r: SimulationReport) => number | null | undefined

function headline(report: SimulationReport): Array<{figure: string; unit: BandFigure['unit']; pick: Pick}> {
  const q = (name: string, key: 'ttftS' | 'tpotS' | 'e2eS' | 'taskE2eS') =>
    (['p50S', 'p95S', 'p99S'] as const).map((p) => ({figure: `${name} ${p.slice(0, 3)}`, unit: 's' as const, pick: (r: SimulationReport) => r.latency.overall[key]?.[p]}))
  const out: Array<{figure: string; unit: BandFigure['unit']; pick: Pick}> = [
    ...q('TTFT', 'ttftS'),
    ...q('TPOT', 'tpotS'),
    ...q('call e2e', 'e2eS'),
    ...q('task e2e', 'taskE2eS'),
    {figure: 'throughput tasks/s', unit: '1/s', pick: (r) => r.throughput.tasksPerS},
    {figure: 'throughput output tokens/s', unit: '1/s', pick: (r) => r.throughput.outputTokensPerS},
    {figure: 'error rate', unit: 'fraction', pick: (r) => r.tasks.errorRate},
  ]
  for (const p of report.pools) {
    out.push({figure: `utilization ${p.name}`, unit: 'fraction', pick: (r) => r.pools.find((x) => x.name === p.name)?.utilization})
  }
  out.push({figure: 'GPU-hours', unit: 'GPU-h', pick: (r) => r.cost.gpuHours}, {figure: 'cost', unit: 'USD', pick: (r) => r.cost.costUsd})
  return out
}

export function reportBand(nominal: SimulationReport, atFast: SimulationReport, atSlow: SimulationReport, pools: PoolBand[]): ReportBand {
  const v = (x: number | null | undefined): number | null => (x === undefined || x === null || !Number.isFinite(x) ? null : x)
  return {
    method: BAND_METHOD,
    coverage: Math.min(...pools.map((p) => p.coverage)),
    pools,
    figures: headline(nominal).map((h) => ({figure: h.figure, unit: h.unit, nominal: v(h.pick(nominal)), atFast: v(h.pick(atFast)), atSlow: v(h.pick(atSlow))})),
    slo: nominal.slo.checks.length > 0 ? {nominal: nominal.slo.pass, atFast: atFast.slo.pass, atSlow: atSlow.slo.pass} : null,
  }
}
