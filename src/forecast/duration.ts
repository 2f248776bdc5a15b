import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {tryParseDuration} from '../util/duration.js'

/** `90s`, `5m`, `1h`, `2d`, `1w`, `1h30m` → seconds (src/util/duration), as an input error naming the flag. */
export function parseDurationS(text: string, field: string): number {
  const s = tryParseDuration(text)
  if (s === undefined || !(s > 0) || !Number.isFinite(s)) {
    throw new InputError({field}, `"${text}" is not a duration (e.g. 30s, 5m, 1h, 2d, 1w)`)
  }
  return s
}

/**
 * A duration as a whole number of steps; refuses one that is not a multiple of the step. With
 * `bareIsSteps`, a plain integer is a number of steps (`--horizon 48`), else seconds.
 */
export function durationSteps(text: string, stepS: number, field: string, bareIsSteps = false): number {
  if (bareIsSteps && /^\d+$/.test(text.trim())) {
    const n = Number(text)
    if (n < 1) throw new InputError({field}, `must be at least one step, got ${text}`)
    if (n > LIMITS.forecastSteps) throw new InputError({field}, `more than ${LIMITS.forecastSteps.toLocaleString('en-US')} steps (got ${text})`)
    return n
  }
  const s = parseDurationS(text, field)
  const steps = s / stepS
  if (Math.abs(steps - Math.round(steps)) > 1e-9 || Math.round(steps) < 1) {
    throw new InputError({field}, `${text} is not a whole number of ${stepS} s steps`)
  }
  if (Math.round(steps) > LIMITS.forecastSteps) throw new InputError({field}, `${text} is more than ${LIMITS.forecastSteps.toLocaleString('en-US')} steps of ${stepS} s`)
  return Math.round(steps)
}
