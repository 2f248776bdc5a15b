import {InputError} from '../errors.js'
import {checkOptions, predict, predictAuto, type Prediction, seasonalitiesOf} from './forecast.js'
import {coverageCounts, mase, maseScale, pinball, smape} from './metrics.js'
import type {GlobalModel} from './models/global.js'
import type {FitContext} from './models/model.js'
import {type Selection, selectAcross} from './select.js'
import {type AutoMethod, CLASSICAL_MODELS, type ModelChoice, type ModelName, type NeuralOptions, type Series, usesNetwork} from './types.js'

/** Levels every backtest forecasts: P50 for point accuracy, P5–P95 and P10–P90 for the 90% and 80% intervals, P99 for sizing. */
export const BACKTEST_LEVELS = [0.05, 0.1, 0.5, 0.9, 0.95, 0.99] as const

export interface BacktestOptions {
  models: readonly ModelChoice[]
  /** Steps held out at the end of each series (each window); M4 hourly: 48. */
  holdout: number
  /** Rolling windows of `holdout` steps at the end of each series (default 1: the last `holdout` points). */
  origins?: number
  seasonalities?: readonly number[]
  /** Candidates of `auto` (default the classical models). */
  candidates?: readonly ModelName[]
  /** How `auto` picks (see ForecastOptions.autoMethod). */
  autoMethod?: AutoMethod
  seed?: number
  neural?: NeuralOptions
  /** Keep every window's forecast in the result (for --out). */
  keepWindows?: boolean
  /** Called after each series of each window (for a progress bar). */
  onSeries?: (done: number, total: number) => void
  /** Called with the neural network's training progress. */
  onTrain?: (e: {step: number; maxSteps: number; trainLoss: number; validLoss: number}) => void
}

/** Accuracy of one model over every series and window. */
export interface ModelScore {
  model: ModelChoice
  /** Mean over series×windows of MASE (seasonal-naive in-sample scale, primary seasonality). */
  mase: number
  /** Mean sMAPE, percent. */
  smape: number
  /** Mean scaled pinball loss over BACKTEST_LEVELS. */
  pinball: number
  /** Share of held-out points inside [P10, P90] (the 80% interval). */
  coverage80: number
  /** Share of held-out points inside [P5, P95] (the 90% interval). */
  coverage90: number
  /** Share of held-out points at or below P90. */
  belowP90: number
  /** Share of held-out points at or below P99. */
  belowP99: number
  windows: number
  points: number
  seconds: number
  /** Which model produced the windows (for `auto`: the picks); a model only ever produces its own. */
  producedBy: Record<string, number>
  /** Distinct warnings (the first of each kind, its numbers kept), with how many windows gave one of that kind. */
  warnings: Record<string, number>
}

/** One series' scores per model (means over its windows). */
export interface SeriesScore {
  series: string
  scores: Record<string, {mase: number; smape: number; pinball: number; coverage80: number; coverage90: number; windows: number}>
}

/** One model's forecast of one held-out window. */
export interface BacktestWindow {
  series: string
  /** 1 = the oldest window. */
  window: number
  model: ModelChoice
  producedBy: ModelName
  /** Index of the first held-out point in the series, and its time (epoch s; M4: step index × step). */
  start: number
  startS: number
  stepS: number
  actual: number[]
  /**
   * MASE's scale for this window: the in-sample mean absolute error of the seasonal naive forecast
   * on the window's training part (primary seasonality), so MASE per window = MAE(P50) ÷ scale.
   */
  scale: number
  /** Keyed like Forecast.quantiles (p5, p10, p50, …). */
  quantiles: Record<string, number[]>
  imputed?: number[]
}

export interface BacktestResult {
  series: number
  holdout: number
  origins: number
  scores: ModelScore[]
  perSeries: SeriesScore[]
  /** The model with the lowest MASE. */
  best: ModelChoice
  /** The neural network's training (when one was trained). */
  neural?: Record<string, number | string>
  /** `auto`'s pick per window (refit method): model and validation scores. */
  autoPicks?: {window: number; model: ModelName; scores: Record<string, number>; windows: number}[]
  windows?: BacktestWindow[]
}

interface Acc {
  model: ModelChoice
  mase: number
  smape: number
  pinball: number
  windows: number
  inside80: number
  inside90: number
  belowP90: number
  belowP99: number
  points: number
  seconds: number
  producedBy: Record<string, number>
  warnings: Record<string, number>
}

