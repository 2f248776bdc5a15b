/**
 * Durations as people write them: "90s", "15m", "2h", "1d", "1w", "500ms", combinations such as
 * "1h30m", or a bare number of seconds. Parsed to seconds.
 */

const UNIT_S: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800}

const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d|w)/y

/** Seconds in `text`, or undefined when it is not a duration. Negative durations are not durations. */
export function tryParseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase()
  if (s === '') return undefined
  if (/^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/.test(s)) return Number(s)
  let total = 0
  let pos = 0
  while (pos < s.length) {
    if (s[pos] === ' ') {
      pos++
      continue
    }
    PART.lastIndex = pos
    const m = PART.exec(s)
    if (m === null) return undefined
    total += Number(m[1]) * UNIT_S[m[2]]
    pos = PART.lastIndex
  }
  return total
}

/** Seconds in `text`; throws a RangeError that quotes the text when it is not a duration. */
export function parseDuration(text: string): number {
  const v = tryParseDuration(text)
  if (v === undefined || !Number.isFinite(v)) {
    throw new RangeError(`not a duration (got "${text}"); write e.g. 90s, 15m, 2h, 1d or 1h30m`)
  }
  return v
}

/**
 * A latency or span in the unit a reader takes in at once: "840 ms", "12.50 s", "45.0 min", "3.4 h",
 * "8.4 d" (never "12118.7 min").
 */
export function humanSeconds(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  if (x < 1) return `${(x * 1000).toFixed(x < 0.01 ? 2 : 1)} ms`
  if (x < 120) return `${x.toFixed(2)} s`
  if (x < 120 * 60) return `${(x / 60).toFixed(1)} min`
  if (x < 48 * 3600) return `${(x / 3600).toFixed(1)} h`
  return `${(x / 86_400).toFixed(1)} d`
}

/** A short human form: 42s, 15m, 2h 30m, 3d 4h. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds)
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 3 : 1))}s`
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  let rest = Math.round(seconds)
  for (const [u, n] of units) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${u}`)
      rest %= n
    }
    if (parts.length === 2) break
  }
  return parts.join(' ')
}
