import * as tf from '@tensorflow/tfjs'

import {ets} from './ets.js'
import {type GlobalModel, type PointItem, type SeriesPart, trainGlobal} from './global.js'
import type {FitContext, Fitted, ModelSpec} from './model.js'

/**
 * The neural model as a per-series `Fitted`: the global N-BEATS-style network (models/global.ts),
 * either trained for this call across every series (`ctx.global`, set by `forecastMany` and
 * `backtest`) or, for a lone series, trained on that series' windows alone. It never falls back to
 * another model: when it cannot train it throws an InputError saying why.
 */

/** Per-series view of a global model over one history. */
export function nbeatsFitted(g: GlobalModel, values: Float64Array, baseline: Fitted | undefined, extra: Fitted['params'] = {}): Fitted {
  const item = (origin: number): PointItem => ({values, origin, base: baseline?.forecastFrom(origin, g.cfg.horizon)})
  return {
    model: 'nbeats',
    params: {...g.params, ...extra},
    minOrigin: Math.max(Math.ceil(g.cfg.inputSize / 2), baseline?.minOrigin ?? 0),
    calibrationStride: 1,
    forecastFrom: (origin, horizon) => g.point(item(origin), horizon),
    point: (horizon) => g.point(item(values.length), horizon),
    quantiles: (horizon, levels) => g.quantiles(item(values.length), horizon, levels),
    global: g,
    saveArtifacts: async () => saveNetwork(g.network),
  }
}

export async function saveNetwork(network: tf.LayersModel): Promise<{modelJson: string; weights: Uint8Array}> {
  let saved: tf.io.ModelArtifacts | undefined
  await network.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a
      return {modelArtifactsInfo: {dateSaved: new Date(0), modelTopologyType: 'JSON'}}
    }),
  )
  const a = saved!
  const weightData = a.weightData instanceof ArrayBuffer ? a.weightData : tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[])
  const modelJson = JSON.stringify({
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    modelTopology: a.modelTopology,
    weightsManifest: [{paths: ['weights.bin'], weights: a.weightSpecs}],
  })
  return {modelJson, weights: new Uint8Array(weightData)}
}

export const nbeats: ModelSpec = {
  name: 'nbeats',
  async fit(values: Float64Array, ctx: FitContext): Promise<Fitted> {
    if (ctx.global) {
      const base = ctx.global.cfg.baseline === 'ets' ? await fitBaseline(values, ctx) : undefined
      return nbeatsFitted(ctx.global, values, base, {trainedOn: `${ctx.global.params.series} series (global)`})
    }
    const n = ctx.neural ?? {}
    const base = n.hybrid === false ? undefined : await fitBaseline(values, ctx)
    const g = await trainGlobal([{values, imputed: ctx.imputed, baseline: base}], {
      horizon: ctx.horizon,
      seed: ctx.seed,
      seasonalities: ctx.seasonalities,
      inputSize: n.inputSize,
      hiddenUnits: n.hiddenUnits,
      learningRate: n.learningRate,
      batchSize: n.batchSize,
      maxSteps: n.maxSteps,
      evalEvery: n.evalEvery,
      patience: n.patience,
      onProgress: ctx.onProgress ? (e) => ctx.onProgress!({stage: 'train', step: e.step, maxSteps: e.maxSteps, loss: e.trainLoss, validLoss: e.validLoss}) : undefined,
    })
    return nbeatsFitted(g, values, base, {trainedOn: '1 series'})
  },
}

/** The ETS fit a hybrid network adds its correction to (its warnings are the network's too). */
export async function fitBaseline(values: Float64Array, ctx: FitContext): Promise<Fitted> {
  const warnings: string[] = []
  const f = await ets.fit(values, {...ctx, warnings})
  ctx.warnings.push(...warnings.map((w) => `nbeats baseline ${w}`))
  return f
}

/** Training parts for a global network: each history with, for a hybrid, its ETS fit. */
export async function neuralParts(items: readonly {values: Float64Array; imputed?: Uint8Array; seasonalities: readonly number[]}[], ctx: Pick<FitContext, 'horizon' | 'seed' | 'neural'>): Promise<SeriesPart[]> {
  const parts: SeriesPart[] = []
  for (const it of items) {
    const base = ctx.neural?.hybrid === false ? undefined : await fitBaseline(it.values, {...ctx, seasonalities: it.seasonalities, warnings: [], imputed: it.imputed})
    parts.push({values: it.values, imputed: it.imputed, baseline: base})
  }
  return parts
}
