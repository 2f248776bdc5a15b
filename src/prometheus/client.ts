import {FleetcapError, InputError, UnreachableError} from '../errors.js'

/**
 * A small client for Prometheus's HTTP API (`/api/v1/query_range`). Long ranges are split so that no
 * request asks for more than Prometheus's 11,000 points per series; the pieces are joined per label
 * set. An unreachable server fails with UnreachableError within the timeout; a query the server
 * rejects (bad PromQL) fails with the server's own message.
 */

/** Prometheus refuses a range query that would return more points than this per series. */
export const MAX_POINTS_PER_SERIES = 11_000

export interface RangeQuery {
  /** Base URL of the server, e.g. http://127.0.0.1:9090 (a path prefix is kept). */
  url: string
  /** PromQL expression. */
  query: string
  startS: number
  endS: number
  stepS: number
  /** Per-request timeout (default 5,000 ms). */
  timeoutMs?: number
}

export interface PromSeries {
  labels: Record<string, string>
  /** [epoch seconds, value] ascending; NaN where Prometheus sent NaN. */
  points: [number, number][]
}

interface ApiResponse {
  status: 'success' | 'error'
  data?: {resultType: string; result: {metric: Record<string, string>; values: [number, string][]}[]}
  errorType?: string
  error?: string
}

/** Split [start, end] into pieces of at most MAX_POINTS_PER_SERIES points each, on the step grid. */
export function splitRange(startS: number, endS: number, stepS: number, maxPoints = MAX_POINTS_PER_SERIES): [number, number][] {
  const pieces: [number, number][] = []
  const span = (maxPoints - 1) * stepS
  for (let s = startS; s <= endS; s += span + stepS) pieces.push([s, Math.min(endS, s + span)])
  return pieces
}

async function get(url: URL, timeoutMs: number): Promise<ApiResponse> {
  let response: Response
  try {
    response = await fetch(url, {signal: AbortSignal.timeout(timeoutMs), headers: {accept: 'application/json'}})
  } catch (error) {
    const e = error as Error & {cause?: {code?: string; message?: string}}
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message)
    throw new UnreachableError(`Prometheus at ${url.origin} is unreachable: ${why}`, {hint: 'check --prometheus URL and that the server is up'})
  }
  const text = await response.text()
  let body: ApiResponse | undefined
  try {
    body = JSON.parse(text) as ApiResponse
  } catch {
    body = undefined
  }
  if (body?.status === 'error') {
    // 400 bad_data (bad PromQL, bad step), 422 execution errors, 503 timeouts: the server says why.
    const message = `Prometheus rejected the query: ${body.errorType ?? 'error'}: ${body.error ?? 'no message'}`
    if (response.status === 400 || response.status === 422) throw new InputError({field: '--query'}, message)
    throw new UnreachableError(message)
  }
  if (!response.ok || !body) {
    throw new UnreachableError(`Prometheus at ${url.origin} answered HTTP ${response.status} ${response.statusText}: ${text.slice(0, 200)}`)
  }
  return body
}

function parseValue(v: string): number {
  if (v === 'NaN') return Number.NaN
  if (v === '+Inf') return Number.POSITIVE_INFINITY
  if (v === '-Inf') return Number.NEGATIVE_INFINITY
  return Number(v)
}

export async function queryRange(q: RangeQuery): Promise<PromSeries[]> {
  if (!(q.stepS > 0)) throw new InputError({field: '--step'}, `must be positive, got ${q.stepS}`)
  if (!(q.endS >= q.startS)) throw new InputError({field: '--since'}, 'the range ends before it starts')
  let base: URL
  try {
    base = new URL(q.url)
  } catch {
    throw new InputError({field: '--prometheus'}, `"${q.url}" is not a URL`)
  }
  const timeoutMs = q.timeoutMs ?? 5000
  const bySeries = new Map<string, PromSeries>()
  for (const [s, e] of splitRange(q.startS, q.endS, q.stepS)) {
    const url = new URL(`${base.pathname.replace(/\/$/, '')}/api/v1/query_range`, base)
    url.searchParams.set('query', q.query)
    url.searchParams.set('start', String(s))
    url.searchParams.set('end', String(e))
    url.searchParams.set('step', `${q.stepS}s`)
    const body = await get(url, timeoutMs)
    if (body.data?.resultType !== 'matrix') {
      throw new FleetcapError(`Prometheus returned a ${body.data?.resultType ?? 'missing'} result, expected a matrix`)
    }
    for (const r of body.data.result) {
      const key = JSON.stringify(Object.entries(r.metric).sort(([a], [b]) => a.localeCompare(b)))
      let entry = bySeries.get(key)
      if (!entry) {
        entry = {labels: r.metric, points: []}
        bySeries.set(key, entry)
      }
      for (const [t, v] of r.values) entry.points.push([Number(t), parseValue(v)])
    }
  }
  return [...bySeries.values()]
}

/** `{job="x", instance="y"}` for messages. */
export function formatLabels(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`
}