/**
 * Rolling-origin backtest: for each series and each of the last `origins` windows, fit on the data
 * before the window, forecast it, and score the forecast against what happened. Held-out points that
 * were imputed (gaps, masked anomalies) are not scored. The neural model is trained once, across
 * every series, on the data before the oldest window (so it never sees any held-out point).
 */
export async function backtest(series: readonly Series[], options: BacktestOptions): Promise<BacktestResult> {
  checkOptions({horizon: options.holdout, quantiles: [...BACKTEST_LEVELS]})
  if (series.length === 0) throw new InputError({}, 'no series to backtest')
  if (options.models.length === 0) throw new InputError({field: '--models'}, 'no models to backtest')
  const origins = options.origins ?? 1
  const H = options.holdout
  const levels = [...BACKTEST_LEVELS]
  const seed = options.seed ?? 0
  const candidates = options.candidates ?? CLASSICAL_MODELS
  const method = options.autoMethod ?? 'refit'
  for (const s of series) {
    const end = s.values.length - origins * H
    if (end < 8) throw new InputError({file: s.name}, `${s.values.length} points leave only ${end} before the held-out window(s); need at least 8`)
  }
  const firstOfKind = new Map<string, string>()
  const acc: Acc[] = options.models.map((model) => ({model, mase: 0, smape: 0, pinball: 0, windows: 0, inside80: 0, inside90: 0, belowP90: 0, belowP99: 0, points: 0, seconds: 0, producedBy: {}, warnings: {}}))
  const seasonalities = series.map((s) => seasonalitiesOf(s, options.seasonalities))

  const wantsNeural = usesNetwork(options.models) || (options.models.includes('auto') && usesNetwork(candidates))
  if (wantsNeural && method === 'calibration' && options.models.includes('auto') && usesNetwork(candidates)) {
    throw new InputError({field: '--auto-method'}, 'calibration cannot score the neural model; use --auto-method refit')
  }
  let global: GlobalModel | undefined
  let neuralSeconds = 0
  if (wantsNeural) {
    const {trainGlobal} = await import('./models/global.js')
    const {neuralParts} = await import('./models/nbeats.js')
    const t0 = performance.now()
    const parts = await neuralParts(
      series.map((s, i) => {
        const end = s.values.length - origins * H
        return {values: s.values.subarray(0, end), imputed: s.imputed?.subarray(0, end), seasonalities: seasonalities[i]}
      }),
      {horizon: H, seed, neural: options.neural},
    )
    global = await trainGlobal(
      parts,
      {horizon: H, seed, seasonalities: seasonalities[0], ...options.neural, onProgress: options.onTrain},
    )
    neuralSeconds = (performance.now() - t0) / 1000
    const a = acc.find((x) => x.model === 'nbeats')
    if (a) a.seconds += neuralSeconds
  }

  const perSeries: SeriesScore[] = series.map((s) => ({series: s.name, scores: {}}))
  const windows: BacktestWindow[] = []
  const autoPicks: NonNullable<BacktestResult['autoPicks']> = []
  const total = series.length * origins
  let done = 0
  for (let k = origins; k >= 1; k--) {
    const windowNo = origins - k + 1
    let selection: Selection | undefined
    const autoAcc = acc.find((x) => x.model === 'auto')
    if (autoAcc && method === 'refit') {
      const t0 = performance.now()
      selection = await selectAcross(
        series.map((s, i) => {
          const end = s.values.length - k * H
          return {values: s.values.subarray(0, end), imputed: s.imputed?.subarray(0, end), seasonalities: seasonalities[i]}
        }),
        candidates,
        {horizon: H, seed, neural: options.neural, global},
        3,
      )
      autoAcc.seconds += (performance.now() - t0) / 1000
      autoPicks.push({window: windowNo, model: selection.model, scores: selection.scores, windows: selection.windows})
      for (const w of selection.notes) autoAcc.warnings[w] = (autoAcc.warnings[w] ?? 0) + 1
    }
    for (let si = 0; si < series.length; si++) {
      const s = series[si]
      const end = s.values.length - k * H
      const train = s.values.slice(0, end)
      const trainImputed = s.imputed?.slice(0, end)
      const actual = s.values.subarray(end, end + H)
      const skip = s.imputed?.subarray(end, end + H)
      const scale = maseScale(train, seasonalities[si][0] ?? 1)
      for (const a of acc) {
        const t0 = performance.now()
        const warnings: string[] = []
        const ctx: FitContext = {seasonalities: seasonalities[si], horizon: H, seed, warnings, neural: options.neural, global}
        let p: Prediction
        if (a.model === 'auto') {
          p = selection ? await predict(train, trainImputed, selection.model, ctx, levels) : (await predictAuto(train, trainImputed, candidates, ctx, levels)).prediction
        } else {
          p = await predict(train, trainImputed, a.model, ctx, levels)
        }
        a.seconds += (performance.now() - t0) / 1000
        a.producedBy[p.model] = (a.producedBy[p.model] ?? 0) + 1
        for (const w of warnings) {
          // Warnings that differ only in their numbers are one kind, shown by its first instance.
          const kind = w.replace(/(?<![A-Za-z])\d+(\.\d+)?/g, 'N')
          const key = firstOfKind.get(kind) ?? w
          firstOfKind.set(kind, key)
          a.warnings[key] = (a.warnings[key] ?? 0) + 1
        }
        if (options.keepWindows) {
          const quantiles: Record<string, number[]> = {}
          levels.forEach((l, i) => {
            quantiles[`p${Number((l * 100).toFixed(4))}`] = Array.from(p.quantiles[i], (v) => Number(v.toPrecision(8)))
          })
          windows.push({series: s.name, window: windowNo, model: a.model, producedBy: p.model, start: end, startS: s.startS + end * s.stepS, stepS: s.stepS, actual: Array.from(actual), scale: Number(scale.toPrecision(8)), quantiles, ...(skip ? {imputed: Array.from(skip)} : {})})
        }
        const [p05, p10, p50, p90, p95, p99] = p.quantiles
        const sm = smape(actual, p50, skip)
        if (Number.isNaN(sm)) continue // every held-out point imputed: nothing to score
        const ms = mase(actual, p50, scale, skip)
        let pl = 0
        levels.forEach((l, i) => {
          pl += pinball(actual, p.quantiles[i], l, scale, skip)
        })
        pl /= levels.length
        const c80 = coverageCounts(actual, p10, p90, skip)
        const c90 = coverageCounts(actual, p05, p95, skip)
        a.mase += ms
        a.smape += sm
        a.pinball += pl
        a.windows++
        a.inside80 += c80.inside
        a.inside90 += c90.inside
        a.points += c90.total
        a.belowP90 += coverageCounts(actual, undefined, p90, skip).inside
        a.belowP99 += coverageCounts(actual, undefined, p99, skip).inside
        const ps = (perSeries[si].scores[a.model] ??= {mase: 0, smape: 0, pinball: 0, coverage80: 0, coverage90: 0, windows: 0})
        ps.mase += ms
        ps.smape += sm
        ps.pinball += pl
        ps.coverage80 += c80.inside / Math.max(1, c80.total)
        ps.coverage90 += c90.inside / Math.max(1, c90.total)
        ps.windows++
      }
      done++
      options.onSeries?.(done, total)
    }
  }
  const r4 = (x: number): number => Number(x.toFixed(4))
  for (const ps of perSeries) {
    for (const v of Object.values(ps.scores)) {
      const w = v.windows
      v.mase = r4(v.mase / w)
      v.smape = r4(v.smape / w)
      v.pinball = r4(v.pinball / w)
      v.coverage80 = r4(v.coverage80 / w)
      v.coverage90 = r4(v.coverage90 / w)
    }
  }
  const scores: ModelScore[] = acc.map((a) => ({
    model: a.model,
    mase: r4(a.mase / a.windows),
    smape: r4(a.smape / a.windows),
    pinball: r4(a.pinball / a.windows),
    coverage80: r4(a.inside80 / a.points),
    coverage90: r4(a.inside90 / a.points),
    belowP90: r4(a.belowP90 / a.points),
    belowP99: r4(a.belowP99 / a.points),
    windows: a.windows,
    points: a.points,
    seconds: Number(a.seconds.toFixed(3)),
    producedBy: a.producedBy,
    warnings: a.warnings,
  }))
  const best = scores.reduce((b, s) => (s.mase < b.mase ? s : b)).model
  return {
    series: series.length,
    holdout: H,
    origins,
    scores,
    perSeries,
    best,
    ...(global ? {neural: {...global.params, trainMs: global.trainMs ?? 0, trainCpuMs: global.trainCpuMs ?? 0}} : {}),
    ...(autoPicks.length > 0 ? {autoPicks} : {}),
    ...(options.keepWindows ? {windows} : {}),
  }
}
