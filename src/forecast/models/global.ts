import * as tf from '@tensorflow/tfjs'

import {RandomStreams} from '../../engine/random.js'
import {InputError} from '../../errors.js'
import {backendReport} from '../backend.js'
import {quantileSorted} from '../metrics.js'

/**
 * A global N-BEATS-style forecaster (Oreshkin et al., 2020, generic stack): ONE network trained on
 * windows sampled from every series at once, the way N-BEATS and ES-RNN won M4. Each window is
 * divided by its input's mean absolute value, so series of any level share the weights. The network
 * gives a point forecast (trained on the scaled absolute error, i.e. the median); its intervals are
 * split conformal: the scaled residuals of windows at the end of every series, which the network never
 * trained on, give each horizon step's quantiles. Those same windows stop training early (the best
 * weights on them are kept). Everything random (initialisers, the window sampler) is seeded.
 */

export interface GlobalNetworkConfig {
  inputSize: number
  horizon: number
  /**
   * `ets`: the network also reads ETS's forecast for the window (scaled like the window) and adds its
   * own output to it (a hybrid, as ES-RNN won M4: exponential smoothing + a global network that
   * learns what smoothing misses). `none`: plain N-BEATS on the window.
   */
  baseline: 'ets' | 'none'
  hiddenUnits: number
  blocks: number
  layersPerBlock: number
}

export interface GlobalTrainOptions {
  horizon: number
  seed: number
  /** Input window; default the longest seasonality ≤ 1024 steps (else 2 × horizon). */
  inputSize?: number
  seasonalities?: readonly number[]
  hiddenUnits?: number
  blocks?: number
  layersPerBlock?: number
  learningRate?: number
  batchSize?: number
  /** Most optimizer steps; early stopping usually ends sooner. */
  maxSteps?: number
  /** Steps between validation checks. */
  evalEvery?: number
  /** Validation checks without improvement before stopping. */
  patience?: number
  /** Training origins per series are drawn from the most recent this-many × horizon windows (N-BEATS' L_H). */
  lookbackHorizons?: number
  /** Calibration (validation) windows wanted over all series; at least one per series. */
  calibrationWindows?: number
  onProgress?: (e: {step: number; maxSteps: number; trainLoss: number; validLoss: number}) => void
}

export const GLOBAL_DEFAULTS = {hiddenUnits: 256, blocks: 3, layersPerBlock: 3, learningRate: 1e-3, batchSize: 256, maxSteps: 3000, evalEvery: 100, patience: 6, lookbackHorizons: 15, calibrationWindows: 500}

export interface SeriesPart {
  values: Float64Array
  imputed?: Uint8Array
  /** The baseline model fitted to `values` (with baseline `ets`): its forecastFrom gives each window's baseline. */
  baseline?: {forecastFrom(origin: number, horizon: number): Float64Array; minOrigin: number}
}

/** One forecast to make: history, origin, and (hybrid) the baseline's forecast from that origin. */
export interface PointItem {
  values: Float64Array
  origin: number
  base?: Float64Array
}

export interface GlobalModel {
  network: tf.LayersModel
  cfg: GlobalNetworkConfig
  /** Sorted scaled residuals (actual − forecast) / window scale, per horizon step, from the calibration windows. */
  residuals: Float64Array[]
  /** What was trained and how (deterministic for a seed: no timings here). */
  params: Record<string, number | string>
  /** Wall-clock training time (absent for a loaded model); kept out of params so outputs stay byte-identical. */
  trainMs?: number
  /** CPU time of this process during training (user + system; the machine may be shared, so wall time overstates it). */
  trainCpuMs?: number
  /** Per training part: the first held-out origin (training targets all end before it); empty for a loaded model. */
  heldOutFrom: Int32Array
  /** Point forecast of `horizon` steps after `origin` (exclusive end) of `values`. */
  point(item: PointItem, horizon: number): Float64Array
  /** Point forecasts of many items in one batch. */
  pointBatch(items: readonly PointItem[]): Float64Array[]
  /** Conformal quantiles: point + scale × residual quantile of each step (finite-sample level). */
  quantiles(item: PointItem, horizon: number, levels: readonly number[]): Float64Array[]
}

const EPS = 1e-8

/** Mean absolute value of the `size` points before `end` (edge-padded with the first value when short). */
export function windowScale(values: Float64Array, end: number, size: number): number {
  let sum = 0
  for (let i = end - size; i < end; i++) sum += Math.abs(values[Math.max(0, i)])
  return sum / size + EPS
}

function fillInput(x: Float32Array, at: number, values: Float64Array, origin: number, size: number, scale: number, base?: Float64Array): void {
  for (let i = 0; i < size; i++) x[at + i] = values[Math.max(0, origin - size + i)] / scale
  if (base) for (let h = 0; h < base.length; h++) x[at + size + h] = base[h] / scale
}

