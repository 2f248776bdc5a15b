/**
 * Measured against predicted per request: each LLM request k6 sent (its id, `iteration.call`, rides
 * on every sample as k6 metadata, see src/k6/script.ts) joined with its twin in a simulation of the
 * same load, once with the profile as shipped and once with the fitted step-time factor. Bounded for
 * large runs: only the iterations whose number is a multiple of a stride are kept (at most
 * MAX_COMPARED_REQUESTS calls), on both sides, so the selection is the same on every run.
 */
import {quantileSorted} from 'simple-statistics'
import {z} from 'zod'

import {InputError} from '../errors.js'
import type {ServingProfile} from '../fleet/types.js'
import type {LoadProfile} from '../k6/load.js'
import {readLines} from '../util/read-lines.js'
import {arrivalSchedule} from './predict.js'
import {simulateLoad} from './simulate-predictor.js'

/** The k6 metadata key that carries a call's id (`<iteration>.<call>`). */
export const CALL_ID_KEY = 'fleetcap_call'
/** Calls compared (and charted) at most: a page of a few thousand points per chart. */
export const MAX_COMPARED_REQUESTS = 2000

export interface MeasuredRequest {
  latencyMs?: number
  ttftMs?: number
  tpotMs?: number
  /** The HTTP status was expected and the stream completed (k6's `errors` sample was 0). */
  ok: boolean
}

export interface PredictedRequest {
  issueS: number
  ttftMs: number
  e2eMs: number
}

export interface RequestPair {
  iteration: number
  call: number
  /** When k6's schedule started the iteration, seconds from the test's start. */
  arrivalS: number
  measured: {ttftMs?: number; e2eMs: number}
  before: PredictedRequest
  after: PredictedRequest
}

export type RequestMetric = 'ttft' | 'e2e'

export interface RequestErrorStats {
  metric: RequestMetric
  series: 'before' | 'after'
  n: number
  /** Root mean square of log(predicted / measured). */
  rmsLogError: number
  /** Median of (predicted − measured) / measured. */
  medianRelError: number
}

export interface RequestComparison {
  /** Every stride-th iteration is kept (1: all). */
  stride: number
  /** Calls with an id among the kept iterations, measured by k6. */
  measured: number
  /** Of those, failed (HTTP error or incomplete stream): not compared. */
  failed: number
  /** Of the rest, with no simulated twin (the simulation did not finish them). */
  unmatched: number
  pairs: RequestPair[]
  stats: RequestErrorStats[]
}

/** The stride that keeps at most `max` of the load's calls. */
export function requestStride(load: LoadProfile, max = MAX_COMPARED_REQUESTS): number {
  const iterations = arrivalSchedule(load).length
  const callsPerIteration = load.tasks.reduce((s, t) => s + t.length, 0) / load.tasks.length
  return Math.max(1, Math.ceil((iterations * callsPerIteration) / max))
}

