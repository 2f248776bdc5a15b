import {InputError} from '../errors.js'
import {checkOptions, predict, predictAuto, type Prediction, seasonalitiesOf, selectModel} from './forecast.js'
import {coverageCounts, mase, maseScale, pinball, smape} from './metrics.js'
import type {FitContext} from './models/model.js'
import {type AutoMethod, CLASSICAL_MODELS, type ModelChoice, type ModelName, type NeuralOptions, type Series} from './types.js'

/** Levels every backtest forecasts: P50 for point accuracy, P5–P95 for the 90% interval, P90/P99 for sizing. */
export const BACKTEST_LEVELS = [0.05, 0.5, 0.9, 0.95, 0.99] as const

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
  /** Called after each series (for a progress bar). */
  onSeries?: (done: number, total: number) => void
  /** Keep each window's scores (and, for the first series, its forecast paths) in `windows`: what a report draws. */
  keepWindows?: boolean
}

/** One scored window of one model (BacktestOptions.keepWindows). */
export interface WindowScore {
  series: string
  /** Index of the window's first held-out step in the series. */
  start: number
  model: ModelChoice
  mase: number
  smape: number
  /** First series only: the held-out values and the forecast's P50, P90, P99 over them. */
  paths?: {actual: number[]; p50: number[]; p90: number[]; p99: number[]}
}

/** Accuracy of one model over every series and window. */
export interface ModelScore {
  model: ModelChoice
  /** Mean over series×windows of MASE (seasonal-naive in-sample scale, primary seasonality). */
  mase: number
  /** Mean sMAPE, percent. */
  smape: number
  /** Mean scaled pinball loss over the levels 0.05, 0.5, 0.9, 0.95, 0.99. */
  pinball: number
  /** Share of held-out points inside [P5, P95] (the 90% interval). */
  coverage90: number
  /** Share of held-out points at or below P90. */
  belowP90: number
  /** Share of held-out points at or below P99. */
  belowP99: number
  windows: number
  points: number
  seconds: number
  /** For `auto`: how often each model was picked. */
  picked?: Record<string, number>
  /** Distinct warnings (fallbacks), with counts. */
  warnings: Record<string, number>
}

export interface BacktestResult {
  series: number
  holdout: number
  origins: number
  scores: ModelScore[]
  /** The model with the lowest MASE. */
  best: ModelChoice
  windows?: WindowScore[]
}

/**
 * Rolling-origin backtest: for each series and each of the last `origins` windows, fit on the data
 * before the window, forecast it, and score the forecast against what happened. Held-out points that
 * were imputed (gaps, masked anomalies) are not scored.
 */
export async function backtest(series: readonly Series[], options: BacktestOptions): Promise<BacktestResult> {
  checkOptions({horizon: options.holdout, quantiles: [...BACKTEST_LEVELS]})
  if (series.length === 0) throw new InputError({}, 'no series to backtest')
  if (options.models.length === 0) throw new InputError({field: '--models'}, 'no models to backtest')
  const origins = options.origins ?? 1
  const H = options.holdout
  const levels = [...BACKTEST_LEVELS]
  const acc = options.models.map((model) => ({
    model,
    mase: 0,
    smape: 0,
    pinball: 0,
    windows: 0,
    inside90: 0,
    belowP90: 0,
    belowP99: 0,
    points: 0,
    seconds: 0,
    picked: {} as Record<string, number>,
    warnings: {} as Record<string, number>,
  }))
  let done = 0
  const windows: WindowScore[] = []
  for (const s of series) {
    const seasonalities = seasonalitiesOf(s, options.seasonalities)
    const m = seasonalities[0] ?? 1
    for (let k = origins; k >= 1; k--) {
      const end = s.values.length - k * H
      if (end < 8) throw new InputError({file: s.name}, `${s.values.length} points leave only ${end} before the held-out window(s); need at least 8`)
      const train = s.values.slice(0, end)
      const trainImputed = s.imputed?.slice(0, end)
      const actual = s.values.subarray(end, end + H)
      const skip = s.imputed?.subarray(end, end + H)
      const scale = maseScale(train, m)
      for (const a of acc) {
        const t0 = performance.now()
        const warnings: string[] = []
        const ctx: FitContext = {seasonalities, horizon: H, seed: options.seed ?? 0, warnings, neural: options.neural}
        let p: Prediction
        if (a.model === 'auto') {
          const candidates = options.candidates ?? CLASSICAL_MODELS
          if ((options.autoMethod ?? 'refit') === 'calibration') {
            p = (await predictAuto(train, trainImputed, candidates, ctx, levels)).prediction
          } else {
            const model = (await selectModel(train, trainImputed, candidates, ctx, 3)).model
            p = await predict(train, trainImputed, model, ctx, levels)
          }
          a.picked[p.model] = (a.picked[p.model] ?? 0) + 1
        } else {
          p = await predict(train, trainImputed, a.model, ctx, levels)
        }
        a.seconds += (performance.now() - t0) / 1000
        for (const w of warnings) {
          const key = w.replace(/\d+ points/, 'N points')
          a.warnings[key] = (a.warnings[key] ?? 0) + 1
        }
        const [p05, p50, p90, p95, p99] = p.quantiles
        const sm = smape(actual, p50, skip)
        if (Number.isNaN(sm)) continue // every held-out point imputed: nothing to score
        const ma = mase(actual, p50, scale, skip)
        a.mase += ma
        a.smape += sm
        if (options.keepWindows) {
          const first = s === series[0]
          windows.push({series: s.name, start: end, model: a.model, mase: ma, smape: sm, ...(first ? {paths: {actual: [...actual], p50: [...p50], p90: [...p90], p99: [...p99]}} : {})})
        }
        let pl = 0
        levels.forEach((l, i) => {
          pl += pinball(actual, p.quantiles[i], l, scale, skip)
        })
        a.pinball += pl / levels.length
        a.windows++
        const c90 = coverageCounts(actual, p05, p95, skip)
        a.inside90 += c90.inside
        a.points += c90.total
        a.belowP90 += coverageCounts(actual, undefined, p90, skip).inside
        a.belowP99 += coverageCounts(actual, undefined, p99, skip).inside
      }
    }
    done++
    options.onSeries?.(done, series.length)
  }
  const r4 = (x: number): number => Number(x.toFixed(4))
  const scores: ModelScore[] = acc.map((a) => ({
    model: a.model,
    mase: r4(a.mase / a.windows),
    smape: r4(a.smape / a.windows),
    pinball: r4(a.pinball / a.windows),
    coverage90: r4(a.inside90 / a.points),
    belowP90: r4(a.belowP90 / a.points),
    belowP99: r4(a.belowP99 / a.points),
    windows: a.windows,
    points: a.points,
    seconds: Number(a.seconds.toFixed(3)),
    ...(a.model === 'auto' ? {picked: a.picked} : {}),
    warnings: a.warnings,
  }))
  const best = scores.reduce((b, s) => (s.mase < b.mase ? s : b)).model
  return {series: series.length, holdout: H, origins, scores, best, ...(options.keepWindows ? {windows} : {})}
}
