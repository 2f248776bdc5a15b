
import {quantileSorted} from 'simple-statistics'
import {z} from 'zod'

import {FleetcapError, InputError} from '../errors.js'
import {readInputFile} from '../util/read-input.js'
import {readLines} from '../util/read-lines.js'
import {LLM_LATENCY, TRACKING_THRESHOLDS} from './script.js'

/**
 * What a k6 run measured, read from any of k6's three outputs: the `handleSummary` data that
 * fleetcap's scripts write (summary.json), the legacy `--summary-export` file, or the per-sample
 * `--out json=FILE` stream (exact quantiles, computed here). Times in milliseconds as k6 keeps them.
 */
export interface Quantiles {
  count: number
  avg: number
  p50: number
  p90: number
  p95: number
  p99?: number
  max: number
}

export interface ThresholdResult {
  metric: string
  expression: string
  ok: boolean
}

export interface K6Measurement {
  format: 'summary' | 'summary-export' | 'json-output'
  /** Wall seconds of the run (summary) or from the first to the last sample (json output). */
  durationS?: number
  iterations: number
  droppedIterations: number
  /** LLM requests sent (tagged kind:llm by fleetcap scripts; all HTTP requests otherwise). */
  requests: number
  errorRate?: number
  latencyMs?: Quantiles
  ttftMs?: Quantiles
  tpotMs?: Quantiles
  /** Every gap between two streamed tokens (the stream reader's itl metric; plain k6 has none). */
  itlMs?: Quantiles
  outputTokens?: number
  thresholds: ThresholdResult[]
}

const numberRecord = z.record(z.string(), z.number().nullable())

/** handleSummary's `data`: metrics with type, values and per-expression {ok}. */
const summarySchema = z.object({
  state: z.object({testRunDurationMs: z.number()}).partial().optional(),
  metrics: z.record(
    z.string(),
    z.object({
      type: z.string(),
      values: numberRecord,
      thresholds: z.record(z.string(), z.object({ok: z.boolean()})).optional(),
    }),
  ),
})

/** --summary-export: flat values per metric; thresholds map expression → "failed". */
const exportSchema = z.object({
  metrics: z.record(z.string(), z.record(z.string(), z.unknown())),
})

function quantilesFromValues(v: Record<string, number | null> | Record<string, unknown>): Quantiles | undefined {
  const get = (k: string): number | undefined => (typeof v[k] === 'number' ? (v[k] as number) : undefined)
  const p50 = get('med') ?? get('p(50)')
  const p95 = get('p(95)')
  if (p50 === undefined || p95 === undefined) return undefined
  return {
    count: get('count') ?? Number.NaN,
    avg: get('avg') ?? Number.NaN,
    p50,
    p90: get('p(90)') ?? Number.NaN,
    p95,
    p99: get('p(99)'),
    max: get('max') ?? Number.NaN,
  }
}

/** The sub-metric fleetcap scripts track (LLM requests; for latency the successful ones), else the plain metric. */
function pick<T>(metrics: Record<string, T>, name: string): T | undefined {
  if (name === 'http_req_duration') return metrics[LLM_LATENCY] ?? metrics[`${name}{kind:llm}`] ?? metrics[name]
  return metrics[`${name}{kind:llm}`] ?? metrics[name]
}

/** fleetcap's always-true tracking thresholds (TRACKING_THRESHOLDS in script.ts) are not SLOs. */
const TRACKING = new Set(Object.entries(TRACKING_THRESHOLDS).flatMap(([m, exprs]) => exprs.map((e) => `${m} ${e}`)))

function splitThreshold(metric: string, expressions: Record<string, boolean>): ThresholdResult[] {
  return Object.entries(expressions)
    .filter(([expression]) => !TRACKING.has(`${metric} ${expression}`))
    .map(([expression, ok]) => ({metric, expression, ok}))
}

export function measurementFromSummary(json: unknown, file = 'summary'): K6Measurement {
  return checkedMeasurement(measurementOf(json, file), file)
}

