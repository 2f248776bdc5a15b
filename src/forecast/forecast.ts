import {InputError} from '../errors.js'
import {type Calibration, calibrate, conformalQuantiles, tidyQuantiles} from './intervals.js'
import {mase, maseScale} from './metrics.js'
import {getModel} from './models/index.js'
import type {FitContext, Fitted} from './models/model.js'
import {defaultSeasonalities} from './series.js'
import {CLASSICAL_MODELS, type Forecast, type ForecastOptions, type ModelChoice, type ModelName, quantileKey, type Series} from './types.js'

/** One model fitted and its quantiles: the shared core of `forecast` and `backtest`. */
export interface Prediction {
  model: ModelName
  params: Record<string, number | string | boolean>
  point: Float64Array
  /** One array per level, in the order of `levels`. */
  quantiles: Float64Array[]
  intervals: string
  fitted: Fitted
  /** Errors of the recent rolling origins (absent for models that give their own quantiles and were not scored). */
  calibration?: Calibration
}

export function checkOptions(options: Pick<ForecastOptions, 'horizon' | 'quantiles'>): void {
  if (!Number.isInteger(options.horizon) || options.horizon < 1) {
    throw new InputError({field: 'horizon'}, `must be a whole number of steps ≥ 1, got ${options.horizon}`)
  }
  if (options.quantiles.length === 0) throw new InputError({field: 'quantiles'}, 'at least one quantile level is needed')
  for (const q of options.quantiles) {
    if (!(q > 0 && q < 1)) throw new InputError({field: 'quantiles'}, `a quantile level must be in (0, 1), got ${q}`)
  }
}

export function seasonalitiesOf(series: Series, given?: readonly number[]): number[] {
  const s = given ?? defaultSeasonalities(series.stepS)
  return [...s].filter((m) => Number.isInteger(m) && m >= 2).sort((a, b) => a - b)
}

/** Fit `model` to `values` and produce every level's quantile for `horizon` steps. */
export async function predict(values: Float64Array, imputed: Uint8Array | undefined, model: ModelName, ctx: FitContext, levels: readonly number[], options: {score?: boolean} = {}): Promise<Prediction> {
  const spec = await getModel(model)
  const fitted = await spec.fit(values, {...ctx, levels, imputed})
  const point = fitted.point(ctx.horizon)
  let quantiles: Float64Array[]
  let intervals: string
  let calibration: Calibration | undefined
  if (fitted.quantiles) {
    quantiles = fitted.quantiles(ctx.horizon, levels)
    intervals = fitted.params.calibrationWindows
      ? `pinball-trained quantile outputs, conformal shift per level from ${fitted.params.calibrationWindows} held-back recent windows`
      : 'pinball-trained quantile outputs'
    if (options.score) calibration = calibrate(values, imputed, fitted, ctx.horizon, ctx.seasonalities[0] ?? 1)
  } else {
    calibration = calibrate(values, imputed, fitted, ctx.horizon, ctx.seasonalities[0] ?? 1)
    quantiles = conformalQuantiles(point, calibration, levels)
    intervals = calibration.method
  }
  for (let i = 0; i < point.length; i++) point[i] = Math.max(0, point[i])
  tidyQuantiles(levels, quantiles)
  return {model: fitted.model, params: fitted.params, point, quantiles, intervals, fitted, calibration}
}

/**
 * MASE of the median forecast over the rolling origins that calibrated the model: the mean absolute
 * deviation of each step's errors from that step's median error (the P50 adds the median error),
 * over the in-sample seasonal-naive scale.
 */
export function calibrationMase(cal: Calibration, scale: number): number {
  let sum = 0
  let count = 0
  let prev: Float64Array | undefined
  for (const e of cal.errors) {
    if (e === prev) continue // pooled errors are shared across steps: count them once
    prev = e
    const med = e.length % 2 ? e[(e.length - 1) / 2] : (e[e.length / 2 - 1] + e[e.length / 2]) / 2
    for (const x of e) sum += Math.abs(x - med)
    count += e.length
  }
  return count > 0 ? sum / count / scale : Number.POSITIVE_INFINITY
}

/**
 * `auto` by the calibration backtest: every candidate is fitted once and forecasts from each of the
 * last ~500 origins (rolling, with its fitted parameters). Candidates are scored (calibrationMase)
 * on the older half of those origins; the winner's intervals come from the newer half only, so the
 * errors that chose it do not also size its intervals (a winner's narrow past errors would
 * under-cover). The origins lie inside the fitting window, so fitted parameters have seen them:
 * the score leans a little towards models with fitted parameters (ETS). `backtest` scores `auto`
 * on held-out data it never saw, so the figures it reports are not affected.
 */
