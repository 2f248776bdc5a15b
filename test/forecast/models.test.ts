import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {backtest, forecast, loadSeriesCsv, mase, maseScale, parseMask, pinball, type Series, smape} from '../../src/forecast/index.js'
import {nelderMead} from '../../src/util/nelder-mead.js'
import {join} from 'node:path'

import {fitWindow, MAX_FIT_POINTS} from '../../src/forecast/models/ets.js'
import {ROOT} from '../helpers/cli.js'

/** The vendored public data (data/). */
const dataPath = (...parts: string[]): string => join(ROOT, 'data', ...parts)

/** Hourly series: level + trend + daily and weekly cycles + seeded Gaussian noise. */
function synthetic(n: number, opts: {trend?: number; noise?: number; seed?: number; weekly?: number} = {}): Series {
  const rng = new RandomStreams(opts.seed ?? 7).stream('noise')
  const values = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const daily = 30 * Math.sin((2 * Math.PI * i) / 24)
    const weekly = (opts.weekly ?? 10) * Math.sin((2 * Math.PI * i) / 168)
    values[i] = 200 + (opts.trend ?? 0) * i + daily + weekly + (opts.noise ?? 3) * rng.normal()
  }
  return {name: 'synthetic', startS: 1_700_000_000 - (1_700_000_000 % 3600), stepS: 3600, values}
}

describe('metrics', () => {
  it('MASE, sMAPE and pinball on hand-checked values', () => {
    expect(maseScale([1, 2, 4, 7], 1)).toBe(2)
    expect(mase([10, 10], [9, 12], 2)).toBe(0.75)
    expect(smape([100, 0], [50, 0])).toBeCloseTo((200 * 50) / 150 / 2, 10)
    // y above the q0.9 forecast by 10 costs 0.9·10; below by 10 costs 0.1·10
    expect(pinball([10, 0], [0, 10], 0.9, 1)).toBeCloseTo((9 + 1) / 2, 10)
  })
  it('skips imputed points', () => {
    expect(mase([10, 1000], [9, 0], 1, [0, 1])).toBe(1)
  })
  it('Nelder–Mead finds the minimum of a shifted bowl', () => {
    const r = nelderMead((x) => (x[0] - 3) ** 2 + 2 * (x[1] + 1) ** 2, [0, 0])
    expect(r.x[0]).toBeCloseTo(3, 3)
    expect(r.x[1]).toBeCloseTo(-1, 3)
  })
})

