import {UnreachableError} from '../errors.js'
import {ApiError} from './api-error.js'

/** When the client (client.ts) sends a failed call again, and how long it waits. */

/**
 * How a client rides out an API server that goes away (a restart, a load balancer reset) once it
 * has answered: retries with exponential backoff and full jitter, up to `budgetMs` of failures in a
 * row. The first contact is never retried, so an unreachable cluster still fails in seconds.
 */
export interface RetryPolicy {
  /** Longest run of failures ridden out, ms (default 60 s: an API server restart takes 10-20 s). */
  budgetMs: number
  /** First backoff, ms; doubled per attempt up to maxDelayMs. */
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {budgetMs: 60_000, baseDelayMs: 250, maxDelayMs: 5_000}

/** One retried failure, for progress output. */
export interface RetryEvent {
  what: string
  reason: string
  attempt: number
  delayMs: number
  elapsedMs: number
  budgetMs: number
}

/** Methods whose repetition changes nothing more than the first call did (server-side apply is a PATCH). */
const IDEMPOTENT = new Set(['GET', 'PATCH', 'DELETE', 'HEAD'])

export function isNetworkError(error: unknown): boolean {
  return error instanceof UnreachableError
}

/**
 * Whether a failed call may be sent again, and why: a refused connection was never received (any
 * method); so does a stream an HTTP/2 GOAWAY turned away; a reset, a timeout or a 500/502/504 may have
 * been applied, so only idempotent methods
 * repeat; 429 and 503 say the server did not act on it, and may say when to come back.
 */
export function retryable(error: unknown, method: string): {reason: string; afterMs?: number} | undefined {
  if (error instanceof ApiError) {
    const after = error.retryAfterS !== undefined && Number.isFinite(error.retryAfterS) && error.retryAfterS >= 0 ? Math.min(30_000, error.retryAfterS * 1000) : undefined
    if (error.status === 429 || error.status === 503) return {reason: `HTTP ${error.status}${after === undefined ? '' : `, Retry-After ${error.retryAfterS} s`}`, afterMs: after}
    if ((error.status === 500 || error.status === 502 || error.status === 504) && IDEMPOTENT.has(method)) return {reason: `HTTP ${error.status}`}
    return undefined
  }
  if (!(error instanceof UnreachableError)) return undefined
  if (/connection refused/.test(error.message)) return {reason: 'connection refused'}
  // HTTP/2 GOAWAY: a server shutting down refuses the streams it did not take up; they never ran.
  if (/GOAWAY/.test(error.message)) return {reason: 'server going away (GOAWAY)'}
  if (IDEMPOTENT.has(method) && /connection reset|other side closed|no answer within|socket|network/.test(error.message))
    return {reason: /no answer/.test(error.message) ? 'timed out' : 'connection reset'}
  return undefined
}