/** A latency quantile below zero is a corrupt file, not a measurement: refuse it rather than fit to it. */
function checkedMeasurement(m: K6Measurement, file: string): K6Measurement {
  for (const [name, q] of [
    ['http_req_duration', m.latencyMs],
    ['ttft', m.ttftMs],
    ['tpot', m.tpotMs],
    ['itl', m.itlMs],
  ] as const) {
    if (q === undefined) continue
    for (const [k, v] of Object.entries(q)) {
      if (typeof v === 'number' && v < 0) throw new InputError({file, field: `${name}.${k}`}, `negative latency (${v} ms)`)
    }
  }
  return m
}

function measurementOf(json: unknown, file: string): K6Measurement {
  const s = summarySchema.safeParse(json)
  if (s.success) {
    const m = s.data.metrics
    const thresholds = Object.entries(m).flatMap(([name, metric]) =>
      splitThreshold(name, Object.fromEntries(Object.entries(metric.thresholds ?? {}).map(([e, r]) => [e, r.ok]))),
    )
    const reqs = pick(m, 'http_reqs')
    return {
      format: 'summary',
      durationS: s.data.state?.testRunDurationMs === undefined ? undefined : s.data.state.testRunDurationMs / 1000,
      iterations: m.iterations?.values.count ?? 0,
      droppedIterations: m.dropped_iterations?.values.count ?? 0,
      requests: reqs?.values.count ?? 0,
      errorRate: m.errors?.values.rate ?? m.http_req_failed?.values.rate ?? undefined,
      latencyMs: pick(m, 'http_req_duration') && quantilesFromValues(pick(m, 'http_req_duration')!.values),
      ttftMs: m.ttft && quantilesFromValues(m.ttft.values),
      tpotMs: m.tpot && quantilesFromValues(m.tpot.values),
      itlMs: m.itl && quantilesFromValues(m.itl.values),
      outputTokens: m.output_tokens?.values.count ?? undefined,
      thresholds,
    }
  }
  const e = exportSchema.safeParse(json)
  if (e.success && Object.values(e.data.metrics).some((v) => 'avg' in v || 'count' in v || 'rate' in v || 'value' in v)) {
    const m = e.data.metrics
    const num = (metric: Record<string, unknown> | undefined, k: string): number | undefined =>
      metric !== undefined && typeof metric[k] === 'number' ? (metric[k] as number) : undefined
    const thresholds = Object.entries(m).flatMap(([name, metric]) => {
      const t = metric.thresholds
      if (typeof t !== 'object' || t === null) return []
      // In --summary-export a threshold's value is true when it was crossed (failed).
      return splitThreshold(name, Object.fromEntries(Object.entries(t as Record<string, unknown>).map(([x, failed]) => [x, failed !== true])))
    })
    const reqs = pick(m, 'http_reqs')
    const errors = m.errors ?? m.http_req_failed
    return {
      format: 'summary-export',
      iterations: num(m.iterations, 'count') ?? 0,
      droppedIterations: num(m.dropped_iterations, 'count') ?? 0,
      requests: num(reqs, 'count') ?? 0,
      errorRate: num(errors, 'value') ?? num(errors, 'rate'),
      latencyMs: pick(m, 'http_req_duration') && quantilesFromValues(pick(m, 'http_req_duration')!),
      ttftMs: m.ttft && quantilesFromValues(m.ttft),
      tpotMs: m.tpot && quantilesFromValues(m.tpot),
      itlMs: m.itl && quantilesFromValues(m.itl),
      outputTokens: num(m.output_tokens, 'count'),
      thresholds,
    }
  }
  throw new InputError({file}, 'not a k6 summary (neither handleSummary data nor --summary-export output)', {
    hint: 'pass the summary.json a fleetcap script writes, a --summary-export file, or --k6-json with k6 --out json output',
  })
}

export async function readK6Summary(path: string): Promise<K6Measurement> {
  const text = await readInputFile(path)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new InputError({file: path}, `not JSON: ${(error as Error).message}`)
  }
  return measurementFromSummary(json, path)
}

const pointSchema = z.object({
  type: z.literal('Point'),
  metric: z.string(),
  data: z.object({time: z.string(), value: z.number(), tags: z.record(z.string(), z.string()).nullable().optional()}),
})

