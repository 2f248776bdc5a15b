import {InputError} from '../errors.js'
import type {SeriesInput} from './io.js'
import {parseTimestamp} from './series.js'

/** The input flags shared by `forecast run`, `forecast backtest` and `plan`, as their flags parse them. */
export interface SeriesInputFlags {
  trace?: string
  series?: string
  prometheus?: string
  query?: string
  /** Seconds back from --until (sharedFlags.since; default 28 days). */
  since?: number
  until?: string
  /** Seconds per step (a durationFlag). */
  step?: number
}

const DEFAULT_SINCE_S = 28 * 86_400

/** Flags → where to read the series from. `nowS` is the caller's clock (the library never reads it). */
export function seriesInputFromFlags(f: SeriesInputFlags, nowS: number): SeriesInput {
  const given = (['series', 'trace', 'prometheus'] as const).filter((k) => f[k] !== undefined)
  if (given.length > 1) throw new InputError({}, `give one input, not ${given.map((k) => `--${k}`).join(' and ')}`)
  const stepS = f.step
  if (f.series !== undefined) return {kind: 'csv', path: f.series, stepS}
  if (f.prometheus !== undefined) {
    let scheme: string | undefined
    try {
      scheme = new URL(f.prometheus).protocol
    } catch {
      scheme = undefined
    }
    if (scheme !== 'http:' && scheme !== 'https:') throw new InputError({field: '--prometheus'}, `not an http(s) URL: "${f.prometheus}"`, {hint: 'e.g. --prometheus http://127.0.0.1:9090'})
    if (!f.query) throw new InputError({field: '--query'}, 'a PromQL query is needed with --prometheus')
    if (stepS === undefined) throw new InputError({field: '--step'}, 'a step (e.g. 5m) is needed with --prometheus')
    let endS = nowS
    if (f.until) {
      endS = parseTimestamp(f.until)
      if (Number.isNaN(endS)) throw new InputError({field: '--until'}, `"${f.until}" is not a time`)
    }
    endS = Math.floor(endS / stepS) * stepS
    const startS = endS - (f.since ?? DEFAULT_SINCE_S)
    return {kind: 'prometheus', url: f.prometheus, query: f.query, startS, endS, stepS}
  }
  if (f.trace !== undefined) {
    if (stepS === undefined) throw new InputError({field: '--step'}, 'a step (e.g. 5m) is needed to aggregate a trace')
    return {kind: 'trace', path: f.trace, stepS}
  }
  throw new InputError({}, 'no input: give --series FILE, --trace FILE --step 5m, or --prometheus URL --query Q')
}
