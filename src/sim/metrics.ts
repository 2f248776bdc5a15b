import {createRequire} from 'node:module'

import type * as hdr from 'hdr-histogram-js'

import {PRIORITIES} from '../workload/types.js'
import {HdrCounts, LENGTH, valueAtPercentile} from './hdr-counts.js'

/** Latency metrics reported per call (one LLM request or one generic job) and per task. */
export const METRICS = ['queueWait', 'ttft', 'tpot', 'e2e', 'taskE2e'] as const
export type MetricName = (typeof METRICS)[number]
export const M_WAIT = 0
export const M_TTFT = 1
export const M_TPOT = 2
export const M_E2E = 3
export const M_TASK_E2E = 4

/**
 * What is recorded. A single-call task's call e2e is also its task e2e, so it is recorded once (R_E2E_SOLO)
 * and counted in both metrics; calls of agent chains and whole chains are recorded apart.
 */
export const R_WAIT = 0
export const R_TTFT = 1
export const R_TPOT = 2
export const R_E2E_SOLO = 3
export const R_E2E_CHAIN_CALL = 4
export const R_TASK_E2E_CHAIN = 5
const RECORDED = 6
/** Recorded series behind each reported metric. */
const SOURCES: readonly (readonly number[])[] = [[R_WAIT], [R_TTFT], [R_TPOT], [R_E2E_SOLO, R_E2E_CHAIN_CALL], [R_E2E_SOLO, R_TASK_E2E_CHAIN]]

const CLASSES = PRIORITIES.length
const SUMMARY_LEVELS = [50, 90, 95, 99]

/** Quantile summary of one metric in seconds; null fields when nothing was recorded. */
export interface QuantileSummary {
  count: number
  meanS: number
  p50S: number
  p90S: number
  p95S: number
  p99S: number
  maxS: number
}

type HistogramClass = new (lowestDiscernibleValue: number, highestTrackableValue: number, numberOfSignificantValueDigits: number) => hdr.Histogram

// hdr-histogram-js's JavaScript histograms, loaded by file: its index also loads the WebAssembly
// build and the log codecs (pako), ~50 ms and 18 MiB at every start. Recording goes through
// HdrCounts; the library only merges counts and reads quantiles, a few calls a run, where its
// WebAssembly build gains nothing (and its start-up costs ~25 ms more).
const require = createRequire(import.meta.url)
const histogramClass = (file: string): HistogramClass => (require(`hdr-histogram-js/dist/${file}.js`) as {default: HistogramClass}).default
let Float64Histogram: HistogramClass | undefined
let Int32Histogram: HistogramClass | undefined

/**
 * What hdr.build({bitBucketSize, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3})
 * builds, sized for values up to `highest` from the start (hdr.build's 2 made a merge of a run's
 * counts grow the array ~40 times). The size changes no quantile: a value's index does not
 * depend on it, and the histogram still grows past it.
 */
function newHistogram(bitBucketSize: 32 | 64, highest = 2): hdr.Histogram {
  const Histogram = bitBucketSize === 64 ? (Float64Histogram ??= histogramClass('Float64Histogram')) : (Int32Histogram ??= histogramClass('Int32Histogram'))
  const h = new Histogram(1, Math.max(2, highest), 3)
  h.autoResize = true
  return h
}

/**
 * Streaming latency quantiles: an HdrHistogram (3 significant digits) per metric and priority class,
 * values recorded in whole microseconds, so memory stays fixed however long the run. The hot path
 * counts into HdrHistogram's own bucket layout (HdrCounts); summaries add the classes' counts
 * together and read quantiles as hdr-histogram-js does (hdr-counts.ts valueAtPercentile), without
 * building a library histogram per summary. Means and maxima are exact (kept beside the histograms).
 * Call dispose() when done (simulate() does).
 */
export class LatencyRecorder {
  private readonly hists: (HdrCounts | undefined)[]
  private readonly sums = new Float64Array(RECORDED * CLASSES)
  private readonly counts = new Float64Array(RECORDED * CLASSES)
  // Exact zeros (a call that did not wait) are counted here and added to the histogram once at the
  // end: most calls of a healthy fleet never queue, and this keeps them off the histogram's hot path.
  private readonly zeros = new Float64Array(RECORDED * CLASSES)
  // SLO attainment: values at or below a threshold per recorded series (+Infinity: none set).
  private readonly thresholds = new Float64Array(RECORDED).fill(Number.POSITIVE_INFINITY)
  private readonly within = new Float64Array(RECORDED * CLASSES)

  /**
   * @param thresholdsS per reported metric, a latency target (seconds) whose attainment — the fraction
   *   of values at or below it — is counted exactly as values are recorded.
   */
  constructor(thresholdsS: Partial<Record<MetricName, number>> = {}) {
    METRICS.forEach((name, m) => {
      const t = thresholdsS[name]
      if (t === undefined) return
      // Task e2e is recorded as single-call e2e plus chain e2e; chain calls' own e2e is another metric.
      for (const src of SOURCES[m]) if (!(m === M_E2E && src === R_E2E_SOLO)) this.thresholds[src] = t
    })
    // Created on first use: most (series, class) pairs of a run stay empty.
    this.hists = Array.from({length: RECORDED * CLASSES}, () => undefined)
  }

  // Extra histograms fed with one metric's values (windowed quantiles for autoscalers); none by default.
  private taps: {series: readonly number[]; h: hdr.Histogram}[] | undefined

  /**
   * A histogram (microseconds) that receives every value of `metric` recorded from now on, all classes:
   * read a quantile and reset() it to measure a window. Costs one check per record when unused.
   */
  tap(metric: number): hdr.Histogram {
    const h = newHistogram(32)
    ;(this.taps ??= []).push({series: SOURCES[metric], h})
    return h
  }

