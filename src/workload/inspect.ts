/**
 * One streaming pass over a trace: counts, span, arrival rate per time bucket, token percentiles
 * (HDR histograms: bounded memory, 3 significant digits), type/priority/model counts.
 */
import * as hdr from 'hdr-histogram-js'

import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {readTrace, type SkipCount, type TraceReadOptions} from './read-trace.js'
import type {TimeUnit} from './time.js'
import type {ColumnMapping} from './types.js'

export interface TokenStats {
  count: number
  mean: number
  min: number
  max: number
  p50: number
  p90: number
  p99: number
}

export interface TraceInspection {
  file: string
  format: string
  timeUnit?: TimeUnit
  mapping: Partial<ColumnMapping>
  /** Valid rows (calls). */
  rows: number
  /** Tasks (rows, or chains of rows sharing a task_id). */
  tasks: number
  rowsSkipped: number
  skipped: SkipCount[]
  rowsReordered: number
  firstTimeIso?: string
  lastTimeIso?: string
  /** Seconds from the first to the last arrival. */
  spanS: number
  /** Tasks per second over the span ((tasks - 1) / span), and per day. */
  meanRatePerS: number
  meanTasksPerDay: number
  bucketS: number
  /** Tasks per second in each bucket of bucketS seconds from the first arrival (the last one may be partly covered: see lastBucketCoveredS). */
  ratePerBucket: number[]
  lastBucketCoveredS: number
  peakRatePerS: number
  inputTokens: TokenStats
  outputTokens: TokenStats
  /** Calls per task (1 for plain request traces). */
  callsPerTask: TokenStats
  taskTypes: Record<string, number>
  priorities: Record<string, number>
  models: Record<string, number>
}

/** Most distinct type/model names counted; the rest are lumped under "(other)". */
const MAX_NAMES = 200

export async function inspectTrace(path: string, options: TraceReadOptions = {}, {bucketS = 60}: {bucketS?: number} = {}): Promise<TraceInspection> {
  if (!(bucketS > 0)) throw new RangeError(`bucketS must be positive (got ${bucketS})`)
  const reader = readTrace(path, options)
  const input = new TokenHistogram()
  const output = new TokenHistogram()
  const calls = new TokenHistogram()
  const buckets: number[] = []
  const types = new Map<string, number>()
  const prios = new Map<string, number>()
  const models = new Map<string, number>()
  let tasks = 0
  let first = Number.NaN
  let last = 0
  for await (const chunk of reader.tasks()) {
    for (const t of chunk) {
      if (tasks === 0) first = t.arrivalS
      last = t.arrivalS
      tasks++
      const b = Math.floor((t.arrivalS - first) / bucketS)
      if (b >= LIMITS.rateBuckets) {
        throw new InputError({field: '--bucket'}, `${bucketS} s buckets over this trace's span would be more than ${LIMITS.rateBuckets.toLocaleString('en-US')}; use a wider bucket`)
      }
      while (buckets.length <= b) buckets.push(0)
      buckets[b]++
      calls.record(t.calls.length)
      for (const c of t.calls) {
        input.record(c.inputTokens)
        output.record(c.outputTokens)
      }
      bump(types, t.taskType)
      bump(prios, t.priority)
      if (t.model !== undefined) bump(models, t.model)
    }
  }
  const r = reader.report()
  const spanS = tasks > 0 ? last - first : 0
  const meanRatePerS = spanS > 0 ? (tasks - 1) / spanS : 0
  const ratePerBucket = buckets.map((n) => n / bucketS)
  return {
    file: r.file,
    format: r.format,
    timeUnit: r.timeUnit,
    mapping: r.mapping,
    rows: r.rowsRead,
    tasks,
    rowsSkipped: r.rowsSkipped,
    skipped: r.skipped,
    rowsReordered: r.rowsReordered,
    firstTimeIso: r.firstTimeIso,
    lastTimeIso: r.lastTimeIso,
    spanS,
    meanRatePerS,
    meanTasksPerDay: meanRatePerS * 86_400,
    bucketS,
    ratePerBucket,
    lastBucketCoveredS: buckets.length > 0 ? spanS - (buckets.length - 1) * bucketS : 0,
    peakRatePerS: ratePerBucket.reduce((a, b) => Math.max(a, b), 0),
    inputTokens: input.stats(),
    outputTokens: output.stats(),
    callsPerTask: calls.stats(),
    taskTypes: Object.fromEntries(types),
    priorities: Object.fromEntries(prios),
    models: Object.fromEntries(models),
  }
}

function bump(m: Map<string, number>, key: string): void {
  const k = m.has(key) || m.size < MAX_NAMES ? key : '(other)'
  m.set(k, (m.get(k) ?? 0) + 1)
}

/** Exact count, mean, min and max; percentiles from an HDR histogram (relative error ≤ 0.1 %). */
class TokenHistogram {
  private readonly h = hdr.build({lowestDiscernibleValue: 1, highestTrackableValue: 2 ** 31, numberOfSignificantValueDigits: 3})
  private n = 0
  private sum = 0
  private min = Number.POSITIVE_INFINITY
  private max = Number.NEGATIVE_INFINITY

  record(v: number): void {
    this.h.recordValue(v)
    this.n++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  stats(): TokenStats {
    if (this.n === 0) return {count: 0, mean: 0, min: 0, max: 0, p50: 0, p90: 0, p99: 0}
    return {
      count: this.n,
      mean: this.sum / this.n,
      min: this.min,
      max: this.max,
      p50: this.h.getValueAtPercentile(50),
      p90: this.h.getValueAtPercentile(90),
      p99: this.h.getValueAtPercentile(99),
    }
  }
}