/** Width of the network's input: the window, plus the baseline's forecast for a hybrid. */
export function inputWidth(cfg: GlobalNetworkConfig): number {
  return cfg.inputSize + (cfg.baseline === 'ets' ? cfg.horizon : 0)
}

export function buildGlobalNetwork(cfg: GlobalNetworkConfig, seed: number): tf.LayersModel {
  let s = seed * 1000
  const init = (): never => tf.initializers.glorotUniform({seed: s++}) as never
  const W = inputWidth(cfg)
  const input = tf.input({shape: [W], name: 'window'})
  let residual: tf.SymbolicTensor = input
  const forecasts: tf.SymbolicTensor[] = []
  for (let b = 0; b < cfg.blocks; b++) {
    let h: tf.SymbolicTensor = residual
    for (let k = 0; k < cfg.layersPerBlock; k++) {
      h = tf.layers.dense({units: cfg.hiddenUnits, activation: 'relu', kernelInitializer: init(), name: `block${b}_fc${k}`}).apply(h) as tf.SymbolicTensor
    }
    // A hybrid's forecast heads start at zero, so the untrained network forecasts exactly ETS's
    // forecast and training moves away from it only where that helps (step 0 competes in early stopping).
    const headInit = init()
    forecasts.push(tf.layers.dense({units: cfg.horizon, kernelInitializer: cfg.baseline === 'ets' ? 'zeros' : headInit, name: `block${b}_forecast`}).apply(h) as tf.SymbolicTensor)
    if (b < cfg.blocks - 1) {
      // Learned with its sign flipped, so residual = input + (−backcast): tfjs-layers has no subtract layer.
      const negBackcast = tf.layers.dense({units: W, kernelInitializer: init(), name: `block${b}_backcast`}).apply(h) as tf.SymbolicTensor
      residual = tf.layers.add({name: `block${b}_residual`}).apply([residual, negBackcast]) as tf.SymbolicTensor
    }
  }
  if (cfg.baseline === 'ets') {
    // The baseline's forecast passes through unchanged (a fixed selection of the input's last H
    // values); the blocks learn a correction, so an untrained network forecasts what ETS does.
    const select = new Float32Array(W * cfg.horizon)
    for (let h = 0; h < cfg.horizon; h++) select[(cfg.inputSize + h) * cfg.horizon + h] = 1
    forecasts.push(tf.layers.dense({units: cfg.horizon, useBias: false, trainable: false, weights: [tf.tensor2d(select, [W, cfg.horizon])], name: 'baseline'}).apply(input) as tf.SymbolicTensor)
  }
  const out = forecasts.length > 1 ? (tf.layers.add({name: 'forecast'}).apply(forecasts) as tf.SymbolicTensor) : forecasts[0]
  return tf.model({inputs: input, outputs: out, name: 'nbeats_global'})
}

/** The input size: the longest seasonality ≤ 1024 steps that leaves training windows in most series, else 2 × horizon. */
export function chooseInputSize(parts: readonly SeriesPart[], horizon: number, seasonalities: readonly number[]): number {
  const lengths = parts.map((p) => p.values.length).sort((a, b) => a - b)
  const median = lengths[Math.floor(lengths.length / 2)]
  const candidates = [...seasonalities].filter((m) => m <= 1024).sort((a, b) => b - a)
  for (const m of candidates) if (median - m - 2 * horizon >= 4 * horizon) return m
  return Math.max(2 * horizon, 8)
}

interface Window {
  part: number
  origin: number
}

function targetObserved(p: SeriesPart, origin: number, horizon: number): boolean {
  if (!p.imputed) return true
  for (let i = origin; i < origin + horizon; i++) if (p.imputed[i]) return false
  return true
}

/**
 * Train one network on all `parts` (each the history known for one series). The last windows of each
 * part are held out for early stopping and conformal calibration; training targets end before them.
 * Throws an InputError (never falls back silently) when no training window exists.
 */
