import {FleetcapError} from '../errors.js'
import type {LoadProfile} from '../k6/load.js'
import type {K6Measurement} from '../k6/summary.js'
import type {LoadFigures, Predictor} from './predict.js'

/** The figures a k6 measurement yields, named as predictions name them. */
export function measuredFigures(m: K6Measurement, durationS?: number): LoadFigures {
  const span = durationS ?? m.durationS
  return {
    latencyP50Ms: m.latencyMs?.p50,
    latencyP95Ms: m.latencyMs?.p95,
    latencyP99Ms: m.latencyMs?.p99,
    ttftP50Ms: m.ttftMs?.p50,
    ttftP95Ms: m.ttftMs?.p95,
    tpotP50Ms: m.tpotMs?.p50,
    tpotP95Ms: m.tpotMs?.p95,
    itlP50Ms: m.itlMs?.p50,
    itlP95Ms: m.itlMs?.p95,
    throughputRps: span ? m.requests / span : undefined,
    outputTokensPerS: span && m.outputTokens !== undefined ? m.outputTokens / span : undefined,
  }
}

/**
 * The figures the fit matches: the latency quantiles, which the step time drives. Throughput is
 * reported but not fitted: under an arrival-rate load it follows the offered rate, not the profile.
 */
export const FITTED_FIGURES = ['ttftP50Ms', 'ttftP95Ms', 'tpotP50Ms', 'tpotP95Ms', 'latencyP50Ms', 'latencyP95Ms'] as const
export const REPORTED_FIGURES = [...FITTED_FIGURES, 'itlP50Ms', 'itlP95Ms', 'latencyP99Ms', 'throughputRps', 'outputTokensPerS'] as const
export type FigureName = (typeof REPORTED_FIGURES)[number]

export interface FigureComparison {
  figure: FigureName
  measured: number
  predicted: number
  /** (predicted − measured) / measured. */
  error: number
  fitted: boolean
}

export interface CalibrationResult {
  /** Multiplier on the profile's step time that best matches the measurement. */
  stepScale: number
  before: FigureComparison[]
  after: FigureComparison[]
  /** Root mean square of log(predicted / measured) over the fitted figures. */
  rmsLogErrorBefore: number
  rmsLogErrorAfter: number
  predictedBefore: LoadFigures
  predictedAfter: LoadFigures
  measured: LoadFigures
  /** Every scale the search evaluated and its RMS log error, by scale (the fit's objective). */
  scan: Array<{scale: number; rmsLogError: number}>
}

export function compareFigures(measured: LoadFigures, predicted: LoadFigures, fitted: readonly FigureName[] = FITTED_FIGURES): FigureComparison[] {
  const out: FigureComparison[] = []
  for (const figure of REPORTED_FIGURES) {
    const m = measured[figure]
    const p = predicted[figure]
    if (m === undefined || p === undefined || !(m > 0) || !Number.isFinite(p)) continue
    out.push({figure, measured: m, predicted: p, error: (p - m) / m, fitted: fitted.includes(figure)})
  }
  return out
}

export function rmsLog(measured: LoadFigures, predicted: LoadFigures, figures: readonly FigureName[] = FITTED_FIGURES): number {
  let sum = 0
  let n = 0
  for (const figure of figures) {
    const m = measured[figure]
    const p = predicted[figure]
    if (m === undefined || p === undefined || !(m > 0) || !(p > 0)) continue
    sum += Math.log(p / m) ** 2
    n++
  }
  return n === 0 ? Number.NaN : Math.sqrt(sum / n)
}

export interface CalibrateOptions {
  /** Search range of the scale; the fit reports when it lands on an edge. */
  minScale?: number
  maxScale?: number
  /** The figures the objective matches (default FITTED_FIGURES). */
  figures?: readonly FigureName[]
}

/**
 * Fit one factor on the serving profile's step time: predict the measured load at scale s and find
 * the s that minimises the RMS log error of the latency figures. A log-spaced scan finds the basin
 * (the objective is not smooth: batching is discrete), golden-section search refines it.
 */
export async function calibrateStepScale(
  measurement: K6Measurement,
  load: LoadProfile,
  predict: Predictor,
  options: CalibrateOptions = {},
): Promise<CalibrationResult> {
  const durationS = load.stages.reduce((s, st) => s + st.durationS, 0)
  const measured = measuredFigures(measurement, durationS)
  const figures = options.figures ?? FITTED_FIGURES
  if (figures.every((f) => measured[f] === undefined)) {
    throw new FleetcapError('the k6 output has no latency figures to calibrate against (no http_req_duration, ttft or tpot)')
  }
  const lo = Math.log(options.minScale ?? 0.1)
  const hi = Math.log(options.maxScale ?? 10)
  const cache = new Map<number, number>()
  const objective = async (logS: number): Promise<number> => {
    const hit = cache.get(logS)
    if (hit !== undefined) return hit
    const v = rmsLog(measured, await predict(load, Math.exp(logS)), figures)
    cache.set(logS, v)
    return v
  }
  const steps = 24
  let best = 0
  let bestV = Infinity
  for (let i = 0; i <= steps; i++) {
    const x = lo + ((hi - lo) * i) / steps
    const v = await objective(x)
    if (v < bestV) {
      bestV = v
      best = x
    }
  }
  const width = (hi - lo) / steps
  let a = Math.max(lo, best - width)
  let b = Math.min(hi, best + width)
  const g = (Math.sqrt(5) - 1) / 2
  let c = b - g * (b - a)
  let d = a + g * (b - a)
  let fc = await objective(c)
  let fd = await objective(d)
  for (let i = 0; i < 30 && b - a > 1e-4; i++) {
    if (fc <= fd) {
      b = d
      d = c
      fd = fc
      c = b - g * (b - a)
      fc = await objective(c)
    } else {
      a = c
      c = d
      fc = fd
      d = a + g * (b - a)
      fd = await objective(d)
    }
  }
  const fitted = fc <= fd ? c : d
  const stepScale = (fc <= fd ? fc : fd) <= bestV ? Math.exp(fitted) : Math.exp(best)
  const predictedBefore = await predict(load, 1)
  const predictedAfter = await predict(load, stepScale)
  return {
    stepScale,
    before: compareFigures(measured, predictedBefore),
    after: compareFigures(measured, predictedAfter),
    rmsLogErrorBefore: rmsLog(measured, predictedBefore, figures),
    rmsLogErrorAfter: rmsLog(measured, predictedAfter, figures),
    predictedBefore,
    predictedAfter,
    measured,
    scan: [...cache.entries()].sort((x, y) => x[0] - y[0]).map(([logS, v]) => ({scale: Math.exp(logS), rmsLogError: v})),
  }
}