describe('models', () => {
  const levels = [0.05, 0.5, 0.9, 0.95, 0.99]

  it('seasonal naive repeats the last day exactly', async () => {
    const s = synthetic(24 * 10, {noise: 0, weekly: 0})
    const f = await forecast(s, {model: 'seasonal-naive', horizon: 30, quantiles: [0.5]})
    for (let h = 0; h < 30; h++) expect(f.quantiles.p50[h]).toBeCloseTo(s.values[s.values.length - 24 + (h % 24)], 4)
  })

  it('every model gives ordered, non-negative quantiles for every step', async () => {
    const s = synthetic(24 * 21)
    for (const model of ['seasonal-naive', 'ets', 'linear', 'auto'] as const) {
      const f = await forecast(s, {model, horizon: 48, quantiles: levels})
      expect(f.timestamps).toHaveLength(48)
      expect(f.timestamps[0]).toBe(s.startS + s.values.length * 3600)
      for (let h = 0; h < 48; h++) {
        const col = levels.map((l) => f.quantiles[`p${l * 100}`][h])
        expect(col.every((v) => v >= 0)).toBe(true)
        for (let i = 1; i < col.length; i++) expect(col[i]).toBeGreaterThanOrEqual(col[i - 1])
      }
    }
  })

  it('ETS beats seasonal naive on a trending seasonal series, with fitted parameters', async () => {
    const s = synthetic(24 * 28 + 48, {trend: 0.05, noise: 2, weekly: 0})
    const train: Series = {...s, values: s.values.slice(0, -48)}
    const actual = s.values.slice(-48)
    const f = await forecast(train, {model: 'ets', horizon: 48, quantiles: [0.5]})
    expect(f.model).toBe('ets')
    expect(Number(f.params.alpha)).toBeGreaterThan(0)
    expect(Number(f.params.alpha)).toBeLessThan(1)
    expect([24, 168]).toContain(f.params.seasonality)
    const naive = await forecast(train, {model: 'seasonal-naive', horizon: 48, quantiles: [0.5]})
    const scale = maseScale(train.values, 24)
    expect(mase(actual, f.quantiles.p50, scale)).toBeLessThan(0.8 * mase(actual, naive.quantiles.p50, scale))
  })

  it('linear recovers a trend and both seasonal profiles', async () => {
    const s = synthetic(24 * 28 + 48, {trend: 0.2, noise: 0.5, weekly: 25})
    const train: Series = {...s, values: s.values.slice(0, -48)}
    const f = await forecast(train, {model: 'linear', horizon: 48, quantiles: [0.5]})
    expect(Number(f.params.slope)).toBeCloseTo(0.2, 1)
    expect(f.params.seasonalities).toBe('24,168')
    expect(mase(s.values.slice(-48), f.quantiles.p50, maseScale(train.values, 24))).toBeLessThan(0.3)
  })

  it('Holt-Winters with less than two seasons falls back with a warning, never a crash', async () => {
    const s = synthetic(30) // 30 hourly points: < 2 days, < 2 weeks
    const f = await forecast(s, {model: 'ets', horizon: 12, quantiles: [0.5, 0.9]})
    expect(f.warnings.join()).toMatch(/ets: Holt-Winters needs two full seasons.*non-seasonal smoothing/)
    expect(f.params.seasonal).toBe('none')
    expect(f.quantiles.p90.every((v) => Number.isFinite(v))).toBe(true)
    const sn = await forecast(synthetic(10), {model: 'seasonal-naive', horizon: 5, quantiles: [0.5]})
    expect(sn.warnings.join()).toMatch(/less than one season.*naive/)
  })

  it('P90 intervals are calibrated on a stationary noisy series (rolling backtest)', async () => {
    const s = synthetic(24 * 60, {noise: 8, seed: 3})
    const r = await backtest([s], {models: ['ets', 'seasonal-naive'], holdout: 24, origins: 10})
    for (const score of r.scores) {
      expect(score.coverage90).toBeGreaterThan(0.8)
      expect(score.coverage90).toBeLessThan(0.98)
    }
  })

  it('auto reports the backtest scores it chose by and picks the lowest', async () => {
    const f = await forecast(synthetic(24 * 28, {noise: 2}), {model: 'auto', horizon: 24, quantiles: [0.5, 0.9]})
    expect(f.selection!.method).toBe('refit')
    expect(f.selection!.origins).toBe(3)
    const scores = f.selection!.scores
    expect(Object.keys(scores).sort()).toEqual(['ets', 'linear', 'seasonal-naive'])
    expect(scores[f.model]).toBe(Math.min(...Object.values(scores)))
  })

  it('auto by calibration errors picks the lowest score and says how its intervals were made', async () => {
    const f = await forecast(synthetic(24 * 28, {noise: 2}), {model: 'auto', autoMethod: 'calibration', horizon: 24, quantiles: [0.5, 0.9]})
    expect(f.selection!.method).toBe('calibration')
    expect(f.selection!.scores[f.model]).toBe(Math.min(...Object.values(f.selection!.scores)))
    expect(f.intervals).toMatch(/intervals from the newer half, model picked on the older half/)
  })

  it('refuses bad options', async () => {
    const s = synthetic(100)
    await expect(forecast(s, {model: 'ets', horizon: 0, quantiles: [0.5]})).rejects.toThrow(/horizon: must be a whole number/)
    await expect(forecast(s, {model: 'ets', horizon: 5, quantiles: [1.5]})).rejects.toThrow(/quantile level must be in \(0, 1\)/)
  })
})

