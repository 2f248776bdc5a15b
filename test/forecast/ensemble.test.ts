import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {backtest, initBackend, loadModel, saveModel, type Series, trainMany} from '../../src/forecast/index.js'
import {decode, encode, windowNorm} from '../../src/forecast/models/global.js'

/** Daily sine with seeded noise, at a level and amplitude of choice. */
function series(name: string, n: number, level: number, amplitude: number, seed = 11): Series {
  const rng = new RandomStreams(seed).stream('noise')
  const values = Float64Array.from({length: n}, (_, i) => level + amplitude * Math.sin((2 * Math.PI * i) / 24) + 0.1 * amplitude * rng.normal())
  return {name, startS: 1_699_999_200, stepS: 3600, values}
}

const neural = {hiddenUnits: 16, maxSteps: 30, evalEvery: 10, patience: 100, batchSize: 32, hybrid: false}
const opts = {horizon: 24, quantiles: [0.1, 0.5, 0.9], seed: 5, neural}

describe('window normalisation (mase)', () => {
  it('centres each window and divides by its seasonal-naive error, so a flat series at a high level is not magnified', () => {
    const s = series('flat', 24 * 10, 1000, 50).values
    const n = windowNorm(s, s.length, {inputSize: 168, scaling: 'mase', season: 24})
    let mean = 0
    for (let i = s.length - 168; i < s.length; i++) mean += s[i]
    expect(n.shift).toBeCloseTo(mean / 168, 6)
    let diff = 0
    for (let i = s.length - 168 + 24; i < s.length; i++) diff += Math.abs(s[i] - s[i - 24])
    expect(n.scale).toBeCloseTo(diff / 144, 6)
    // The old scaling divided by the level (~1,000), 150 times the series' seasonal-naive error.
    const old = windowNorm(s, s.length, {inputSize: 168, scaling: 'mean'})
    expect(old.shift).toBe(0)
    expect(old.scale / n.scale).toBeGreaterThan(100)
    // A constant window: the scale is floored at 0.1% of the level, never 0.
    expect(windowNorm(new Float64Array(200).fill(500), 200, {inputSize: 168, scaling: 'mase', season: 24}).scale).toBeCloseTo(0.5, 6)
  })
})

describe('window normalisation (log)', () => {
  it('works on log(value + 1% of the level), so a trough missed by a factor counts as much as a peak missed by it', () => {
    // Deep troughs: 10 at night, 1,000 by day.
    const values = Float64Array.from({length: 24 * 10}, (_, i) => (i % 24 < 8 ? 10 : 1000))
    const n = windowNorm(values, values.length, {inputSize: 168, scaling: 'log', season: 24})
    let level = 0
    for (let i = values.length - 168; i < values.length; i++) level += values[i]
    expect(n.logOffset).toBeCloseTo((0.01 * level) / 168, 6)
    // The same relative miss gives the same encoded error at a trough and at a peak only in log
    // space: encoded, 3 × a trough's value is as far from it as 3 × a peak's value is from the peak.
    const off = n.logOffset!
    const troughMiss = encode(30 + 2 * off, n) - encode(10, n)
    const peakMiss = encode(3000 + 2 * off, n) - encode(1000, n)
    expect(troughMiss).toBeCloseTo(peakMiss, 9)
    const linear = windowNorm(values, values.length, {inputSize: 168, scaling: 'mase', season: 24})
    expect((encode(3000, linear) - encode(1000, linear)) / (encode(30, linear) - encode(10, linear))).toBeCloseTo(100, 6)
    // decode inverts encode, zeros included (the offset keeps the log finite).
    for (const v of [0, 10, 1000, 12_345.5]) expect(decode(encode(v, n), n)).toBeCloseTo(v, 6)
    expect(Number.isFinite(encode(0, n))).toBe(true)
    // A window with no seasonal change: the log-space scale is floored at 0.01 (1%), never 0.
    expect(windowNorm(new Float64Array(200).fill(500), 200, {inputSize: 168, scaling: 'log', season: 24}).scale).toBeCloseTo(0.01, 6)
  })

  it('trains with log scaling by default, says so, keeps intervals ordered and positive, and saves and loads', async () => {
    await initBackend('cpu')
    const list = [series('a', 24 * 20, 100, 40, 1), series('b', 24 * 20, 500, 60, 2), series('c', 24 * 20, 50, 5, 3)]
    const mase = await trainMany(list, {...opts, model: 'nbeats', neural: {...neural, scaling: 'mase'}})
    const log = await trainMany(list, {...opts, model: 'nbeats'})
    expect(log.global!.params).toMatchObject({scaling: 'log'})
    expect(log.trained[0].forecast.quantiles.p50).not.toEqual(mase.trained[0].forecast.quantiles.p50)
    for (const t of log.trained) {
      const {p10, p50, p90} = t.forecast.quantiles
      p50.forEach((v, h) => {
        expect(p10[h]).toBeLessThanOrEqual(v)
        expect(v).toBeLessThanOrEqual(p90[h])
        expect(p10[h]).toBeGreaterThanOrEqual(0)
      })
    }
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-log-')), 'model')
    await saveModel(dir, log.trained[2])
    const meta = JSON.parse(readFileSync(join(dir, 'fleetcap-model.json'), 'utf8'))
    expect(meta.scaling).toBe('window-log')
    expect(meta.network).toMatchObject({scaling: 'log'})
    const loaded = await loadModel(dir)
    expect((await loaded.forecast(list[2])).quantiles).toEqual(log.trained[2].forecast.quantiles)
  }, 600_000)
})

