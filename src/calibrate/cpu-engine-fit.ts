import type {LoadProfile} from '../k6/load.js'
import type {K6Measurement} from '../k6/summary.js'
import {type CpuEngineProfile, cpuEngineLimits} from './cpu-engine.js'
import {calibrateStepScale, type CalibrationResult, compareFigures, type FigureName, measuredFigures, rmsLog} from './fit.js'
import {replayPredictor} from './predict.js'

/**
 * Fit a CPU llama.cpp profile to a k6 run with two factors, one on the prefill cost and one on the
 * decode step, when the run read the stream as it arrived (k6/x/fleetcap-stream: TTFT at the first
 * token, every inter-token gap): the decode factor on the medians of the inter-token gap and of the
 * time per output token, the prefill factor on TTFT p50 and p95, alternately (each holding the
 * other), until neither moves. The decode tails are left out of the fit: they are the steps that
 * carry another request's prefill (the model predicts those) plus whatever else the machine ran
 * (it does not), and fitting the decode cost to them inflates every other step. Prefill and decode contend
 * for the same cores in different proportions under different token mixes, so one factor fitted
 * on one mix transfers badly to another. Without stream figures there is nothing to separate them
 * by: one factor on the whole step, as for catalog profiles.
 */
export const DECODE_FIGURES: readonly FigureName[] = ['itlP50Ms', 'tpotP50Ms']
export const PREFILL_FIGURES: readonly FigureName[] = ['ttftP50Ms', 'ttftP95Ms']
/** The two-factor fit's objective, and what its before/after error is reported over. */
const FIT_FIGURES: readonly FigureName[] = [...DECODE_FIGURES, ...PREFILL_FIGURES]

export interface EngineFit extends CalibrationResult {
  /** Factor on the prefill term; equal to stepScale when the fit had one factor. */
  prefillScale: number
  twoFactor: boolean
}

/** The profile with its factors multiplied by (prefill, decode). */
export function scaledEngine(p: CpuEngineProfile, prefill: number, decode: number, source: string): CpuEngineProfile {
  const d = p.stepTimeScale?.value ?? 1
  const pf = p.prefillTimeScale?.value ?? d
  return {...p, stepTimeScale: {value: d * decode, source}, prefillTimeScale: {value: pf * prefill, source}}
}

export async function fitCpuEngine(measurement: K6Measurement, load: LoadProfile, profile: CpuEngineProfile, replicas = 1): Promise<EngineFit> {
  const measured = measuredFigures(measurement, load.stages.reduce((s, st) => s + st.durationS, 0))
  const has = (figures: readonly FigureName[]): boolean => figures.some((f) => measured[f] !== undefined)
  if (!has(['itlP50Ms']) || !has(PREFILL_FIGURES)) {
    const one = await calibrateStepScale(measurement, load, replayPredictor(cpuEngineLimits(profile), replicas))
    return {...one, prefillScale: one.stepScale, twoFactor: false}
  }
  const predictAt = (prefill: number, decode: number) => replayPredictor(cpuEngineLimits(scaledEngine(profile, prefill, decode, 'fit')), replicas)
  let prefill = 1
  let decode = 1
  const scan: CalibrationResult['scan'] = []
  // Each half-step lowers its own figures' error, not always the other's: keep the best pair seen.
  const objective = async (p: number, d: number): Promise<number> => rmsLog(measured, await predictAt(p, d)(load, 1), FIT_FIGURES)
  let best = {prefill, decode, error: await objective(1, 1)}
  for (let round = 0; round < 4; round++) {
    const lastP = prefill
    const lastD = decode
    const p = prefill
    const d = await calibrateStepScale(measurement, load, (l, s) => predictAt(p, s)(l, 1), {figures: DECODE_FIGURES})
    decode = d.stepScale
    const dd = decode
    const f = await calibrateStepScale(measurement, load, (l, s) => predictAt(s, dd)(l, 1), {figures: PREFILL_FIGURES})
    prefill = f.stepScale
    scan.push(...f.scan)
    const error = await objective(prefill, decode)
    if (error < best.error) best = {prefill, decode, error}
    if (Math.abs(Math.log(prefill / lastP)) < 0.005 && Math.abs(Math.log(decode / lastD)) < 0.005) break
  }
  prefill = best.prefill
  decode = best.decode
  const predictedBefore = await predictAt(1, 1)(load, 1)
  const predictedAfter = await predictAt(prefill, decode)(load, 1)
  return {
    stepScale: decode,
    prefillScale: prefill,
    twoFactor: true,
    before: compareFigures(measured, predictedBefore, FIT_FIGURES),
    after: compareFigures(measured, predictedAfter, FIT_FIGURES),
    rmsLogErrorBefore: rmsLog(measured, predictedBefore, FIT_FIGURES),
    rmsLogErrorAfter: rmsLog(measured, predictedAfter, FIT_FIGURES),
    predictedBefore,
    predictedAfter,
    measured,
    scan,
  }
}