  /** Stop feeding a histogram made by tap(). */
  untap(h: hdr.Histogram): void {
    if (this.taps === undefined) return
    this.taps = this.taps.filter((t) => t.h !== h)
    if (this.taps.length === 0) this.taps = undefined
  }

  /** Record one value of a recorded series (R_*) for a priority class. */
  record(series: number, cls: number, seconds: number): void {
    const i = series * CLASSES + cls
    if (this.taps !== undefined) this.feedTaps(series, seconds)
    if (seconds <= this.thresholds[series]) this.within[i]++
    this.counts[i]++
    if (seconds === 0) {
      this.zeros[i]++
      return
    }
    this.sums[i] += seconds
    const h = this.hists[i]
    if (h !== undefined) h.record(Math.round(seconds * 1e6))
    else this.firstValue(i, seconds)
  }

  private feedTaps(series: number, seconds: number): void {
    for (const t of this.taps ?? []) if (t.series.includes(series)) t.h.recordValue(Math.round(seconds * 1e6))
  }

  private firstValue(i: number, seconds: number): void {
    const h = new HdrCounts(() => newHistogram(64))
    this.hists[i] = h
    h.record(Math.round(seconds * 1e6))
  }

  /** Exact mean of a metric over one class, or over all classes when cls is -1. */
  mean(metric: number, cls = -1): number {
    let s = 0
    let n = 0
    for (const src of SOURCES[metric]) {
      for (let c = 0; c < CLASSES; c++) {
        if (cls >= 0 && c !== cls) continue
        s += this.sums[src * CLASSES + c]
        n += this.counts[src * CLASSES + c]
      }
    }
    return n === 0 ? Number.NaN : s / n
  }

  count(metric: number, cls = -1): number {
    let n = 0
    for (const src of SOURCES[metric]) for (let c = 0; c < CLASSES; c++) if (cls < 0 || c === cls) n += this.counts[src * CLASSES + c]
    return n
  }

  /**
   * Fraction of a metric's values at or below its threshold (given to the constructor), or null when
   * it has no threshold or no values.
   */
  attainment(metric: number, cls = -1): number | null {
    let ok = 0
    let n = 0
    for (const src of SOURCES[metric]) {
      if (this.thresholds[src] === Number.POSITIVE_INFINITY) return null
      for (let c = 0; c < CLASSES; c++) {
        if (cls >= 0 && c !== cls) continue
        ok += this.within[src * CLASSES + c]
        n += this.counts[src * CLASSES + c]
      }
    }
    return n === 0 ? null : ok / n
  }

  /** Summary of a metric for one class, or overall (cls = -1, classes merged). */
  summary(metric: number, cls = -1): QuantileSummary | null {
    const n = this.count(metric, cls)
    if (n === 0) return null
    const [p50S, p90S, p95S, p99S] = this.atPercentiles(metric, cls, SUMMARY_LEVELS)
    return {count: n, meanS: this.mean(metric, cls), p50S, p90S, p95S, p99S, maxS: this.maxOf(metric, cls) / 1e6}
  }

  /**
   * A metric's values at the given percentiles (0–100), seconds, for one class or overall (cls = -1):
   * the distribution a report draws. Null when nothing was recorded.
   */
  percentiles(metric: number, cls: number, levels: readonly number[]): number[] | null {
    if (this.count(metric, cls) === 0) return null
    return this.atPercentiles(metric, cls, levels)
  }

  /**
   * Quantiles of the parts' counts merged: added into one counts array here, read as hdr-histogram-js
   * reads them (valueAtPercentile gives its very values). A part holding values past 2^31 µs (its
   * overflow histogram) is merged by the library instead.
   */
  private atPercentiles(metric: number, cls: number, levels: readonly number[]): number[] {
    const parts = this.parts(metric, cls)
    const counts = new Float64Array(LENGTH)
    let total = 0
    for (const i of parts) {
      if (this.hists[i]?.addInto(counts) === false) return this.libraryPercentiles(parts, levels)
      counts[0] += this.zeros[i]
      total += (this.hists[i]?.total ?? 0) + this.zeros[i]
    }
    return levels.map((p) => valueAtPercentile(counts, total, p) / 1e6)
  }

  private libraryPercentiles(parts: number[], levels: readonly number[]): number[] {
    const h = newHistogram(64, Math.max(...parts.map((i) => this.hists[i]?.max ?? 0)))
    try {
      for (const i of parts) {
        this.hists[i]?.addTo(h)
        if (this.zeros[i] > 0) h.recordValueWithCount(0, this.zeros[i])
      }
      return levels.map((p) => h.getValueAtPercentile(p) / 1e6)
    } finally {
      h.destroy()
    }
  }

  /** The recorded (series, class) slots behind a metric for one class, or all (cls = -1). */
  private parts(metric: number, cls: number): number[] {
    const out: number[] = []
    for (const src of SOURCES[metric]) for (let c = 0; c < CLASSES; c++) if (cls < 0 || c === cls) out.push(src * CLASSES + c)
    return out
  }

  /** The largest value (µs) of a metric for one class, or all. */
  private maxOf(metric: number, cls: number): number {
    let max = 0
    for (const i of this.parts(metric, cls)) max = Math.max(max, this.hists[i]?.max ?? 0)
    return max
  }

  /** Free the histograms. The recorder is unusable afterwards. */
  dispose(): void {
    for (let i = 0; i < this.hists.length; i++) {
      this.hists[i]?.dispose()
      this.hists[i] = undefined
    }
  }
}