const pointSchema = z.object({
  type: z.literal('Point'),
  metric: z.string(),
  data: z.object({
    value: z.number(),
    tags: z.record(z.string(), z.string()).nullable().optional(),
    metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
})

const ID = /^(\d+)\.(\d+)$/

/**
 * The kept calls of a k6 `--out json` file, by id. Lines without the id (the setup probe, output from
 * scripts exported before ids existed) are skipped; the file was already validated by readK6JsonOutput.
 */
export async function readK6Requests(path: string, stride: number): Promise<Map<string, MeasuredRequest>> {
  const out = new Map<string, MeasuredRequest>()
  const get = (id: string): MeasuredRequest => {
    let r = out.get(id)
    if (r === undefined) {
      r = {ok: true}
      out.set(id, r)
    }
    return r
  }
  for await (const {text, line} of readLines(path)) {
    // Cheap filter first: most lines are other metrics or carry no id.
    if (!text.includes(CALL_ID_KEY)) continue
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch {
      throw new InputError({file: path, line}, 'not a JSON line (expected k6 --out json output)')
    }
    const p = pointSchema.safeParse(raw)
    if (!p.success) continue
    const id = p.data.data.metadata?.[CALL_ID_KEY]
    const m = typeof id === 'string' ? ID.exec(id) : null
    if (m === null || Number(m[1]) % stride !== 0) continue
    const {metric, data} = p.data
    switch (metric) {
      case 'http_req_duration': {
        const r = get(id as string)
        r.latencyMs = data.value
        if (data.tags?.expected_response === 'false') r.ok = false
        break
      }
      case 'ttft':
        get(id as string).ttftMs = data.value
        break
      case 'tpot':
        get(id as string).tpotMs = data.value
        break
      case 'errors':
        if (data.value !== 0) get(id as string).ok = false
        break
    }
  }
  return out
}

/** The kept calls' twins in a simulation of the load at `stepScale`, by id. */
export async function simulateRequests(profile: ServingProfile, replicas: number, load: LoadProfile, stepScale: number, stride: number): Promise<Map<string, PredictedRequest>> {
  const out = new Map<string, PredictedRequest>()
  await simulateLoad(profile, replicas, load, stepScale, (task, call, issueS, firstTokenS, endS) => {
    if (task.id % stride !== 0) return
    out.set(`${task.id}.${call}`, {issueS, ttftMs: (firstTokenS - issueS) * 1000, e2eMs: (endS - issueS) * 1000})
  })
  return out
}

function errorStats(pairs: readonly RequestPair[], metric: RequestMetric, series: 'before' | 'after'): RequestErrorStats {
  let sum = 0
  const rel: number[] = []
  for (const p of pairs) {
    const m = metric === 'ttft' ? p.measured.ttftMs : p.measured.e2eMs
    const x = metric === 'ttft' ? p[series].ttftMs : p[series].e2eMs
    if (m === undefined || !(m > 0) || !(x > 0)) continue
    sum += Math.log(x / m) ** 2
    rel.push((x - m) / m)
  }
  rel.sort((a, b) => a - b)
  return {metric, series, n: rel.length, rmsLogError: rel.length === 0 ? Number.NaN : Math.sqrt(sum / rel.length), medianRelError: rel.length === 0 ? Number.NaN : quantileSorted(rel, 0.5)}
}

/** Join the measured calls with their twins before and after the fit, in (iteration, call) order. */
export function joinRequests(
  load: LoadProfile,
  stride: number,
  measured: ReadonlyMap<string, MeasuredRequest>,
  before: ReadonlyMap<string, PredictedRequest>,
  after: ReadonlyMap<string, PredictedRequest>,
): RequestComparison {
  const schedule = arrivalSchedule(load)
  const ids = [...measured.keys()].map((id) => id.split('.').map(Number) as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const pairs: RequestPair[] = []
  let failed = 0
  let unmatched = 0
  for (const [iteration, call] of ids) {
    const id = `${iteration}.${call}`
    const m = measured.get(id)!
    if (!m.ok || m.latencyMs === undefined) {
      failed++
      continue
    }
    const b = before.get(id)
    const a = after.get(id)
    if (b === undefined || a === undefined) {
      unmatched++
      continue
    }
    pairs.push({iteration, call, arrivalS: schedule[iteration] ?? Number.NaN, measured: {ttftMs: m.ttftMs, e2eMs: m.latencyMs}, before: b, after: a})
  }
  const stats = (['ttft', 'e2e'] as const).flatMap((metric) => (['before', 'after'] as const).map((series) => errorStats(pairs, metric, series)))
  return {stride, measured: measured.size, failed, unmatched, pairs, stats}
}

/**
 * Compare a k6 `--out json` run request by request with the simulation before and after the fit.
 * Undefined when the output carries no call ids (a script exported before they existed).
 */
export async function compareRequests(k6JsonPath: string, load: LoadProfile, profile: ServingProfile, replicas: number, stepScale: number): Promise<RequestComparison | undefined> {
  const stride = requestStride(load)
  const measured = await readK6Requests(k6JsonPath, stride)
  if (measured.size === 0) return undefined
  const before = await simulateRequests(profile, replicas, load, 1, stride)
  const after = await simulateRequests(profile, replicas, load, stepScale, stride)
  return joinRequests(load, stride, measured, before, after)
}
