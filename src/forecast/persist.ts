import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type * as Tf from '@tensorflow/tfjs'
import {z} from 'zod'

import {InputError} from '../errors.js'
import {writeOutputDir} from '../util/atomic-write.js'
import {initBackend, tfjs} from './backend.js'
import {forecast, type Trained} from './forecast.js'
import {isoTime} from './series.js'
import {type Forecast, MODEL_NAMES, type ModelName, quantileKey, type Series, usesNetwork} from './types.js'

/**
 * Saved forecast models. A directory holds `fleetcap-model.json` (metadata: model, step,
 * seasonality, scaling, training window, fitted parameters) and, for the neural model, the network in
 * TensorFlow.js's layers format (`model.json` + `weights.bin`, loadable by tf.loadLayersModel).
 * `plan` loads it and forecasts from the latest history: the network is used as trained; a classical
 * model is refitted on that history with the same model (its parameters are cheap to fit and must
 * follow the new data), so the metadata records them for the report only.
 */

export const METADATA_FILE = 'fleetcap-model.json'

const metadataSchema = z.object({
  format: z.literal('fleetcap-forecast-model'),
  version: z.literal(1),
  model: z.enum(MODEL_NAMES),
  stepS: z.number().positive(),
  seasonalities: z.array(z.number().int().positive()),
  horizon: z.number().int().positive(),
  levels: z.array(z.number().gt(0).lt(1)),
  /** How inputs are scaled: the neural model divides each window by its mean absolute value. */
  scaling: z.enum(['window-mean', 'window-mase', 'window-log', 'none']),
  trainingWindow: z.object({start: z.string(), end: z.string(), points: z.number().int().positive(), series: z.string()}),
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  intervals: z.string(),
  network: z
    .object({
      inputSize: z.number().int().positive(),
      hiddenUnits: z.number().int().positive(),
      blocks: z.number().int().positive(),
      layersPerBlock: z.number().int().positive(),
      /** Split-conformal residuals per horizon step, sorted, in window-scaled units (actual − forecast) / scale. */
      residuals: z.array(z.array(z.number())),
      /** `ets`: the network corrects ETS's forecast (refitted on the new history at load). */
      baseline: z.enum(['ets', 'none']),
      /** Networks averaged (an ensemble, all in model.json); absent: 1. */
      members: z.number().int().positive().optional(),
      /** Window normalisation (absent: `mean`, the only one before) and its seasonal lag. */
      scaling: z.enum(['mase', 'mean', 'log']).optional(),
      season: z.number().int().positive().optional(),
    })
    .optional(),
})
export type ModelMetadata = z.infer<typeof metadataSchema>

export async function saveModel(dir: string, trained: Trained): Promise<ModelMetadata> {
  const {forecast: f, fitted, series} = trained
  const meta: ModelMetadata = {
    format: 'fleetcap-forecast-model',
    version: 1,
    model: f.model,
    stepS: series.stepS,
    seasonalities: trained.seasonalities,
    horizon: trained.horizon,
    levels: f.levels,
    scaling: fitted.global ? `window-${fitted.global.cfg.scaling ?? 'mean'}` : 'none',
    trainingWindow: {
      start: isoTime(series.startS),
      end: isoTime(series.startS + series.values.length * series.stepS),
      points: series.values.length,
      series: series.name,
    },
    params: f.params,
    intervals: f.intervals,
  }
  const files: Record<string, string | Uint8Array> = {}
  if (fitted.saveArtifacts && fitted.global) {
    const a = await fitted.saveArtifacts()
    files['model.json'] = a.modelJson
    files['weights.bin'] = a.weights
    meta.network = {
      inputSize: fitted.global.cfg.inputSize,
      hiddenUnits: fitted.global.cfg.hiddenUnits,
      blocks: fitted.global.cfg.blocks,
      layersPerBlock: fitted.global.cfg.layersPerBlock,
      residuals: fitted.global.residuals.map((r) => Array.from(r)),
      baseline: fitted.global.cfg.baseline,
      members: fitted.global.cfg.members ?? 1,
      scaling: fitted.global.cfg.scaling ?? 'mean',
      ...(fitted.global.cfg.season !== undefined ? {season: fitted.global.cfg.season} : {}),
    }
  }
  files[METADATA_FILE] = `${JSON.stringify(meta, null, 2)}\n`
  await writeOutputDir(dir, files)
  return meta
}

