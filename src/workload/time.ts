/**
 * Arrival times in traces: ISO-8601 (with a space or "T", up to 9 fractional digits, optional zone;
 * no zone means UTC), epoch seconds or milliseconds, or seconds/milliseconds relative to the trace
 * start. The kind is detected once per file, from the header name and the first row's value.
 */

export type TimeUnit = 'iso' | 'epoch-s' | 'epoch-ms' | 'relative-s' | 'relative-ms'

/** What a reader may be told instead of detecting: 's' and 'ms' still tell epoch from relative by magnitude. */
export type TimeUnitOption = 'auto' | 'iso' | 's' | 'ms'

/** Numbers at or above these are epoch times: 1e8 s is 1973-03-03; 1e11 ms is 1973-03-03 too. */
const EPOCH_S_MIN = 1e8
const EPOCH_MS_MIN = 1e11

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/** Epoch seconds of an ISO-8601 text, or NaN when it is not one (or names an impossible date). */
export function parseIsoSeconds(text: string): number {
  const m = ISO.exec(text)
  if (m === null) return Number.NaN
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac, zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return Number.NaN
  const ms = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC rolls 31 February over into March: refuse it instead.
  if (new Date(ms).getUTCDate() !== day) return Number.NaN
  let t = ms / 1000
  if (frac !== undefined) t += Number(`0.${frac}`)
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    const offH = Number(digits.slice(0, 2))
    const offM = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
    t -= sign * (offH * 3600 + offM * 60)
  }
  return t
}

/** Strict number parse: the whole cell must be a number ("12abc" and "" are not). */
export function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : Number.NaN
}

/** A time unit implied by a column name: "arrival_s" or "time_sec" are seconds, "timestamp_ms" milliseconds. */
export function unitFromHeader(name: string): 's' | 'ms' | undefined {
  const n = name.toLowerCase()
  if (/(^|[_\s(])ms\)?$/.test(n) || n.endsWith('millis') || n.endsWith('milliseconds')) return 'ms'
  if (/(^|[_\s(])(s|sec|secs|seconds)\)?$/.test(n)) return 's'
  return undefined
}

/** Decide the time unit from the first value of a file. Undefined when the value is no time at all. */
export function detectTimeUnit(first: string, hint: TimeUnitOption): TimeUnit | undefined {
  if (hint === 'iso') return Number.isNaN(parseIsoSeconds(first)) ? undefined : 'iso'
  const n = parseNumber(first)
  if (Number.isNaN(n)) {
    if (hint !== 'auto') return undefined
    return Number.isNaN(parseIsoSeconds(first)) ? undefined : 'iso'
  }
  if (hint === 'ms') return n >= EPOCH_MS_MIN ? 'epoch-ms' : 'relative-ms'
  if (hint === 's') return n >= EPOCH_S_MIN ? 'epoch-s' : 'relative-s'
  if (n >= EPOCH_MS_MIN) return 'epoch-ms'
  if (n >= EPOCH_S_MIN) return 'epoch-s'
  return 'relative-s'
}

/** Seconds (epoch or relative, as the unit says) of one cell, or NaN when the cell is not of that unit. */
export function parseTime(text: string, unit: TimeUnit): number {
  if (unit === 'iso') return parseIsoSeconds(text)
  const n = parseNumber(text)
  return unit === 'epoch-ms' || unit === 'relative-ms' ? n / 1000 : n
}

export function isAbsolute(unit: TimeUnit): boolean {
  return unit === 'iso' || unit === 'epoch-s' || unit === 'epoch-ms'
}

/** ISO-8601 (UTC, millisecond precision) of epoch seconds. */
export function isoOf(epochS: number): string {
  return new Date(Math.round(epochS * 1000)).toISOString()
}
