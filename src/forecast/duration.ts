import {InputError} from '../errors.js'

const UNITS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800}

/** `90s`, `5m`, `1h`, `2d`, `1w`, `1h30m` → seconds. A bare number is seconds. */
export function parseDurationS(text: string, field: string): number {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t)
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy
  let total = 0
  let consumed = 0
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]]
    consumed = re.lastIndex
  }
  if (consumed !== t.length || t.length === 0 || !(total > 0)) {
    throw new InputError({field}, `"${text}" is not a duration (e.g. 30s, 5m, 1h, 2d, 1w)`)
  }
  return total
}

/** A duration as a whole number of steps; refuses one that is not a multiple of the step. */
export function durationSteps(text: string, stepS: number, field: string): number {
  if (/^\d+$/.test(text.trim()) && field === '--horizon') return Number(text) // bare number of steps
  const s = parseDurationS(text, field)
  const steps = s / stepS
  if (Math.abs(steps - Math.round(steps)) > 1e-9 || Math.round(steps) < 1) {
    throw new InputError({field}, `${text} is not a whole number of ${stepS} s steps`)
  }
  return Math.round(steps)
}
