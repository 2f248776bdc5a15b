/**
 * What an autoscaler sees is not the present. A metrics pipeline samples each series every scrape
 * interval (metrics-server's --metric-resolution and a typical Prometheus scrape_interval are both
 * 15 s), makes a sample visible `reportDelayS` after it was taken (adapter and query latency), and a
 * query may average the visible samples of a window (e.g. `avg_over_time(m[1m])`). This module is
 * that pipeline, deterministic and bounded: each series keeps a small ring of samples.
 */

export interface MetricsPipelineOptions {
  /** Seconds between two samples of a series. */
  scrapeIntervalS?: number
  /** Seconds from taking a sample until a controller can read it. */
  reportDelayS?: number
  /** Seconds of visible samples averaged by a read; 0 reads the latest sample alone. */
  averagingWindowS?: number
  /** Time of the first scrape (scrapes happen at phase + k × interval). */
  phaseS?: number
}

export const METRICS_PIPELINE_DEFAULTS: Required<MetricsPipelineOptions> = {
  scrapeIntervalS: 15,
  reportDelayS: 0,
  averagingWindowS: 0,
  phaseS: 0,
}

export interface VisibleSample {
  /** The value a read returns (the latest sample, or the mean over the averaging window). */
  value: number
  /** When the latest sample in it was taken (the metric's timestamp as the HPA sees it). */
  timestampS: number
  /** How many samples were averaged. */
  samples: number
}

class SampleRing {
  readonly t: Float64Array
  readonly v: Float64Array
  head = 0
  size = 0
  constructor(capacity: number) {
    this.t = new Float64Array(capacity)
    this.v = new Float64Array(capacity)
  }
  push(t: number, v: number): void {
    const cap = this.t.length
    const i = (this.head + this.size) % cap
    this.t[i] = t
    this.v[i] = v
    if (this.size < cap) this.size++
    else this.head = (this.head + 1) % cap
  }
}

export class MetricsPipeline {
  readonly options: Required<MetricsPipelineOptions>
  private readonly series = new Map<string, SampleRing>()
  private readonly capacity: number

  constructor(options: MetricsPipelineOptions = {}) {
    this.options = {...METRICS_PIPELINE_DEFAULTS, ...options}
    const {scrapeIntervalS, reportDelayS, averagingWindowS} = this.options
    if (!(scrapeIntervalS > 0)) throw new RangeError(`scrapeIntervalS must be positive, got ${scrapeIntervalS}`)
    if (reportDelayS < 0 || averagingWindowS < 0) throw new RangeError('reportDelayS and averagingWindowS must be non-negative')
    // Enough samples to cover the delay plus the window, plus the one being read.
    this.capacity = Math.ceil((reportDelayS + averagingWindowS) / scrapeIntervalS) + 2
  }

  /** The first scrape time at or after `tS`: the simulator schedules its sampling there. */
  nextScrapeAtOrAfter(tS: number): number {
    const {scrapeIntervalS, phaseS} = this.options
    const k = Math.ceil((tS - phaseS) / scrapeIntervalS - 1e-9)
    return phaseS + Math.max(0, k) * scrapeIntervalS
  }

  /** Store the value of series `key` sampled at `sampleTimeS` (must not go back in time). */
  record(key: string, sampleTimeS: number, value: number): void {
    let ring = this.series.get(key)
    if (ring === undefined) {
      ring = new SampleRing(this.capacity)
      this.series.set(key, ring)
    } else if (ring.size > 0 && sampleTimeS < ring.t[(ring.head + ring.size - 1) % ring.t.length]) {
      throw new RangeError(`series ${key}: sample at ${sampleTimeS} is older than the last one`)
    }
    ring.push(sampleTimeS, value)
  }

  /** What a controller reading series `key` at `nowS` sees; undefined when nothing is visible yet. */
  read(key: string, nowS: number): VisibleSample | undefined {
    const ring = this.series.get(key)
    if (ring === undefined) return undefined
    const visibleUntil = nowS - this.options.reportDelayS
    const cap = ring.t.length
    let latest = -1
    for (let k = ring.size - 1; k >= 0; k--) {
      const i = (ring.head + k) % cap
      if (ring.t[i] <= visibleUntil + 1e-9) {
        latest = k
        break
      }
    }
    if (latest < 0) return undefined
    const newest = ring.t[(ring.head + latest) % cap]
    const from = newest - this.options.averagingWindowS
    let sum = 0
    let n = 0
    for (let k = latest; k >= 0; k--) {
      const i = (ring.head + k) % cap
      if (n > 0 && ring.t[i] <= from + 1e-9) break
      sum += ring.v[i]
      n++
    }
    return {value: sum / n, timestampS: newest, samples: n}
  }

  /** Forget a series (its pod is gone). */
  drop(key: string): void {
    this.series.delete(key)
  }

  get seriesCount(): number {
    return this.series.size
  }
}
