/**
 * Rates as people write them: "2/s", "120/min", "7200/h", "50000/day", "5 rps", or a bare number in
 * the caller's unit (per second unless said otherwise). Parsed to events per second.
 */

const PER_S: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  rps: 1,
  m: 60,
  min: 60,
  minute: 60,
  rpm: 60,
  h: 3600,
  hour: 3600,
  d: 86_400,
  day: 86_400,
  w: 604_800,
  week: 604_800,
}

/** The unit a bare number is in: per second (`2` = 2/s) or per day (`50000` = 50,000/day). */
export type BareRateUnit = 's' | 'day'

const RATE = /^(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*(?:\/\s*(s|sec|second|m|min|minute|h|hour|d|day|w|week)|\s*(rps|rpm))?$/

/** Events per second in `text`, or undefined when it is not a rate. A negative rate is not a rate. */
export function tryParseRate(text: string, bare: BareRateUnit = 's'): number | undefined {
  const m = RATE.exec(text.trim().toLowerCase())
  if (m === null) return undefined
  const value = Number(m[1]) * 10 ** Number(m[2] ?? 0)
  const unit = m[3] ?? m[4]
  if (unit === undefined) return bare === 's' ? value : value / 86_400
  return value / PER_S[unit]
}

export const RATE_EXAMPLES = '2/s, 120/min, 7200/h, 50000/day'
