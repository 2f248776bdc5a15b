import {InputError} from '../errors.js'
import {calibrate, conformalQuantiles, tidyQuantiles} from './intervals.js'
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
export async function predict(values: Float64Array, imputed: Uint8Array | undefined, model: ModelName, ctx: FitContext, levels: readonly number[]): Promise<Prediction> {
  const spec = await getModel(model)
  const fitted = await spec.fit(values, {...ctx, levels, imputed})
  const point = fitted.point(ctx.horizon)
  let quantiles: Float64Array[]
  let intervals: string
  if (fitted.quantiles) {
    quantiles = fitted.quantiles(ctx.horizon, levels)
    intervals = 'pinball-trained quantile outputs'
  } else {
    const cal = calibrate(values, imputed, fitted, ctx.horizon, ctx.seasonalities[0] ?? 1)
    quantiles = conformalQuantiles(point, cal, levels)
    intervals = cal.method
  }
  for (let i = 0; i < point.length; i++) point[i] = Math.max(0, point[i])
  tidyQuantiles(levels, quantiles)
  return {model: fitted.model, params: fitted.params, point, quantiles, intervals, fitted}
}

/**
 * `auto`: a rolling-origin backtest on the history itself: each candidate is refitted on the data
 * before each of the last `origins` windows of `horizon` steps and scored by MASE; the lowest mean wins.
 * With too little history for one window, ETS (which itself falls back) is used.
 */
export async function selectModel(values: Float64Array, imputed: Uint8Array | undefined, candidates: readonly ModelName[], ctx: FitContext, origins: number): Promise<{model: ModelName; scores: Record<string, number>; origins: number}> {
  const n = values.length
  const m = ctx.seasonalities[0] ?? 1
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
  let model: ModelName
  let selection: Forecast['selection']
  if (options.model === 'auto') {
    const chosen = await selectModel(series.values, series.imputed, options.candidates ?? CLASSICAL_MODELS, ctx, options.autoOrigins ?? 3)
    model = chosen.model
    selection = {scores: chosen.scores, origins: chosen.origins}
  } else {
    model = modelOrThrow(options.model)
  }
  const levels = [...options.quantiles]
  const p = await predict(series.values, series.imputed, model, ctx, levels)
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