describe('ensembles and the ETS–network combination', () => {
  it('averages independently trained members, reports each, and saves and loads the ensemble', async () => {
    await initBackend('cpu')
    const list = [series('a', 24 * 20, 100, 40, 1), series('b', 24 * 20, 500, 60, 2), series('c', 24 * 20, 50, 5, 3)]
    const one = await trainMany(list, {...opts, model: 'nbeats'})
    const two = await trainMany(list, {...opts, model: 'nbeats', neural: {...neural, members: 2}})
    expect(two.global!.params).toMatchObject({members: 2, steps: 60, scaling: 'log'})
    expect(String(two.global!.params.bestStep)).toMatch(/^\d+,\d+$/)
    expect(String(two.global!.params.memberValidLoss).split(',')).toHaveLength(2)
    // Member 0 of the ensemble is the single network (same initialisers and sampler), so the
    // ensemble differs from it by the second member's share.
    expect(two.trained[0].forecast.quantiles.p50).not.toEqual(one.trained[0].forecast.quantiles.p50)
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-ens-')), 'model')
    await saveModel(dir, two.trained[1])
    const meta = JSON.parse(readFileSync(join(dir, 'fleetcap-model.json'), 'utf8'))
    expect(meta.network).toMatchObject({members: 2, scaling: 'log', season: 24})
    expect(meta.scaling).toBe('window-log')
    const loaded = await loadModel(dir)
    expect((await loaded.forecast(list[1])).quantiles).toEqual(two.trained[1].forecast.quantiles)
  }, 600_000)

  it('ets-nbeats is the mean of the two models\' quantiles, says so, and saves and loads', async () => {
    await initBackend('cpu')
    const list = [series('a', 24 * 20, 100, 40, 1), series('b', 24 * 20, 500, 60, 2)]
    const ets = await trainMany(list, {...opts, model: 'ets'})
    const nn = await trainMany(list, {...opts, model: 'nbeats'})
    const combo = await trainMany(list, {...opts, model: 'ets-nbeats'})
    for (const [i, t] of combo.trained.entries()) {
      expect(t.forecast.model).toBe('ets-nbeats')
      expect(t.forecast.intervals).toMatch(/^mean of the two models' quantiles: ets \(.*\) and nbeats \(split conformal/)
      expect(t.forecast.params.weights).toBe('ets 0.5, nbeats 0.5')
      for (const k of ['p10', 'p50', 'p90']) {
        const e = ets.trained[i].forecast.quantiles[k]
        const n = nn.trained[i].forecast.quantiles[k]
        // Forecasts are written with 8 significant digits.
        t.forecast.quantiles[k].forEach((v, h) => expect(v).toBeCloseTo((e[h] + n[h]) / 2, 3))
      }
    }
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-combo-')), 'model')
    await saveModel(dir, combo.trained[0])
    const loaded = await loadModel(dir)
    expect(loaded.meta.model).toBe('ets-nbeats')
    const f = await loaded.forecast(list[0])
    expect(f.model).toBe('ets-nbeats')
    f.quantiles.p50.forEach((v, h) => expect(v).toBeCloseTo(combo.trained[0].forecast.quantiles.p50[h], 3))
  }, 600_000)

  it('auto may pick the combination or the network only when it beats ETS on the validation windows', async () => {
    await initBackend('cpu')
    const list = [series('a', 24 * 20, 100, 40, 1), series('b', 24 * 20, 500, 60, 2)]
    const r = await trainMany(list, {...opts, model: 'auto', candidates: ['ets', 'nbeats', 'ets-nbeats']})
    const sel = r.selection!
    expect(Object.keys(sel.scores).sort()).toEqual(['ets', 'ets-nbeats', 'nbeats'])
    for (const m of ['nbeats', 'ets-nbeats'] as const) {
      if (sel.scores[m] >= sel.scores.ets) expect(sel.notes.join('\n')).toContain(`auto: ${m} not eligible: validation MASE ${sel.scores[m]} does not beat ets ${sel.scores.ets}`)
    }
    const eligible = Object.entries(sel.scores).filter(([m, s]) => m === 'ets' || s < sel.scores.ets)
    expect(sel.model).toBe(eligible.reduce((a, b) => (b[1] < a[1] ? b : a))[0])
    for (const t of r.trained) expect(t.forecast.model).toBe(sel.model)
  }, 600_000)

  it('a backtest of the combination says which model produced each window', async () => {
    await initBackend('cpu')
    const list = [series('a', 24 * 22, 100, 40, 1), series('b', 24 * 22, 500, 60, 2)]
    const r = await backtest(list, {models: ['ets', 'ets-nbeats'], holdout: 24, seed: 5, neural})
    const c = r.scores.find((s) => s.model === 'ets-nbeats')!
    expect(c.producedBy).toEqual({'ets-nbeats': 2})
    expect(c.mase).toBeGreaterThan(0)
    expect(r.neural).toMatchObject({series: 2, members: 1})
  }, 600_000)
})