export async function trainGlobal(parts: readonly SeriesPart[], options: GlobalTrainOptions): Promise<GlobalModel> {
  if (!backendReport()) throw new Error('initBackend() must run before the neural model (it is called at the entry point)')
  const o = {...GLOBAL_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))} as typeof GLOBAL_DEFAULTS & GlobalTrainOptions
  const H = o.horizon
  const L = o.inputSize ?? chooseInputSize(parts, H, o.seasonalities ?? [])
  const hybrid = parts.every((p) => p.baseline !== undefined)
  const cfg: GlobalNetworkConfig = {inputSize: L, horizon: H, baseline: hybrid ? 'ets' : 'none', hiddenUnits: o.hiddenUnits, blocks: o.blocks, layersPerBlock: o.layersPerBlock}
  const W = inputWidth(cfg)
  const perSeriesWanted = Math.max(1, Math.ceil(o.calibrationWindows / parts.length))
  // Training origins per series: the most recent lookbackHorizons × H, or more when few series
  // together would offer fewer than ~20,000 (a lone long series trains on all its history).
  const lookback = Math.max(o.lookbackHorizons * H, Math.ceil(20_000 / parts.length))

  // Calibration windows: the last `perSeriesCal` origins of each part (targets inside the part).
  // Training windows: targets end at or before the first calibration origin, input may be edge-padded
  // up to half its length, drawn from the most recent lookbackHorizons × H origins.
  const cal: Window[] = []
  const trainOrigins: Int32Array[] = []
  const heldOutFrom = new Int32Array(parts.length)
  parts.forEach((p, part) => {
    const n = p.values.length
    const lastCal = n - H
    // At most a third of a series' origins are held out, so a short lone series still trains.
    const perSeriesCal = Math.max(1, Math.min(perSeriesWanted, Math.floor((lastCal - Math.ceil(L / 2)) / 3)))
    const earliest = Math.max(Math.ceil(L / 2), hybrid ? p.baseline!.minOrigin : 0)
    const firstCal = Math.max(earliest, lastCal - perSeriesCal + 1)
    heldOutFrom[part] = firstCal
    for (let t = firstCal; t <= lastCal; t++) if (targetObserved(p, t, H)) cal.push({part, origin: t})
    const hi = firstCal - H
    const lo = Math.max(earliest, hi - lookback)
    const ts: number[] = []
    for (let t = lo; t <= hi; t++) if (targetObserved(p, t, H)) ts.push(t)
    trainOrigins.push(Int32Array.from(ts))
  })
  const trainable = trainOrigins.map((t, i) => (t.length > 0 ? i : -1)).filter((i) => i >= 0)
  const windows = trainOrigins.reduce((a, t) => a + t.length, 0)
  if (trainable.length === 0 || cal.length === 0) {
    const longest = Math.max(...parts.map((p) => p.values.length))
    throw new InputError({field: '--model'}, `nbeats cannot train: the longest history has ${longest} points; it needs at least ${Math.ceil(L / 2) + 2 * H} (half an input window of ${L} + two horizons of ${H}: one to train on, one to validate)`, {hint: 'use --model ets, a shorter --horizon, or more history'})
  }

  const rng = new RandomStreams(o.seed).stream('nbeats-global-sampler')
  const network = buildGlobalNetwork(cfg, o.seed)
  const optimizer = tf.train.adam(o.learningRate)
  const B = o.batchSize
  const x = new Float32Array(B * W)
  const baseOf = (part: number, t: number): Float64Array | undefined => (hybrid ? parts[part].baseline!.forecastFrom(t, H) : undefined)
  const y = new Float32Array(B * H)

  // Validation tensors: fixed, built once.
  const calX = new Float32Array(cal.length * W)
  const calY = new Float32Array(cal.length * H)
  const calScale = new Float64Array(cal.length)
  cal.forEach((w, i) => {
    const v = parts[w.part].values
    const s = windowScale(v, w.origin, L)
    calScale[i] = s
    fillInput(calX, i * W, v, w.origin, L, s, baseOf(w.part, w.origin))
    for (let h = 0; h < H; h++) calY[i * H + h] = v[w.origin + h] / s
  })
  const calXs = tf.tensor2d(calX, [cal.length, W])
  const calYs = tf.tensor2d(calY, [cal.length, H])
  const validLoss = (): number => tf.tidy(() => (network.predict(calXs) as tf.Tensor).sub(calYs).abs().mean().dataSync()[0])

  const t0 = performance.now()
  const c0 = process.cpuUsage()
  // Step 0 competes too: a hybrid that learns nothing useful stays what ETS forecasts.
  let best = {loss: validLoss(), step: 0, weights: network.getWeights().map((w) => w.clone())}
  const initialLoss = best.loss
  let bad = 0
  let step = 0
  let trainLoss = Number.NaN
  let lossSum = 0
  let lossCount = 0
  try {
    for (step = 1; step <= o.maxSteps; step++) {
      for (let b = 0; b < B; b++) {
        const part = trainable[rng.int(trainable.length)]
        const ts = trainOrigins[part]
        const t = ts[rng.int(ts.length)]
        const v = parts[part].values
        const s = windowScale(v, t, L)
        fillInput(x, b * W, v, t, L, s, baseOf(part, t))
        for (let h = 0; h < H; h++) y[b * H + h] = v[t + h] / s
      }
      const loss = optimizer.minimize(() => tf.tidy(() => (network.apply(tf.tensor2d(x, [B, W]), {training: true}) as tf.Tensor).sub(tf.tensor2d(y, [B, H])).abs().mean() as tf.Scalar), true) as tf.Scalar
      lossSum += (await loss.data())[0]
      lossCount++
      loss.dispose()
      if (step % o.evalEvery === 0 || step === o.maxSteps) {
        trainLoss = lossSum / lossCount
        lossSum = 0
        lossCount = 0
        const vl = validLoss()
        o.onProgress?.({step, maxSteps: o.maxSteps, trainLoss, validLoss: vl})
        if (vl < best.loss) {
          tf.dispose(best.weights)
          best = {loss: vl, step, weights: network.getWeights().map((w) => w.clone())}
          bad = 0
        } else if (++bad >= o.patience) break
      }
    }
    if (best.weights.length > 0) network.setWeights(best.weights)
  } finally {
    tf.dispose(best.weights)
  }
  const trainMs = performance.now() - t0
  const cpu = process.cpuUsage(c0)

  // Split conformal: scaled residuals of the held-out windows, per horizon step.
  const pred = tf.tidy(() => (network.predict(calXs) as tf.Tensor).dataSync())
  tf.dispose([calXs, calYs])
  const residuals = Array.from({length: H}, (_, h) => {
    const r = new Float64Array(cal.length)
    for (let i = 0; i < cal.length; i++) r[i] = calY[i * H + h] - pred[i * H + h]
    return r.sort()
  })
  const params = {
    inputSize: L,
    hiddenUnits: cfg.hiddenUnits,
    blocks: cfg.blocks,
    layersPerBlock: cfg.layersPerBlock,
    series: parts.length,
    trainingSeries: trainable.length,
    trainingWindows: windows,
    calibrationWindows: cal.length,
    batchSize: B,
    steps: Math.min(step, o.maxSteps),
    bestStep: best.step,
    baseline: cfg.baseline,
    initialValidLoss: Number(initialLoss.toPrecision(6)),
    validLoss: Number(best.loss.toPrecision(6)),
    trainLoss: Number(trainLoss.toPrecision(6)),
    backend: backendReport()?.used ?? tf.getBackend(),
  }
  return {...globalModel(network, cfg, residuals, params, heldOutFrom), trainMs: Math.round(trainMs), trainCpuMs: Math.round((cpu.user + cpu.system) / 1000)}
}