export async function predictAuto(values: Float64Array, imputed: Uint8Array | undefined, candidates: readonly ModelName[], ctx: FitContext, levels: readonly number[]): Promise<{prediction: Prediction; scores: Record<string, number>; origins: number}> {
  const scale = maseScale(values, ctx.seasonalities[0] ?? 1)
  const scores: Record<string, number> = {}
  let best: {p: Prediction; score: number} | undefined
  let origins = 0
  for (const model of candidates) {
    const warnings: string[] = []
    const p = await predict(values, imputed, model, {...ctx, warnings}, levels, {score: true})
    const cal = p.calibration!
    const score = calibrationMase({errors: cal.halves?.older ?? cal.errors, method: cal.method}, scale)
    scores[model] = Number(score.toPrecision(6))
    origins = Math.max(origins, Number(/(\d+) rolling origins/.exec(cal.method)?.[1] ?? 0))
    if (best === undefined || score < best.score) {
      best = {p, score}
      ctx.warnings.length = 0
      ctx.warnings.push(...warnings)
    }
  }
  const p = best!.p
  const cal = p.calibration!
  if (cal.halves && !p.fitted.quantiles) {
    const newer: Calibration = {errors: cal.halves.newer, method: `${cal.method}; intervals from the newer half, model picked on the older half`}
    p.quantiles = conformalQuantiles(p.point, newer, levels)
    tidyQuantiles(levels, p.quantiles)
    p.intervals = newer.method
  }
  return {prediction: p, scores, origins}
}

/**
 * `auto`: a rolling-origin backtest on the history itself: each candidate is refitted on the data
 * before each of the last `origins` windows of `horizon` steps and scored by MASE; the lowest mean wins.
 * With too little history for one window, ETS (which itself falls back) is used.
 */
export async function selectModel(values: Float64Array, imputed: Uint8Array | undefined, candidates: readonly ModelName[], ctx: FitContext, origins: number): Promise<{model: ModelName; scores: Record<string, number>; origins: number}> {
  const n = values.length
  const primary = ctx.seasonalities[0] ?? 1
  const m = n >= 2 * primary ? primary : 1
  const usable: number[] = []
  for (let k = 1; k <= origins; k++) {
    const end = n - k * ctx.horizon
    if (end >= Math.max(2 * m, 16)) usable.push(end)
  }
  if (usable.length === 0 || candidates.length === 1) {
    if (candidates.length > 1) ctx.warnings.push(`auto: history of ${n} points is too short for a backtest window of ${ctx.horizon}; using ets`)
    return {model: candidates.length === 1 ? candidates[0] : 'ets', scores: {}, origins: 0}
  }
  const scores: Record<string, number> = {}
  let best: ModelName = candidates[0]
  for (const model of candidates) {
    const spec = await getModel(model)
    let sum = 0
    let count = 0
    for (const end of usable) {
      const train = values.subarray(0, end)
      const fitted = await spec.fit(train, {...ctx, warnings: [], imputed: imputed?.subarray(0, end)})
      const f = fitted.point(ctx.horizon)
      const score = mase(values.subarray(end, end + ctx.horizon), f, maseScale(train, m), imputed?.subarray(end, end + ctx.horizon))
      if (Number.isNaN(score)) continue // a window wholly masked: nothing to score
      sum += score
      count++
    }
    scores[model] = count > 0 ? Number((sum / count).toPrecision(6)) : Number.POSITIVE_INFINITY
    if (scores[model] < (scores[best] ?? Number.POSITIVE_INFINITY) || scores[best] === undefined) best = model
  }
  return {model: best, scores, origins: usable.length}
}

/** A forecast together with the fitted model behind it (what `saveModel` writes). */
export interface Trained {
  forecast: Forecast
  fitted: Fitted
  series: Series
  seasonalities: number[]
  horizon: number
}

/** A probabilistic forecast of `series`: every requested quantile for every step of the horizon. */
export async function forecast(series: Series, options: ForecastOptions): Promise<Forecast> {
  return (await train(series, options)).forecast
}

/** `forecast`, keeping the fitted model (for `saveModel`). */
export async function train(series: Series, options: ForecastOptions): Promise<Trained> {
  checkOptions(options)
  const warnings: string[] = []
  const seasonalities = seasonalitiesOf(series, options.seasonalities)
  const ctx: FitContext = {
    seasonalities,
    horizon: options.horizon,
    seed: options.seed ?? 0,
    warnings,
    neural: options.neural,
    onProgress: options.onProgress,
  }
  const levels = [...options.quantiles]
  let p: Prediction
  let selection: Forecast['selection']
  if (options.model === 'auto') {
    const candidates = options.candidates ?? CLASSICAL_MODELS
    if ((options.autoMethod ?? 'refit') === 'calibration') {
      const r = await predictAuto(series.values, series.imputed, candidates, ctx, levels)
      p = r.prediction
      selection = {method: 'calibration', scores: r.scores, origins: r.origins}
    } else {
      const chosen = await selectModel(series.values, series.imputed, candidates, ctx, options.autoOrigins ?? 3)
      p = await predict(series.values, series.imputed, chosen.model, ctx, levels)
      selection = {method: 'refit', scores: chosen.scores, origins: chosen.origins}
    }
  } else {
    p = await predict(series.values, series.imputed, modelOrThrow(options.model), ctx, levels)
  }
  const quantiles: Record<string, number[]> = {}
  levels.forEach((l, i) => {
    quantiles[quantileKey(l)] = Array.from(p.quantiles[i], (v) => Number(v.toPrecision(8)))
  })
  const endS = series.startS + series.values.length * series.stepS
  const result: Forecast = {
    model: p.model,
    params: p.params,
    stepS: series.stepS,
    timestamps: Array.from({length: options.horizon}, (_, h) => endS + h * series.stepS),
    quantiles,
    levels,
    intervals: p.intervals,
    warnings,
    ...(selection ? {selection} : {}),
  }
  return {forecast: result, fitted: p.fitted, series, seasonalities, horizon: options.horizon}
}

function modelOrThrow(choice: ModelChoice): ModelName {
  if (choice === 'auto') throw new Error('unreachable')
  return choice
}