describe('defects of issue 18, each with the case that failed before', () => {
  it('ETS fits a daily season on 1-minute data (2,880 points for two seasons) and beats seasonal naive', async () => {
    // Before: MAX_FIT_POINTS = 2000 < 2 × 1440, so the season was dropped: MASE 9.60 vs seasonal naive 1.02.
    const rng = new RandomStreams(4).stream('noise')
    const n = 1440 * 4
    const values = Float64Array.from({length: n}, (_, i) => 500 + 200 * Math.sin((2 * Math.PI * i) / 1440) + 5 * rng.normal())
    const s: Series = {name: 'minutely', startS: 1_700_000_000 - (1_700_000_000 % 86_400), stepS: 60, values}
    const r = await backtest([s], {models: ['seasonal-naive', 'ets'], holdout: 120, seasonalities: [1440]})
    const [sn, ets] = r.scores
    expect(ets.warnings).toEqual({})
    expect(ets.mase).toBeLessThan(sn.mase)
    const f = await forecast(s, {model: 'ets', horizon: 60, quantiles: [0.5], seasonalities: [1440]})
    expect(f.params.seasonality).toBe(1440)
    // A weekly season on 5-minute data (2,016 points) gets room for two seasons too.
    expect(fitWindow(20_000, [288, 2016])).toBeGreaterThanOrEqual(2 * 2016)
    expect(fitWindow(20_000, [24, 168])).toBe(MAX_FIT_POINTS)
  })

  it('the ETS warning states the history length, and the window fitted when it is shorter', async () => {
    const f = await forecast(synthetic(30), {model: 'ets', horizon: 12, quantiles: [0.5], seasonalities: [24, 168]})
    expect(f.warnings.join()).toMatch(/the history of 30 points is shorter than 2×24 and 2×168/)
  })

  it('P50 is never clipped to 0 on a series that never goes below 1; a raise to the floor is said', async () => {
    // Before: a falling series' median forecast went below 0 and was clipped to 0 without a word.
    const n = 24 * 14
    const values = Float64Array.from({length: n}, (_, i) => Math.max(1, 400 - (400 * i) / (n - 10)) + (i % 24 === 0 ? 3 : 0))
    const s: Series = {name: 'falling', startS: 0, stepS: 3600, values}
    const f = await forecast(s, {model: 'ets', horizon: 48, quantiles: [0.1, 0.5, 0.9], seasonalities: [24]})
    expect(Math.min(...f.quantiles.p50)).toBeGreaterThanOrEqual(1)
    if (f.warnings.some((w) => /raised/.test(w))) expect(f.warnings.join()).toMatch(/below the lowest observed value 1 raised to it/)
    expect(Math.min(...f.quantiles.p10)).toBeGreaterThanOrEqual(0)
  })

  it('seasonal naive is the textbook baseline: P50 is exactly the value one season earlier, no median shift', async () => {
    const s = synthetic(24 * 14, {noise: 10, trend: 0.3})
    const f = await forecast(s, {model: 'seasonal-naive', horizon: 48, quantiles: [0.5, 0.9]})
    for (let h = 0; h < 48; h++) expect(f.quantiles.p50[h]).toBe(Number(s.values[s.values.length - 24 + (h % 24)].toPrecision(8)))
  })

  it('a backtest says which model produced every window, and never credits one model with another\'s', async () => {
    const r = await backtest([synthetic(24 * 21)], {models: ['seasonal-naive', 'ets', 'auto'], holdout: 24, origins: 2})
    for (const sc of r.scores) {
      const produced = Object.entries(sc.producedBy)
      expect(produced.reduce((a, [, v]) => a + v, 0)).toBe(2)
      if (sc.model !== 'auto') expect(Object.keys(sc.producedBy)).toEqual([sc.model])
    }
    expect(r.autoPicks).toHaveLength(2)
    expect(r.perSeries[0].scores.ets.windows).toBe(2)
  })
})

describe('NAB NYC taxi backtest', () => {
  it('the best model beats seasonal naive on MASE, with the NAB anomaly windows masked', async () => {
    const masks = ['2014-10-30T15:30/2014-11-03T22:30', '2014-11-25T12:00/2014-11-29T19:00', '2014-12-23T11:30/2014-12-27T18:30', '2014-12-29T21:30/2015-01-03T04:30', '2015-01-24T20:30/2015-01-29T03:30'].map((m) => parseMask(m))
    const {series} = await loadSeriesCsv(dataPath('traces', 'nab_nyc_taxi_30min.csv'), {masks})
    const r = await backtest([series], {models: ['seasonal-naive', 'ets', 'auto'], holdout: 48, origins: 10})
    const naive = r.scores.find((s) => s.model === 'seasonal-naive')!
    const best = r.scores.find((s) => s.model === r.best)!
    expect(r.best).not.toBe('seasonal-naive')
    expect(best.mase).toBeLessThan(0.8 * naive.mase)
    // windows inside the blizzard mask are not scored
    expect(naive.windows).toBeLessThan(10)
    expect(naive.points % 48).toBeGreaterThanOrEqual(0)
    expect(smape([1], [1])).toBe(0)
  })
})