/** A model from a trained (or loaded) network and its calibration residuals. */
export function globalModel(network: tf.LayersModel, cfg: GlobalNetworkConfig, residuals: Float64Array[], params: Record<string, number | string>, heldOutFrom = new Int32Array(0)): GlobalModel {
  const L = cfg.inputSize
  const check = (origin: number, horizon: number): void => {
    if (horizon > cfg.horizon) throw new InputError({field: 'horizon'}, `the network was trained for ${cfg.horizon} steps, not ${horizon}`)
    if (origin < 1) throw new InputError({}, 'nbeats needs at least one point of history')
  }
  const W = inputWidth(cfg)
  const pointBatch = (items: readonly PointItem[]): Float64Array[] => {
    const xb = new Float32Array(items.length * W)
    const scales = items.map((it, i) => {
      if (cfg.baseline === 'ets' && it.base?.length !== cfg.horizon) throw new Error('the hybrid network needs the baseline forecast of every window')
      const s = windowScale(it.values, it.origin, L)
      fillInput(xb, i * W, it.values, it.origin, L, s, cfg.baseline === 'ets' ? it.base : undefined)
      return s
    })
    const out = tf.tidy(() => (network.predict(tf.tensor2d(xb, [items.length, W])) as tf.Tensor).dataSync())
    return items.map((_, i) => Float64Array.from(out.subarray(i * cfg.horizon, (i + 1) * cfg.horizon), (v) => v * scales[i]))
  }
  const point = (item: PointItem, horizon: number): Float64Array => {
    check(item.origin, horizon)
    return pointBatch([item])[0].slice(0, horizon)
  }
  return {
    network,
    cfg,
    residuals,
    params,
    heldOutFrom,
    point,
    pointBatch,
    quantiles(item, horizon, levels) {
      const p = point(item, horizon)
      const s = windowScale(item.values, item.origin, L)
      return levels.map((q) =>
        Float64Array.from(p, (v, h) => {
          const e = residuals[h]
          const k = e.length
          return v + s * quantileSorted(e, Math.min(1, Math.max(0, 0.5 + ((q - 0.5) * (k + 1)) / k)))
        }),
      )
    },
  }
}
