/**
 * Contracts of forecasting. The planner (src/planner) consumes `Forecast`; everything here is plain
 * data so that it can be printed as JSON, written to CSV, and compared across runs byte for byte.
 */

/** A regular time series: `values[i]` is the value over [startS + i·stepS, startS + (i+1)·stepS). */
export interface Series {
  /** Name for reports: the file, the M4 id, the PromQL query. */
  name: string
  /** Epoch seconds (UTC) of the first point; 0 for series without timestamps (M4). */
  startS: number
  /** Seconds between points. */
  stepS: number
  /** Finite, non-negative values after cleaning (see `CleanPolicy`). */
  values: Float64Array
  /**
   * 1 where a value was not observed but filled (gap) or masked (anomaly window): models fit on the
   * filled value, backtests do not score it. Absent when every point was observed.
   */
  imputed?: Uint8Array
}

/** What to do with a missing step (a gap in the timestamps, or a NaN/empty value). */
export type GapPolicy = 'fill' | 'drop' | 'refuse'

/** A known anomaly window (holiday, incident), epoch seconds, [fromS, toS]. */
export interface MaskWindow {
  fromS: number
  toS: number
  /** As the user wrote it, for messages. */
  label: string
}

export const MODEL_NAMES = ['seasonal-naive', 'ets', 'linear', 'nbeats', 'ets-nbeats'] as const
export type ModelName = (typeof MODEL_NAMES)[number]
/** Models that need the global network trained first (`ets-nbeats`: the mean of ETS and the network). */
export const NEURAL_MODELS: readonly ModelName[] = ['nbeats', 'ets-nbeats']
export const usesNetwork = (names: readonly string[]): boolean => names.some((n) => (NEURAL_MODELS as readonly string[]).includes(n))
/** What a user may ask for: a model, or `auto` (picked per series by rolling-origin backtest). */
export type ModelChoice = ModelName | 'auto'

/** The models `auto` compares unless told otherwise: the classical ones (fast, no training). */
export const CLASSICAL_MODELS: readonly ModelName[] = ['seasonal-naive', 'ets', 'linear']

export interface ForecastOptions {
  model: ModelChoice
  /** Number of steps ahead. */
  horizon: number
  /** Quantile levels in (0, 1), e.g. [0.5, 0.9, 0.99]. */
  quantiles: readonly number[]
  /** Seasonal periods in steps; default from the step (one day and one week when they fit). */
  seasonalities?: readonly number[]
  /** Candidates for `auto`; default CLASSICAL_MODELS. */
  candidates?: readonly ModelName[]
  /**
   * How `auto` backtests its candidates: `refit` (default) refits each candidate before each of the
   * last `autoOrigins` windows of `horizon` steps and picks the lowest MASE; `calibration` fits each
   * candidate once and scores it on its errors from the older half of the last ~500 rolling origins
   * (faster; see predictAuto).
   */
  autoMethod?: AutoMethod
  /** Windows of the `refit` method (default 3). */
  autoOrigins?: number
  /** Seed of every random choice (neural weight init, shuffling). */
  seed?: number
  /** Neural training options. */
  neural?: NeuralOptions
  /** Progress (training epochs); the command renders it, the library never prints. */
  onProgress?: (event: ProgressEvent) => void
}

export type AutoMethod = 'calibration' | 'refit'

export interface NeuralOptions {
  /** Input window in steps; default the longest seasonality ≤ 1024 steps that fits (else 2 × horizon). */
  inputSize?: number
  batchSize?: number
  hiddenUnits?: number
  learningRate?: number
  /** Most optimizer steps (batches); early stopping on the held-out windows usually ends sooner. */
  maxSteps?: number
  /** Steps between validation checks. */
  evalEvery?: number
  /** Validation checks without improvement before training stops. */
  patience?: number
  /** Add the network's output to ETS's forecast (default true; false: plain N-BEATS on the window). */
  hybrid?: boolean
  /** Window normalisation: `log` (default; minus the input's mean, over its seasonal-naive error, on log values: relative errors), `mase` (the same on the values) or `mean` (over its mean level). */
  scaling?: 'mase' | 'mean' | 'log'
  /** Networks trained independently with different seeds and averaged (N-BEATS-style ensemble; default 1). */
  members?: number
}

export interface ProgressEvent {
  stage: 'train'
  step: number
  maxSteps: number
  /** Mean training loss (scaled absolute error) since the last check. */
  loss: number
  /** Loss on the held-out validation windows. */
  validLoss: number
}

/** A probabilistic forecast: every quantile for every horizon step. */
export interface Forecast {
  /** The series it forecasts (its name). */
  series: string
  /** The model that produced it (for `auto`: the one picked); never another model silently standing in. */
  model: ModelName
  /** Parameters the model fitted (ETS α, β, γ, φ, variant; linear slope; …). */
  params: Record<string, number | string | boolean>
  stepS: number
  /** Epoch seconds of each horizon step's start. */
  timestamps: number[]
  /** Keyed `p50`, `p90`, `p99` (`quantileKey(level)`); each `horizon` long, non-decreasing in the level. */
  quantiles: Record<string, number[]>
  /** The levels, in the order asked. */
  levels: number[]
  /** How the intervals were made ("conformal: …", "pinball-trained"). */
  intervals: string
  warnings: string[]
  /** For `auto`: the backtest that chose the model (MASE per candidate). */
  selection?: {method: AutoMethod; scores: Record<string, number>; origins: number}
}

/** `0.5` → `p50`, `0.99` → `p99`, `0.995` → `p99.5`. */
export function quantileKey(level: number): string {
  return `p${Number((level * 100).toFixed(4))}`
}
