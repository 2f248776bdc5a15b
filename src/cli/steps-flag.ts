/**
 * A length that is "a duration or a number of steps" (`forecast --horizon 2d`, `--holdout 48`): the
 * flag knows neither the series nor its step, so it keeps what the user wrote as `{steps}` or
 * `{seconds}`, and `toSteps` converts once the step is known (after the series is read).
 */
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {tryParseDuration} from '../util/duration.js'
import {flagKind} from './flags.js'

/** A bare whole number is steps; anything else is a duration in seconds. */
export type StepsOrDuration = {steps: number} | {seconds: number}

const most = LIMITS.forecastSteps.toLocaleString('en-US')

/** "48" → {steps: 48}; "2d", "1h30m" → {seconds}; refuses 0, fractions of a step and more than LIMITS.forecastSteps steps. */
export function parseStepsOrDuration(text: string, flag: string): StepsOrDuration {
  const t = text.trim()
  if (/^\d+$/.test(t)) {
    const n = Number(t)
    if (n < 1) throw new InputError({field: `--${flag}`}, `must be at least one step, got ${text}`)
    if (n > LIMITS.forecastSteps) throw new InputError({field: `--${flag}`}, `more than ${most} steps (got ${text})`)
    return {steps: n}
  }
  const s = tryParseDuration(t)
  if (s === undefined || !Number.isFinite(s) || !(s > 0)) {
    throw new InputError({field: `--${flag}`}, `"${text}" is neither a number of steps nor a duration (e.g. 48, 30m, 12h, 2d, 1w)`)
  }
  return {seconds: s}
}

/** `--horizon 2d` / `--horizon 48`: a StepsOrDuration, converted with `toSteps` once the step is known. */
export const stepsFlag = (): ReturnType<typeof flagKind<StepsOrDuration>> => flagKind('<steps|duration>', parseStepsOrDuration)

/**
 * The value as a whole number of `stepS`-second steps; a duration that is not a whole number of
 * steps, or one of more than LIMITS.forecastSteps steps, is an error naming the flag (`flag` without
 * its dashes, as the flag kinds of flags.ts name it).
 */
export function toSteps(value: StepsOrDuration, stepS: number, flag: string): number {
  if ('steps' in value) return value.steps
  const steps = value.seconds / stepS
  const n = Math.round(steps)
  const written = formatSeconds(value.seconds)
  if (Math.abs(steps - n) > 1e-9 || n < 1) throw new InputError({field: `--${flag}`}, `${written} is not a whole number of ${stepS} s steps`)
  if (n > LIMITS.forecastSteps) throw new InputError({field: `--${flag}`}, `${written} is more than ${most} steps of ${stepS} s`)
  return n
}

/** A duration as the user likely wrote it ("45m", "2d", "90s"), for error messages. */
function formatSeconds(s: number): string {
  for (const [unit, n] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= n && s % n === 0) return `${s / n}${unit}`
  }
  return `${s}s`
}
