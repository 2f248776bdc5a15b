import {linearRegression} from 'simple-statistics'

import type {FitContext, Fitted, ModelSpec} from './model.js'

/**
 * Linear trend plus several additive seasonal profiles (daily and weekly): the trend is a least
 * squares line (simple-statistics) over a recent window, each profile the mean deviation at its
 * phase; the two are fitted alternately (backfitting). A profile needs two full seasons in the
 * window; a seasonality without them is left out with a warning.
 */

/** Window of the fit, in seasons of the longest seasonality (at least this many points when shorter). */
const WINDOW_SEASONS = 2
const MIN_WINDOW = 96
const BACKFIT_ROUNDS = 3

interface LinearFit {
  slope: number
  intercept: number
  /** Profiles by period, indexed by absolute position mod period. */
  profiles: Map<number, Float64Array>
}

function fitWindow(values: Float64Array, end: number, seasons: readonly number[]): LinearFit {
  const longest = seasons.length > 0 ? Math.max(...seasons) : 0
  const start = Math.max(0, end - Math.max(MIN_WINDOW, WINDOW_SEASONS * longest))
  const len = end - start
  const profiles = new Map<number, Float64Array>()
  for (const m of seasons) profiles.set(m, new Float64Array(m))
  const seasonal = new Float64Array(len)
  let slope = 0
  let intercept = 0
  const pairs: [number, number][] = new Array<[number, number]>(len)
  for (let round = 0; round < (seasons.length > 0 ? BACKFIT_ROUNDS : 1); round++) {
    for (let i = 0; i < len; i++) pairs[i] = [start + i, values[start + i] - seasonal[i]]
    const line = linearRegression(pairs)
    slope = line.m
    intercept = line.b
    for (const m of seasons) {
      const prof = profiles.get(m)!
      const sum = new Float64Array(m)
      const count = new Float64Array(m)
      for (let i = 0; i < len; i++) {
        const t = start + i
        const k = t % m
        // deviation from the trend and from the other profiles
        const other = seasonal[i] - prof[k]
        sum[k] += values[t] - (intercept + slope * t) - other
        count[k]++
      }
      let mean = 0
      for (let k = 0; k < m; k++) {
        sum[k] = count[k] > 0 ? sum[k] / count[k] : 0
        mean += sum[k] / m
      }
      for (let k = 0; k < m; k++) sum[k] -= mean
      for (let i = 0; i < len; i++) {
        const k = (start + i) % m
        seasonal[i] += sum[k] - prof[k]
      }
      prof.set(sum)
    }
  }
  return {slope, intercept, profiles}
}

function predict(fit: LinearFit, from: number, horizon: number): Float64Array {
  const out = new Float64Array(horizon)
  for (let h = 0; h < horizon; h++) {
    const t = from + h
    let v = fit.intercept + fit.slope * t
    for (const [m, prof] of fit.profiles) v += prof[t % m]
    out[h] = v
  }
  return out
}

export const linear: ModelSpec = {
  name: 'linear',
  async fit(values: Float64Array, ctx: FitContext): Promise<Fitted> {
    const n = values.length
    const seasons = ctx.seasonalities.filter((m) => n >= 2 * m)
    const skipped = ctx.seasonalities.filter((m) => n < 2 * m)
    if (skipped.length > 0) {
      ctx.warnings.push(`linear: a seasonal profile needs two full seasons; ${n} points is too few for ${skipped.join(', ')}, left out`)
    }
    const fit = fitWindow(values, n, seasons)
    const minOrigin = Math.max(8, 2 * Math.max(0, ...seasons))
    return {
      model: 'linear',
      params: {slope: Number(fit.slope.toPrecision(6)), intercept: Number(fit.intercept.toPrecision(6)), seasonalities: seasons.join(',')},
      minOrigin,
      calibrationStride: Math.max(1, Math.round(ctx.horizon / 8)),
      forecastFrom: (origin, horizon) => predict(fitWindow(values, origin, seasons), origin, horizon),
      point: (horizon) => predict(fit, n, horizon),
    }
  },
}
