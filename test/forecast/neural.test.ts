import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {initBackend, loadModel, saveModel, type Series, train, trainMany} from '../../src/forecast/index.js'

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

describe('global N-BEATS-style network', () => {
  const neural = {hiddenUnits: 16, maxSteps: 40, evalEvery: 10, patience: 100, batchSize: 32}
  const opts = {model: 'nbeats' as const, horizon: 24, quantiles: [0.1, 0.5, 0.9, 0.99], seed: 5, neural}

  it('trains once across many series, samples windows from every one, stops on held-out windows, and is seeded', async () => {
    await initBackend('cpu')
    const list = [0, 1, 2].map((k) => ({...series(24 * 20), name: `s${k}`, values: series(24 * 20).values.map((v) => v * (k + 1) * 10)}))
    const progress: number[] = []
    const a = await trainMany(list, {...opts, onProgress: (e) => progress.push(e.validLoss)})
    expect(a.global!.params).toMatchObject({series: 3, trainingSeries: 3, steps: 40, backend: 'cpu', inputSize: 168})
    // Windows of all three series are trained on; each contributes held-out calibration windows.
    expect(Number(a.global!.params.trainingWindows)).toBeGreaterThan(3 * 24)
    expect(Number(a.global!.params.calibrationWindows)).toBeGreaterThanOrEqual(3 * 50)
    expect(progress).toHaveLength(4)
    // The best of the checks wins, step 0 (the untrained hybrid: ETS's own forecast) included.
    const checks = [Number(a.global!.params.initialValidLoss), ...progress.map((p) => Number(p.toPrecision(6)))]
    expect(Number(a.global!.params.validLoss)).toBe(Math.min(...checks))
    expect(a.global!.params.baseline).toBe('ets')
    for (const t of a.trained) {
      expect(t.forecast.model).toBe('nbeats')
      expect(t.forecast.intervals).toMatch(/split conformal: residuals of \d+ held-out windows per horizon step/)
      for (let h = 0; h < 24; h++) {
        expect(t.forecast.quantiles.p90[h]).toBeGreaterThanOrEqual(t.forecast.quantiles.p50[h])
        expect(t.forecast.quantiles.p50[h]).toBeGreaterThanOrEqual(t.forecast.quantiles.p10[h])
      }
    }
    // Scale-normalised windows: the series ×10 and ×30 get forecasts in proportion.
    const r = a.trained[2].forecast.quantiles.p50[0] / a.trained[0].forecast.quantiles.p50[0]
    expect(r).toBeCloseTo(3, 3)
    const b = await trainMany(list, opts)
    expect(JSON.stringify(b.trained.map((t) => t.forecast))).toBe(JSON.stringify(a.trained.map((t) => t.forecast)))
    // The seed reaches the initialisers and the sampler (plain network: a hybrid may keep step 0, i.e. ETS).
    const plain = {...opts, neural: {...neural, hybrid: false, maxSteps: 10, evalEvery: 10}}
    const d5 = await trainMany(list, plain)
    const d6 = await trainMany(list, {...plain, seed: 6})
    expect(d5.global!.params.baseline).toBe('none')
    expect(d6.trained[0].forecast.quantiles.p50).not.toEqual(d5.trained[0].forecast.quantiles.p50)
  }, 600_000)

  it('gives byte-identical forecasts for a seed on wasm too', async () => {
    await initBackend('wasm')
    const s = series(24 * 20)
    const a = await train(s, opts)
    const b = await train(s, opts)
    expect(a.forecast.params.backend).toBe('wasm')
    expect(JSON.stringify(b.forecast)).toBe(JSON.stringify(a.forecast))
    await initBackend('cpu')
  })

  it('saves in TensorFlow.js format with metadata and loads back to the same forecast', async () => {
    await initBackend('cpu')
    const s = series(24 * 20)
    const t = await train(s, opts)
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-nn-')), 'model')
    await saveModel(dir, t)
    const meta = JSON.parse(readFileSync(join(dir, 'fleetcap-model.json'), 'utf8'))
    expect(meta).toMatchObject({model: 'nbeats', stepS: 3600, horizon: 24, scaling: 'window-log', seasonalities: [24, 168]})
    expect(meta.trainingWindow.points).toBe(480)
    expect(meta.network.residuals).toHaveLength(24)
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    expect(modelJson.format).toBe('layers-model')
    // The saved network also loads with TensorFlow.js's own loader.
    const net = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: new Uint8Array(readFileSync(join(dir, 'weights.bin'))).buffer,
    }))
    expect(net.outputs[0].shape).toEqual([null, 24])
    const loaded = await loadModel(dir)
    const f = await loaded.forecast(s)
    expect(f.quantiles.p50).toEqual(t.forecast.quantiles.p50)
    expect(f.quantiles.p99).toEqual(t.forecast.quantiles.p99)
    await expect(loaded.forecast({...s, stepS: 60})).rejects.toThrow(/trained on a 3600 s step/)
  })

  it('an untrained hybrid forecasts exactly what ETS does (its correction heads start at zero)', async () => {
    await initBackend('cpu')
    const s = series(24 * 20)
    const nn = await train(s, {...opts, neural: {...neural, maxSteps: 1, evalEvery: 1, learningRate: 0}})
    const e = await train(s, {model: 'ets', horizon: 24, quantiles: [0.5], seed: 5})
    const etsPoint = e.fitted.point(24)
    const nnPoint = nn.fitted.point(24)
    for (let h = 0; h < 24; h++) expect(nnPoint[h]).toBeCloseTo(etsPoint[h], 2)
  })

  it("the network's P50 is its own point forecast, not shifted by the calibration residuals' median", async () => {
    await initBackend('cpu')
    const s = series(24 * 20)
    const t = await train(s, {...opts, neural: {...neural, maxSteps: 20}})
    const g = t.fitted.global!
    // The residuals' medians are not zero, so a shifted P50 would differ from the point.
    expect(g.residuals.some((r) => Math.abs(r[Math.floor(r.length / 2)]) > 1e-3)).toBe(true)
    const point = t.fitted.point(24)
    for (let h = 0; h < 24; h++) expect(t.forecast.quantiles.p50[h]).toBeCloseTo(point[h], 4)
  })

  it('never becomes another model silently: too short a history is an input error naming why', async () => {
    await initBackend('cpu')
    // Before: "only 0 training windows…; using ets", labelled ets, exit 0.
    await expect(train(series(60), opts)).rejects.toThrow(/nbeats cannot train: the longest history has 60 points; it needs at least 72 \(half an input window of 48/)
  })

  it('a long single series gets many optimizer steps, not a capped share of its windows', async () => {
    await initBackend('cpu')
    // Before: an epoch was min(N, 2048) windows: a 700-point series got 40 steps in 20 epochs.
    const t = await train(series(700), {...opts, neural: {...neural, maxSteps: 60, evalEvery: 20}})
    expect(t.forecast.params.steps).toBe(60)
    expect(Number(t.forecast.params.trainingWindows)).toBeGreaterThan(200)
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