function quantilesOf(values: number[]): Quantiles | undefined {
  if (values.length === 0) return undefined
  const sorted = Float64Array.from(values).sort()
  const arr = Array.from(sorted)
  let sum = 0
  for (const v of arr) sum += v
  return {
    count: arr.length,
    avg: sum / arr.length,
    p50: quantileSorted(arr, 0.5),
    p90: quantileSorted(arr, 0.9),
    p95: quantileSorted(arr, 0.95),
    p99: quantileSorted(arr, 0.99),
    max: arr[arr.length - 1],
  }
}

/**
 * Read k6's `--out json` stream line by line (it can be large) and compute the same figures as the
 * summary, with exact quantiles. LLM requests are those tagged kind:llm when any are; thresholds
 * are not in this output, so the list is empty.
 */
export async function readK6JsonOutput(path: string): Promise<K6Measurement> {
  const duration: number[] = []
  const durationAll: number[] = []
  const ttft: number[] = []
  const tpot: number[] = []
  const itl: number[] = []
  let iterations = 0
  let dropped = 0
  let requests = 0
  let requestsAll = 0
  let errors = 0
  let errorSamples = 0
  let outputTokens = 0
  let first = Infinity
  let last = -Infinity
  let lineNo = 0
  try {
    for await (const {text: line, line: n} of readLines(path)) {
      lineNo = n
      if (line.trim() === '') continue
      let raw: unknown
      try {
        raw = JSON.parse(line)
      } catch {
        throw new InputError({file: path, line: lineNo}, 'not a JSON line (expected k6 --out json output)')
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new InputError({file: path, line: lineNo}, 'not a k6 JSON object (expected k6 --out json output)')
      }
      // k6 also writes "Metric" definition lines; only "Point" lines are samples, and a broken one is refused.
      if ((raw as {type?: unknown}).type !== 'Point') continue
      const p = pointSchema.safeParse(raw)
      if (!p.success) {
        const issue = p.error.issues[0]
        throw new InputError({file: path, line: lineNo, field: issue.path.join('.')}, `not a k6 sample: ${issue.message}`)
      }
      const {metric, data} = p.data
      if (data.value < 0 && (metric === 'http_req_duration' || metric === 'ttft' || metric === 'tpot' || metric === 'itl')) {
        throw new InputError({file: path, line: lineNo, field: metric}, `negative latency (${data.value} ms)`)
      }
      const llm = data.tags?.kind === 'llm'
      const t = Date.parse(data.time)
      if (Number.isFinite(t)) {
        first = Math.min(first, t)
        last = Math.max(last, t)
      }
      switch (metric) {
        case 'http_req_duration':
          durationAll.push(data.value)
          if (llm && data.tags?.expected_response !== 'false') duration.push(data.value)
          break
        case 'http_reqs':
          requestsAll += data.value
          if (llm) requests += data.value
          break
        case 'iterations':
          iterations += data.value
          break
        case 'dropped_iterations':
          dropped += data.value
          break
        case 'ttft':
          ttft.push(data.value)
          break
        case 'tpot':
          tpot.push(data.value)
          break
        case 'itl':
          itl.push(data.value)
          break
        case 'errors':
          errorSamples++
          errors += data.value
          break
        case 'output_tokens':
          outputTokens += data.value
          break
      }
    }
  } catch (error) {
    if (error instanceof FleetcapError) throw error
    throw new InputError({file: path}, `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  }
  if (lineNo === 0) throw new InputError({file: path}, 'empty file (expected k6 --out json output)')
  return {
    format: 'json-output',
    durationS: Number.isFinite(first) ? (last - first) / 1000 : undefined,
    iterations,
    droppedIterations: dropped,
    requests: duration.length > 0 ? requests : requestsAll,
    errorRate: errorSamples > 0 ? errors / errorSamples : undefined,
    latencyMs: quantilesOf(duration.length > 0 ? duration : durationAll),
    ttftMs: quantilesOf(ttft),
    tpotMs: quantilesOf(tpot),
    itlMs: quantilesOf(itl),
    outputTokens: outputTokens > 0 ? outputTokens : undefined,
    thresholds: [],
  }
}
