import type {GlobalModel} from './global.js'
import type {ModelName, NeuralOptions, ProgressEvent} from '../types.js'

/** What a model is told when it fits one series. */
export interface FitContext {
  /** Seasonal periods in steps, shortest first (the first is the primary one). */
  seasonalities: readonly number[]
  horizon: number
  seed: number
  /** Where a model records a fallback ("2 full seasons needed …"). */
  warnings: string[]
  /** Quantile levels the forecast will ask for (models trained on a quantile loss train for these). */
  levels?: readonly number[]
  /** 1 where a value was filled or masked: not used as a training target. */
  imputed?: Uint8Array
  neural?: NeuralOptions
  /** A neural network already trained across every series of this call (the neural model uses it instead of training). */
  global?: GlobalModel
  onProgress?: (event: ProgressEvent) => void
}

/** A model fitted to one history (`values`, oldest first). */
export interface Fitted {
  readonly model: ModelName
  readonly params: Record<string, number | string | boolean>
  /** Point forecast of the `horizon` steps after the end of the history. */
  point(horizon: number): Float64Array
  /**
   * Point forecast of `horizon` steps after `origin` (exclusive end index into the history), with the
   * fitted parameters but only the data before `origin`: used for calibration errors.
   */
  forecastFrom(origin: number, horizon: number): Float64Array
  /** The smallest origin `forecastFrom` accepts. */
  readonly minOrigin: number
  /** Models trained on a quantile loss give their own quantiles (one array per level). */
  quantiles?(horizon: number, levels: readonly number[]): Float64Array[]
  /** A trained network, in TensorFlow.js's save format (model.json + weights), for `saveModel`. */
  saveArtifacts?(): Promise<{modelJson: string; weights: Uint8Array}>
  /** The neural model's network and calibration (what `saveModel` writes). */
  readonly global?: GlobalModel
  /** Calibration stride (1 for models whose `forecastFrom` is O(horizon); larger for ones that refit). */
  readonly calibrationStride: number
}

export interface ModelSpec {
  readonly name: ModelName
  /** Fit; a model that lacks history falls back (simpler variant or model) and says so in `ctx.warnings`. */
  fit(values: Float64Array, ctx: FitContext): Promise<Fitted>
}
