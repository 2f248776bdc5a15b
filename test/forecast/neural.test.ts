import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {initBackend, loadModel, saveModel, type Series, train} from '../../src/forecast/index.js'

function series(n: number): Series {
  const rng = new RandomStreams(11).stream('noise')
  const values = Float64Array.from({length: n}, (_, i) => 100 + 40 * Math.sin((2 * Math.PI * i) / 24) + 4 * rng.normal())
  return {name: 'neural-test', startS: 1_699_999_200, stepS: 3600, values}
}

describe('TensorFlow.js backends', () => {
  it('a native backend that is not installed is refused with its reason', async () => {
    let installed = true
    try {
      const name: string = '@tensorflow/tfjs-node'
      await import(name)
    } catch {
      installed = false
    }
    if (installed) return // a machine with libtensorflow: the native path is exercised by scripts/gpu-check.sh
    await expect(initBackend('tensorflow')).rejects.toThrow(/--backend: backend tensorflow could not be loaded \(tensorflow: not installed/)
  })

  it('auto falls back past the native backends and reports why they were skipped', async () => {
    const r = await initBackend('auto')
    expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(r.used)
    expect(r.attempts.at(-1)).toMatchObject({backend: r.used, ok: true})
    for (const a of r.attempts.slice(0, -1)) expect(a.reason).toMatch(/\S/)
    expect(tf.getBackend()).toBe(r.tfBackend)
  })

  it('wasm and cpu load when asked for by name', async () => {
    const w = await initBackend('wasm')
    expect(w.used).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    const c = await initBackend('cpu')
    expect(c.used).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
  })
})

describe('N-BEATS-like quantile network', () => {
  const opts = {model: 'nbeats' as const, horizon: 24, quantiles: [0.5, 0.9, 0.99], seed: 5, neural: {epochs: 4, hiddenUnits: 32, maxWindows: 256}}

  it('trains on the pinball loss, is seeded, and gives ordered quantiles', async () => {
    await initBackend('cpu')
    const s = series(24 * 20)
    const epochs: number[] = []
    const a = await train(s, {...opts, onProgress: (e) => epochs.push(e.loss)})
    expect(a.forecast.model).toBe('nbeats')
    expect(epochs).toHaveLength(4)
    expect(epochs[3]).toBeLessThan(epochs[0])
    expect(a.forecast.params.backend).toBe('cpu')
    // The most recent windows were held back from training to conformalize each level.
    expect(Number(a.forecast.params.calibrationWindows)).toBeGreaterThanOrEqual(20)
    expect(String(a.forecast.params.shifts).split(',')).toHaveLength(3)
    expect(a.forecast.intervals).toMatch(/conformal/)
    for (let h = 0; h < 24; h++) {
      expect(a.forecast.quantiles.p90[h]).toBeGreaterThanOrEqual(a.forecast.quantiles.p50[h])
      expect(a.forecast.quantiles.p99[h]).toBeGreaterThanOrEqual(a.forecast.quantiles.p90[h])
    }
    const b = await train(s, opts)
    expect(b.forecast.quantiles).toEqual(a.forecast.quantiles)
    const c = await train(s, {...opts, seed: 6})
    expect(c.forecast.quantiles.p50).not.toEqual(a.forecast.quantiles.p50)
  })

  it('saves in TensorFlow.js format with metadata and loads back to the same forecast', async () => {
    await initBackend('cpu')
    const s = series(24 * 20)
    const t = await train(s, opts)
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-nn-')), 'model')
    await saveModel(dir, t)
    const meta = JSON.parse(readFileSync(join(dir, 'fleetcap-model.json'), 'utf8'))
    expect(meta).toMatchObject({model: 'nbeats', stepS: 3600, horizon: 24, scaling: 'window-mean', seasonalities: [24, 168]})
    expect(meta.trainingWindow.points).toBe(480)
    expect(meta.network.shifts).toHaveLength(3)
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    expect(modelJson.format).toBe('layers-model')
    // The saved network also loads with TensorFlow.js's own loader.
    const net = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: new Uint8Array(readFileSync(join(dir, 'weights.bin'))).buffer,
    }))
    expect(net.outputs[0].shape).toEqual([null, 24 * 3])
    const loaded = await loadModel(dir)
    const f = await loaded.forecast(s)
    expect(f.quantiles.p50).toEqual(t.forecast.quantiles.p50)
    expect(f.quantiles.p99).toEqual(t.forecast.quantiles.p99)
    await expect(loaded.forecast({...s, stepS: 60})).rejects.toThrow(/trained on a 3600 s step/)
  })

  it('falls back to ETS with a warning when the history is too short to train', async () => {
    await initBackend('cpu')
    const t = await train(series(60), opts)
    expect(t.forecast.model).toBe('ets')
    expect(t.forecast.warnings.join()).toMatch(/nbeats: 60 points give fewer than 64 training windows/)
  })

  it('a classical model saves its metadata and is refitted on load', async () => {
    const s = series(24 * 20)
    const t = await train(s, {model: 'ets', horizon: 24, quantiles: [0.5, 0.9]})
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-ets-')), 'model')
    await saveModel(dir, t)
    const loaded = await loadModel(dir)
    expect(loaded.meta.params.alpha).toBe(t.forecast.params.alpha)
    expect((await loaded.forecast(s)).quantiles).toEqual(t.forecast.quantiles)
  })
})
