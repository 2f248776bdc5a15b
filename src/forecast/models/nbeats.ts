import * as tf from '@tensorflow/tfjs'

import {RandomStreams} from '../../engine/random.js'
import {InputError} from '../../errors.js'
import {backendReport} from '../backend.js'
import {quantileSorted} from '../metrics.js'
import {ets} from './ets.js'
import type {FitContext, Fitted, ModelSpec} from './model.js'

/**
 * An N-BEATS-like network (Oreshkin et al., 2020, generic blocks): a stack of fully connected
 * blocks, each reading the residual of the input window left by the blocks before it and adding its
 * own forecast. Its outputs are one forecast per quantile level and horizon step, trained with the
 * pinball loss, so it gives P50/P90/P99 directly. Each window is scaled by its own mean, so a
 * model trained on one level of load forecasts another. Everything random is seeded: weight
 * initialisers and the per-epoch shuffle (RandomStreams).
 */

export interface NbeatsConfig {
  inputSize: number
  horizon: number
  levels: number[]
  hiddenUnits: number
  blocks: number
  layersPerBlock: number
  /**
   * Conformal shift per level, in window-scaled units: added to the network's quantile so that, on the
   * held-back recent windows, the share of targets below it matched the level (conformalized
   * quantile regression). Zeros when there were too few windows to hold any back.
   */
  shifts: number[]
}

/** Share of the most recent windows held back to conformalize the quantiles, at most this many. */
const CALIBRATION_FRACTION = 0.1
const MAX_CALIBRATION_WINDOWS = 500
const MIN_CALIBRATION_WINDOWS = 20

/**
 * Per level, the shift that makes the level's share of held-back targets fall at or below the
 * network's quantile + shift (the finite-sample conformal level, pooled over horizon steps).
 */
function conformalShifts(network: tf.LayersModel, cfg: NbeatsConfig, cal: {X: Float32Array; Y: Float32Array}): number[] {
  const count = cal.X.length / cfg.inputSize
  const out = tf.tidy(() => (network.predict(tf.tensor2d(cal.X, [count, cfg.inputSize])) as tf.Tensor).dataSync())
  const q = cfg.levels.length
  return cfg.levels.map((level, l) => {
    const r = new Float64Array(count * cfg.horizon)
    for (let w = 0; w < count; w++) {
      for (let h = 0; h < cfg.horizon; h++) r[w * cfg.horizon + h] = cal.Y[w * cfg.horizon + h] - out[w * q * cfg.horizon + l * cfg.horizon + h]
    }
    r.sort()
    const k = r.length
    return quantileSorted(r, Math.min(1, Math.max(0, 0.5 + ((level - 0.5) * (k + 1)) / k)))
  })
}

const DEFAULTS = {epochs: 20, batchSize: 256, hiddenUnits: 128, learningRate: 2e-3, maxWindows: 2048, blocks: 2, layersPerBlock: 3}
/** Fewest training windows worth training on; with fewer, ETS is used instead. */
const MIN_WINDOWS = 64
const EPS = 1e-6

export function buildNetwork(cfg: NbeatsConfig, seed: number): tf.LayersModel {
  let s = seed
  const init = (): tf.serialization.Serializable => tf.initializers.glorotUniform({seed: s++})
  const input = tf.input({shape: [cfg.inputSize], name: 'window'})
  let residual: tf.SymbolicTensor = input
  const outputs: tf.SymbolicTensor[] = []
  for (let b = 0; b < cfg.blocks; b++) {
    let h: tf.SymbolicTensor = residual
    for (let k = 0; k < cfg.layersPerBlock; k++) {
      h = tf.layers.dense({units: cfg.hiddenUnits, activation: 'relu', kernelInitializer: init() as never, name: `block${b}_fc${k}`}).apply(h) as tf.SymbolicTensor
    }
    // The backcast is learned with its sign flipped (a linear layer), so residual = window + (−backcast):
    // tfjs-layers has an add layer but no subtract layer.
    const negBackcast = tf.layers.dense({units: cfg.inputSize, kernelInitializer: init() as never, name: `block${b}_backcast`}).apply(h) as tf.SymbolicTensor
    outputs.push(tf.layers.dense({units: cfg.horizon * cfg.levels.length, kernelInitializer: init() as never, name: `block${b}_forecast`}).apply(h) as tf.SymbolicTensor)
    if (b < cfg.blocks - 1) residual = tf.layers.add({name: `block${b}_residual`}).apply([residual, negBackcast]) as tf.SymbolicTensor
  }
  const out = outputs.length > 1 ? (tf.layers.add({name: 'forecast'}).apply(outputs) as tf.SymbolicTensor) : outputs[0]
  return tf.model({inputs: input, outputs: out, name: 'nbeats'})
}

