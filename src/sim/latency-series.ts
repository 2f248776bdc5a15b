/**
 * Latency quantiles over time, for charts: TTFT, TPOT and call e2e p50/p95/p99 of the calls that
 * finished in each time-series interval (all priority classes), read from histograms tapped on the
 * model's latency recorder and reset at every sample. Only built when a report asks for charts: each
 * tapped value costs one more histogram record.
 */
import type * as hdr from 'hdr-histogram-js'

import type {FleetModel} from './fleet-model.js'
import {M_E2E, M_TPOT, M_TTFT} from './metrics.js'
import type {FleetModelConfig} from './types.js'

const METRICS = [
  ['ttft', M_TTFT],
  ['tpot', M_TPOT],
  ['e2e', M_E2E],
] as const
const LEVELS = [50, 95, 99] as const

export interface LatencySeries {
  /** time_s, then <metric>_p50_s, _p95_s, _p99_s per metric, then <metric>_count. */
  columns: string[]
  /** Row-major; NaN where no call of that metric finished in the interval. */
  rows: number[]
}

export class LatencyOverTime {
  private taps: hdr.Histogram[] = []
  private readonly rows: number[] = []
  readonly columns = ['time_s', ...METRICS.flatMap(([n]) => [...LEVELS.map((l) => `${n}_p${l}_s`), `${n}_count`])]

  attach(model: FleetModel): void {
    this.taps = METRICS.map(([, m]) => model.latency.tap(m))
  }

  /** Called at every time-series sample (FleetModelConfig.extraSeries.write): one row, then reset. */
  sample(now: number): void {
    if (this.taps.length === 0) return
    this.rows.push(now)
    for (const h of this.taps) {
      const n = h.totalCount
      for (const l of LEVELS) this.rows.push(n > 0 ? h.getValueAtPercentile(l) / 1e6 : Number.NaN)
      this.rows.push(n)
      h.reset()
    }
  }

  series(): LatencySeries {
    return {columns: this.columns, rows: this.rows}
  }

  dispose(): void {
    for (const h of this.taps) h.destroy()
    this.taps = []
  }
}

/** The model's extraSeries hook with the latency sampler added (its own rows: no timeseries.csv column). */
export function withLatencySampler(extra: FleetModelConfig['extraSeries'], sampler: LatencyOverTime | undefined): FleetModelConfig['extraSeries'] {
  if (sampler === undefined) return extra
  return {
    columns: extra?.columns ?? [],
    write: (now, row) => {
      extra?.write(now, row)
      sampler.sample(now)
    },
  }
}
