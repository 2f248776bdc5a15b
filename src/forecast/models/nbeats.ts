import * as tf from '@tensorflow/tfjs'

import {type GlobalModel, trainGlobal} from './global.js'
import type {FitContext, Fitted, ModelSpec} from './model.js'

/**
 * The neural model as a per-series `Fitted`: the global N-BEATS-style network (models/global.ts),
 * either trained for this call across every series (`ctx.global`, set by `forecastMany` and
 * `backtest`) or, for a lone series, trained on that series' windows alone. It never falls back to
 * another model: when it cannot train it throws an InputError saying why.
 */

/** Per-series view of a global model over one history. */
export function nbeatsFitted(g: GlobalModel, values: Float64Array, extra: Fitted['params'] = {}): Fitted {
  return {
    model: 'nbeats',
    params: {...g.params, ...extra},
    minOrigin: Math.ceil(g.cfg.inputSize / 2),
    calibrationStride: 1,
    forecastFrom: (origin, horizon) => g.point(values, origin, horizon),
    point: (horizon) => g.point(values, values.length, horizon),
    quantiles: (horizon, levels) => g.quantiles(values, values.length, horizon, levels),
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
    if (ctx.global) return nbeatsFitted(ctx.global, values, {trainedOn: `${ctx.global.params.series} series (global)`})
    const n = ctx.neural ?? {}
    const g = await trainGlobal([{values, imputed: ctx.imputed}], {
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
    return nbeatsFitted(g, values, {trainedOn: '1 series'})
  },
}