/** Mean pinball loss over levels and steps; predictions are laid out level-major (level·H + step). */
function pinballLoss(levels: readonly number[], horizon: number): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  const q = levels.length
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const lv = tf.tensor3d([...levels], [1, q, 1])
      // tfjs-layers wants targets shaped like the output, so each target is repeated once per level.
      const e = yTrue.reshape([-1, q, horizon]).sub(yPred.reshape([-1, q, horizon]))
      return tf.maximum(e.mul(lv), e.mul(lv.sub(1))).mean()
    })
}

function windowScale(values: Float64Array, end: number, size: number): number {
  let sum = 0
  for (let i = end - size; i < end; i++) sum += Math.abs(values[i])
  return sum / size + EPS
}

/** Quantile forecasts (one array per level) from the `inputSize` values before `origin`. */
export function runNetwork(network: tf.LayersModel, cfg: NbeatsConfig, values: Float64Array, origin: number): Float64Array[] {
  if (origin < cfg.inputSize) throw new InputError({}, `nbeats needs the last ${cfg.inputSize} points as input, the history has ${origin}`)
  const scale = windowScale(values, origin, cfg.inputSize)
  const x = new Float32Array(cfg.inputSize)
  for (let i = 0; i < cfg.inputSize; i++) x[i] = values[origin - cfg.inputSize + i] / scale
  const out = tf.tidy(() => (network.predict(tf.tensor2d(x, [1, cfg.inputSize])) as tf.Tensor).dataSync())
  return cfg.levels.map((_, l) => Float64Array.from(out.subarray(l * cfg.horizon, (l + 1) * cfg.horizon), (v) => (v + (cfg.shifts[l] ?? 0)) * scale))
}

export function nbeatsFitted(network: tf.LayersModel, cfg: NbeatsConfig, values: Float64Array, params: Fitted['params']): Fitted {
  const median = cfg.levels.indexOf(0.5)
  const pick = (qs: Float64Array[], horizon: number, level: number): Float64Array => {
    const i = cfg.levels.indexOf(level)
    if (i < 0) throw new InputError({field: 'quantiles'}, `the network was trained for levels ${cfg.levels.join(', ')}, not ${level}`)
    return qs[i].slice(0, horizon)
  }
  const check = (horizon: number): void => {
    if (horizon > cfg.horizon) throw new InputError({field: 'horizon'}, `the network was trained for ${cfg.horizon} steps, not ${horizon}`)
  }
  return {
    model: 'nbeats',
    params,
    minOrigin: cfg.inputSize,
    calibrationStride: 1,
    forecastFrom: (origin, horizon) => {
      check(horizon)
      return pick(runNetwork(network, cfg, values, origin), horizon, cfg.levels[median])
    },
    point: (horizon) => {
      check(horizon)
      return pick(runNetwork(network, cfg, values, values.length), horizon, cfg.levels[median])
    },
    quantiles: (horizon, levels) => {
      check(horizon)
      const qs = runNetwork(network, cfg, values, values.length)
      return levels.map((l) => pick(qs, horizon, l))
    },
    saveArtifacts: async () => {
      let saved: tf.io.ModelArtifacts | undefined
      await network.save(tf.io.withSaveHandler(async (a) => {
        saved = a
        return {modelArtifactsInfo: {dateSaved: new Date(0), modelTopologyType: 'JSON'}}
      }))
      const a = saved!
      const weightData = a.weightData instanceof ArrayBuffer ? a.weightData : tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[])
      const modelJson = JSON.stringify({
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        modelTopology: a.modelTopology,
        weightsManifest: [{paths: ['weights.bin'], weights: a.weightSpecs}],
      })
      return {modelJson, weights: new Uint8Array(weightData)}
    },
  }
}

