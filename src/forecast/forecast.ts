import {InputError} from '../errors.js'
import {type Calibration, calibrate, clipWarning, conformalQuantiles, observedFloor, tidyQuantiles} from './intervals.js'
import {maseScale} from './metrics.js'
import type {GlobalModel} from './models/global.js'
import {getModel} from './models/index.js'
import type {FitContext, Fitted} from './models/model.js'
import {type Selection, selectAcross} from './select.js'
import {defaultSeasonalities} from './series.js'
import {CLASSICAL_MODELS, type Forecast, type ForecastOptions, type ModelName, quantileKey, type Series, usesNetwork} from './types.js'

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
  if (model === 'ets-nbeats') return predictCombination(values, imputed, ctx, levels)
  const spec = await getModel(model)
  const fitted = await spec.fit(values, {...ctx, levels, imputed})
  const point = fitted.point(ctx.horizon)
  let quantiles: Float64Array[]
  let intervals: string
  let calibration: Calibration | undefined
  if (fitted.quantiles && fitted.global) {
    quantiles = fitted.quantiles(ctx.horizon, levels)
    intervals = `split conformal: residuals of ${fitted.global.params.calibrationWindows ?? '?'} held-out windows per horizon step, scaled by each window's level`
    if (options.score) calibration = calibrate(values, imputed, fitted, ctx.horizon, ctx.seasonalities[0] ?? 1)
  } else {
    calibration = calibrate(values, imputed, fitted, ctx.horizon, ctx.seasonalities[0] ?? 1)
    // The baseline stays textbook: P50 is the value one season earlier, no median-error shift.
    quantiles = conformalQuantiles(point, calibration, levels, {shiftMedian: model !== 'seasonal-naive'})
    intervals = calibration.method
  }
  for (let i = 0; i < point.length; i++) point[i] = Math.max(0, point[i])
  const warning = clipWarning(tidyQuantiles(levels, quantiles, observedFloor(values, imputed)), fitted.model)
  if (warning) ctx.warnings.push(warning)
  return {model: fitted.model, params: fitted.params, point, quantiles, intervals, fitted, calibration}
}

/** `ets-nbeats`: ETS and the network each predicted as alone, then their points and quantiles averaged (combination.ts). */
async function predictCombination(values: Float64Array, imputed: Uint8Array | undefined, ctx: FitContext, levels: readonly number[]): Promise<Prediction> {
  const {combinedFitted, meanOf} = await import('./combination.js')
  const e = await predict(values, imputed, 'ets', ctx, levels)
  const n = await predict(values, imputed, 'nbeats', ctx, levels)
  const quantiles = e.quantiles.map((q, i) => meanOf(q, n.quantiles[i]))
  tidyQuantiles(levels, quantiles, observedFloor(values, imputed))
  const fitted = combinedFitted(e.fitted, n.fitted)
  return {model: 'ets-nbeats', params: fitted.params, point: meanOf(e.point, n.point), quantiles, intervals: `mean of the two models' quantiles: ets (${e.intervals}) and nbeats (${n.intervals})`, fitted}
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
    p.quantiles = conformalQuantiles(p.point, newer, levels, {shiftMedian: p.model !== 'seasonal-naive'})
    tidyQuantiles(levels, p.quantiles, observedFloor(values, imputed))
    p.intervals = newer.method
  }
  return {prediction: p, scores, origins}
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
  return (await trainMany([series], options)).trained[0]
}

export interface TrainedMany {
  trained: Trained[]
  /** The neural network trained for this call (across all series), when one was. */
  global?: GlobalModel
  /** `auto` (refit): the one pick for every series. */
  selection?: Selection
}

/**
 * Forecast many series in one call: the neural model (asked for, or a candidate of `auto`) is trained
 * once across all of them; `auto` picks one model for the call by validation (selectAcross), or per
 * series with `autoMethod: 'calibration'`.
 */
export async function trainMany(list: readonly Series[], options: ForecastOptions): Promise<TrainedMany> {
  checkOptions(options)
  if (list.length === 0) throw new InputError({}, 'no series to forecast')
  const levels = [...options.quantiles]
  const seed = options.seed ?? 0
  const seasonalities = list.map((s) => seasonalitiesOf(s, options.seasonalities))
  const candidates = options.model === 'auto' ? (options.candidates ?? CLASSICAL_MODELS) : []
  const method = options.autoMethod ?? 'refit'
  if (method === 'calibration' && usesNetwork(candidates)) throw new InputError({field: '--auto-method'}, 'calibration cannot score the neural model (its calibration windows are its validation); use --auto-method refit')
  let global: GlobalModel | undefined
  if (usesNetwork([options.model, ...candidates])) {
    const {trainGlobal} = await import('./models/global.js')
    const {neuralParts} = await import('./models/nbeats.js')
    const n = options.neural ?? {}
    global = await trainGlobal(
      await neuralParts(list.map((s, i) => ({values: s.values, imputed: s.imputed, seasonalities: seasonalities[i]})), {horizon: options.horizon, seed, neural: n}),
      {
        horizon: options.horizon,
        seed,
        seasonalities: seasonalities[0],
        ...n,
        onProgress: options.onProgress ? (e) => options.onProgress!({stage: 'train', step: e.step, maxSteps: e.maxSteps, loss: e.trainLoss, validLoss: e.validLoss}) : undefined,
      },
    )
  }
  let selection: Selection | undefined
  if (options.model === 'auto' && method === 'refit') {
    selection = await selectAcross(
      list.map((s, i) => ({values: s.values, imputed: s.imputed, seasonalities: seasonalities[i]})),
      candidates,
      {horizon: options.horizon, seed, neural: options.neural, global},
      options.autoOrigins ?? 3,
    )
  }
  const trained: Trained[] = []
  for (let i = 0; i < list.length; i++) {
    const series = list[i]
    const warnings: string[] = []
    const ctx: FitContext = {seasonalities: seasonalities[i], horizon: options.horizon, seed, warnings, neural: options.neural, global}
    let p: Prediction
    let sel: Forecast['selection']
    if (options.model === 'auto' && method === 'calibration') {
      const r = await predictAuto(series.values, series.imputed, candidates, ctx, levels)
      p = r.prediction
      sel = {method: 'calibration', scores: r.scores, origins: r.origins}
    } else if (selection) {
      warnings.push(...selection.notes)
      p = await predict(series.values, series.imputed, selection.model, ctx, levels)
      sel = {method: 'refit', scores: selection.scores, origins: selection.windows}
    } else {
      p = await predict(series.values, series.imputed, options.model as ModelName, ctx, levels)
    }
    const quantiles: Record<string, number[]> = {}
    levels.forEach((l, k) => {
      quantiles[quantileKey(l)] = Array.from(p.quantiles[k], (v) => Number(v.toPrecision(8)))
    })
    const endS = series.startS + series.values.length * series.stepS
    const result: Forecast = {
      series: series.name,
      model: p.model,
      params: p.params,
      stepS: series.stepS,
      timestamps: Array.from({length: options.horizon}, (_, h) => endS + h * series.stepS),
      quantiles,
      levels,
      intervals: p.intervals,
      warnings,
      ...(sel ? {selection: sel} : {}),
    }
    trained.push({forecast: result, fitted: p.fitted, series, seasonalities: seasonalities[i], horizon: options.horizon})
  }
  return {trained, global, selection}
}