export interface LoadedModel {
  meta: ModelMetadata
  /** Forecast from the latest history (same step as the model was trained on). */
  forecast(series: Series, options?: {horizon?: number; quantiles?: readonly number[]}): Promise<Forecast>
}

export async function loadModel(dir: string): Promise<LoadedModel> {
  const metaPath = join(dir, METADATA_FILE)
  if (!existsSync(metaPath)) throw new InputError({file: metaPath}, 'not a saved fleetcap forecast model (metadata file missing)')
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(metaPath, 'utf8'))
  } catch (error) {
    throw new InputError({file: metaPath}, `not valid JSON: ${(error as Error).message}`)
  }
  const parsed = metadataSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InputError({file: metaPath, field: issue.path.join('.')}, issue.message)
  }
  const meta = parsed.data
  const checkStep = (series: Series): void => {
    if (series.stepS !== meta.stepS) throw new InputError({field: 'step'}, `the model was trained on a ${meta.stepS} s step; this series has ${series.stepS} s`)
  }
  if (!usesNetwork([meta.model])) {
    return {
      meta,
      forecast: async (series, options = {}) => {
        checkStep(series)
        return forecast(series, {model: meta.model as ModelName, horizon: options.horizon ?? meta.horizon, quantiles: options.quantiles ?? meta.levels, seasonalities: meta.seasonalities})
      },
    }
  }
  if (!meta.network) throw new InputError({file: metaPath, field: 'network'}, 'a neural model needs its network section')
  await initBackend('auto')
  const modelJsonPath = join(dir, 'model.json')
  const weightsPath = join(dir, 'weights.bin')
  for (const p of [modelJsonPath, weightsPath]) if (!existsSync(p)) throw new InputError({file: p}, 'file of the saved network missing')
  const modelJson = JSON.parse(await readFile(modelJsonPath, 'utf8')) as {modelTopology: object; weightsManifest: {weights: Tf.io.WeightsManifestEntry[]}[]}
  const weights = await readFile(weightsPath)
  const tf = await tfjs()
  const network = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  )
  const {residuals, ...shape} = meta.network
  if (residuals.length !== meta.horizon) throw new InputError({file: metaPath, field: 'network.residuals'}, `${residuals.length} steps of residuals for a horizon of ${meta.horizon}`)
  const {globalModel} = await import('./models/global.js')
  const {fitBaseline, nbeatsFitted} = await import('./models/nbeats.js')
  const g = globalModel(network, {...shape, horizon: meta.horizon}, residuals.map((r) => Float64Array.from(r)), {})
  const {observedFloor, tidyQuantiles} = await import('./intervals.js')
  return {
    meta,
    forecast: async (series, options = {}) => {
      checkStep(series)
      const horizon = options.horizon ?? meta.horizon
      const levels = [...(options.quantiles ?? meta.levels)]
      const base = shape.baseline === 'ets' ? await fitBaseline(series.values, {seasonalities: meta.seasonalities, horizon: meta.horizon, seed: 0, warnings: [], imputed: series.imputed}) : undefined
      const fitted = nbeatsFitted(g, series.values, base, meta.params)
      let qs = fitted.quantiles!(horizon, levels)
      const floor = observedFloor(series.values, series.imputed)
      if (meta.model === 'ets-nbeats') {
        // Each model's quantiles tidied first, as when it was trained (forecast.ts, predictCombination).
        tidyQuantiles(levels, qs, floor)
        // The combination: ETS refitted on this history (as a classical model is), quantiles averaged.
        const {meanOf} = await import('./combination.js')
        const e = await forecast(series, {model: 'ets', horizon, quantiles: levels, seasonalities: meta.seasonalities})
        qs = qs.map((q, i) => meanOf(q, Float64Array.from(e.quantiles[quantileKey(levels[i])])))
      }
      tidyQuantiles(levels, qs, floor)
      const endS = series.startS + series.values.length * series.stepS
      const quantiles: Record<string, number[]> = {}
      levels.forEach((l, i) => {
        quantiles[quantileKey(l)] = Array.from(qs[i], (v) => Number(v.toPrecision(8)))
      })
      return {
        series: series.name,
        model: meta.model,
        params: meta.params,
        stepS: series.stepS,
        timestamps: Array.from({length: horizon}, (_, h) => endS + h * series.stepS),
        quantiles,
        levels,
        intervals: `${meta.intervals} (saved network)`,
        warnings: [],
      }
    },
  }
}
