/**
 * A serving profile whose every engine iteration takes `factor` times as long: the one way the
 * simulator and the planner apply a profile's uncertainty band (band.fast, band.slow) or a risk mode.
 * Batching limits, KV cache, price and status are unchanged; only time is scaled, consistently for
 * prefill steps, mixed steps and decode runs.
 */
import type {ServingProfile} from './types.js'

/** The view's marker: how much its step times are scaled relative to the profile it wraps. */
export interface StepScaled {
  readonly stepTimeFactor: number
}

type WithPrefill = {prefillTimeS?: (promptTokens: number, batch?: number) => number}

export function scaleStepTimes<P extends ServingProfile>(profile: P, factor: number): P & StepScaled {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`step-time factor must be a positive number, got ${factor}`)
  const base = profile as P & Partial<StepScaled> & WithPrefill
  const total = (base.stepTimeFactor ?? 1) * factor
  // A prototype-linked view keeps the profile's fields and methods (their `this` included).
  const view = Object.create(profile) as P & StepScaled & WithPrefill
  Object.defineProperties(view, {
    stepTimeFactor: {value: total, enumerable: true},
    stepTimeS: {value: (p: number, d: number, c: number): number => profile.stepTimeS(p, d, c) * factor},
    decodeRunTimeS: {value: (steps: number, seqs: number, ctx: number): number => profile.decodeRunTimeS(steps, seqs, ctx) * factor},
  })
  if (typeof base.prefillTimeS === 'function') {
    const prefill = base.prefillTimeS.bind(profile)
    Object.defineProperty(view, 'prefillTimeS', {value: (promptTokens: number, batch?: number): number => prefill(promptTokens, batch) * factor})
  }
  return view
}

/** The factor a profile's step times carry (1 for an unscaled profile). */
export function stepTimeFactorOf(profile: ServingProfile): number {
  return (profile as Partial<StepScaled>).stepTimeFactor ?? 1
}