export const nbeats: ModelSpec = {
  name: 'nbeats',
  async fit(values: Float64Array, ctx: FitContext): Promise<Fitted> {
    const opts = {...DEFAULTS, ...ctx.neural}
    const horizon = ctx.horizon
    const n = values.length
    const seasons = [...ctx.seasonalities].sort((a, b) => b - a)
    const candidates = opts.inputSize ? [opts.inputSize] : [...seasons.filter((m) => m >= horizon), ...seasons, Math.max(2 * horizon, 8)]
    const inputSize = candidates.find((L) => n - L - horizon + 1 >= MIN_WINDOWS)
    if (inputSize === undefined) {
      ctx.warnings.push(`nbeats: ${n} points give fewer than ${MIN_WINDOWS} training windows of ${candidates[0]}+${horizon}; using ets`)
      return ets.fit(values, ctx)
    }
    if (!backendReport()) throw new Error('initBackend() must run before the neural model (it is called at the entry point)')
    const levels = [...new Set([0.5, ...(ctx.levels ?? [0.5, 0.9, 0.99])])].sort((a, b) => a - b)
    const cfg: NbeatsConfig = {inputSize, horizon, levels, hiddenUnits: opts.hiddenUnits, blocks: opts.blocks, layersPerBlock: opts.layersPerBlock, shifts: levels.map(() => 0)}

    // Windows: every origin whose target has no imputed (filled or masked) point. The most recent
    // ones (up to CALIBRATION_FRACTION of them) are held back from training: their errors set the
    // conformal shift of each level. Training targets end before the held-back targets begin.
    const all: number[] = []
    for (let t = inputSize; t + horizon <= n; t++) {
      let ok = true
      if (ctx.imputed) for (let i = t; i < t + horizon && ok; i++) ok = !ctx.imputed[i]
      if (ok) all.push(t)
    }
    const held = Math.min(MAX_CALIBRATION_WINDOWS, Math.floor(all.length * CALIBRATION_FRACTION))
    const calStart = held >= MIN_CALIBRATION_WINDOWS ? all[all.length - held] : Number.POSITIVE_INFINITY
    const origins = all.filter((t) => t + horizon <= calStart)
    const calOrigins = all.filter((t) => t >= calStart)
    if (origins.length < MIN_WINDOWS) {
      ctx.warnings.push(`nbeats: only ${origins.length} training windows without masked points; using ets`)
      return ets.fit(values, ctx)
    }
    const Q = levels.length
    const windows = (ts: number[], repeat: number): {X: Float32Array; Y: Float32Array} => {
      const X = new Float32Array(ts.length * inputSize)
      const Y = new Float32Array(ts.length * horizon * repeat)
      ts.forEach((t, w) => {
        const scale = windowScale(values, t, inputSize)
        for (let i = 0; i < inputSize; i++) X[w * inputSize + i] = values[t - inputSize + i] / scale
        for (let l = 0; l < repeat; l++) for (let h = 0; h < horizon; h++) Y[(w * repeat + l) * horizon + h] = values[t + h] / scale
      })
      return {X, Y}
    }
    const N = origins.length
    const {X, Y} = windows(origins, Q)

    const t0 = performance.now()
    const network = buildNetwork(cfg, ctx.seed)
    network.compile({optimizer: tf.train.adam(opts.learningRate), loss: pinballLoss(levels, horizon)})
    const xs = tf.tensor2d(X, [N, inputSize])
    const ys = tf.tensor2d(Y, [N, horizon * Q])
    const rng = new RandomStreams(ctx.seed).stream('nbeats-shuffle')
    const perEpoch = Math.min(N, opts.maxWindows)
    const perm = Int32Array.from({length: N}, (_, i) => i)
    let loss = Number.NaN
    try {
      for (let epoch = 1; epoch <= opts.epochs; epoch++) {
        for (let i = N - 1; i > 0; i--) {
          const j = rng.int(i + 1)
          const tmp = perm[i]
          perm[i] = perm[j]
          perm[j] = tmp
        }
        const idx = tf.tensor1d(perm.subarray(0, perEpoch), 'int32')
        const bx = tf.gather(xs, idx)
        const by = tf.gather(ys, idx)
        const h = await network.fit(bx, by, {epochs: 1, batchSize: opts.batchSize, shuffle: false, verbose: 0})
        tf.dispose([idx, bx, by])
        loss = Number(h.history.loss[0])
        ctx.onProgress?.({stage: 'train', epoch, epochs: opts.epochs, loss})
      }
    } finally {
      tf.dispose([xs, ys])
    }
    const trainMs = performance.now() - t0
    if (calOrigins.length > 0) cfg.shifts = conformalShifts(network, cfg, windows(calOrigins, 1))
    return nbeatsFitted(network, cfg, values, {
      calibrationWindows: calOrigins.length,
      shifts: cfg.shifts.join(','),
      inputSize,
      horizon,
      levels: levels.join(','),
      hiddenUnits: cfg.hiddenUnits,
      blocks: cfg.blocks,
      layersPerBlock: cfg.layersPerBlock,
      epochs: opts.epochs,
      windows: N,
      finalLoss: Number(loss.toPrecision(6)),
      trainMs: Math.round(trainMs),
      backend: backendReport()?.used ?? tf.getBackend(),
    })
  },
}
