import * as tf from '@tensorflow/tfjs'

/**
 * The global forecaster's network: N-BEATS' generic stack (Oreshkin et al., 2020) on TensorFlow.js,
 * as one member or an ensemble of members that share the input and are averaged (N-BEATS' ensembling
 * is a large part of its M4 score). Each member is trained on its own (`members[k]`, sharing layers
 * with `combined`), so the ensemble is a mean of independently trained networks, not one wide one.
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
  /** Networks averaged (absent in models saved before ensembles: 1). */
  members?: number
  /** Window normalisation (absent in models saved before: `mean`). */
  scaling?: WindowScaling
  /** The primary season in steps (the lag of `mase` scaling). */
  season?: number
}

/** `mase`: (x − input mean) / input's seasonal-naive error; `log`: the same on log(x + 1% of the level); `mean`: x / input's mean absolute value. */
export type WindowScaling = 'mase' | 'mean' | 'log'

/** Width of the network's input: the window, plus the baseline's forecast for a hybrid. */
export function inputWidth(cfg: GlobalNetworkConfig): number {
  return cfg.inputSize + (cfg.baseline === 'ets' ? cfg.horizon : 0)
}

export interface GlobalNetworks {
  /** The ensemble's forecast: the mean of the members' (the model that is saved and used). */
  combined: tf.LayersModel
  /** Each member alone (its layers are the combined model's), for training and checking. */
  members: tf.LayersModel[]
}

/** One member's forecast from `input`; `name` prefixes its layers, `seed0` seeds its initialisers. */
function member(input: tf.SymbolicTensor, cfg: GlobalNetworkConfig, name: (s: string) => string, seed0: number): tf.SymbolicTensor {
  let s = seed0
  const init = (): never => tf.initializers.glorotUniform({seed: s++}) as never
  const W = inputWidth(cfg)
  let residual: tf.SymbolicTensor = input
  const forecasts: tf.SymbolicTensor[] = []
  for (let b = 0; b < cfg.blocks; b++) {
    let h: tf.SymbolicTensor = residual
    for (let k = 0; k < cfg.layersPerBlock; k++) {
      h = tf.layers.dense({units: cfg.hiddenUnits, activation: 'relu', kernelInitializer: init(), name: name(`block${b}_fc${k}`)}).apply(h) as tf.SymbolicTensor
    }
    // A hybrid's forecast heads start at zero, so the untrained network forecasts exactly ETS's
    // forecast and training moves away from it only where that helps (step 0 competes in early stopping).
    const headInit = init()
    forecasts.push(tf.layers.dense({units: cfg.horizon, kernelInitializer: cfg.baseline === 'ets' ? 'zeros' : headInit, name: name(`block${b}_forecast`)}).apply(h) as tf.SymbolicTensor)
    if (b < cfg.blocks - 1) {
      // Learned with its sign flipped, so residual = input + (−backcast): tfjs-layers has no subtract layer.
      const negBackcast = tf.layers.dense({units: W, kernelInitializer: init(), name: name(`block${b}_backcast`)}).apply(h) as tf.SymbolicTensor
      residual = tf.layers.add({name: name(`block${b}_residual`)}).apply([residual, negBackcast]) as tf.SymbolicTensor
    }
  }
  if (cfg.baseline === 'ets') {
    // The baseline's forecast passes through unchanged (a fixed selection of the input's last H
    // values); the blocks learn a correction, so an untrained network forecasts what ETS does.
    const select = new Float32Array(W * cfg.horizon)
    for (let h = 0; h < cfg.horizon; h++) select[(cfg.inputSize + h) * cfg.horizon + h] = 1
    forecasts.push(tf.layers.dense({units: cfg.horizon, useBias: false, trainable: false, weights: [tf.tensor2d(select, [W, cfg.horizon])], name: name('baseline')}).apply(input) as tf.SymbolicTensor)
  }
  return forecasts.length > 1 ? (tf.layers.add({name: name('forecast')}).apply(forecasts) as tf.SymbolicTensor) : forecasts[0]
}

/** The network(s), seeded: member k's initialisers are seeded from seed × 1000 + 50k. */
export function buildGlobalNetwork(cfg: GlobalNetworkConfig, seed: number): GlobalNetworks {
  const K = cfg.members ?? 1
  const input = tf.input({shape: [inputWidth(cfg)], name: 'window'})
  // One member keeps the original layer names (models saved before ensembles load unchanged).
  const outs = Array.from({length: K}, (_, k) => member(input, cfg, (s) => (K === 1 ? s : `m${k}_${s}`), seed * 1000 + 50 * k))
  const members = outs.map((o, k) => tf.model({inputs: input, outputs: o, name: K === 1 ? 'nbeats_global' : `nbeats_member${k}`}))
  const combined = K === 1 ? members[0] : tf.model({inputs: input, outputs: tf.layers.average({name: 'ensemble_mean'}).apply(outs) as tf.SymbolicTensor, name: 'nbeats_global'})
  return {combined, members}
}
