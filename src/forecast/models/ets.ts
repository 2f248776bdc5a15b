import {nelderMead} from '../../util/nelder-mead.js'
import type {FitContext, Fitted, ModelSpec} from './model.js'

/**
 * Holt-Winters exponential smoothing (ETS family, component form): level, optional damped additive
 * trend, and additive or multiplicative seasonality. Each variant's smoothing parameters (α, β, γ,
 * φ) are fitted by minimising the mean squared error of forecasts 1..horizon steps ahead from
 * MULTI_STEP_ORIGINS (40) origins (Nelder–Mead), and the variant with the best AIC-style criterion on
 * that error wins. Holt-Winters needs two full seasons to initialise; with less history the
 * seasonality is dropped (or a shorter one used), with a warning.
 */

type Seasonal = 'none' | 'add' | 'mul'

interface Variant {
  m: number
  seasonal: Seasonal
  damped: boolean
}

interface Params {
  alpha: number
  beta: number
  gamma: number
  phi: number
}

/**
 * Most recent points used to fit when every seasonality is short (older history adds cost and little
 * for hourly/daily load). A longer seasonality widens the window to SEASONS_IN_WINDOW of its
 * seasons (a weekly season on 5-minute data is 2,016 points, a daily one on 1-minute data 1,440),
 * up to MAX_SEASONAL_FIT_POINTS; the cost of a fit is linear in the window.
 */
export const MAX_FIT_POINTS = 2000
const SEASONS_IN_WINDOW = 3
const MAX_SEASONAL_FIT_POINTS = 40_000

/** How many of the most recent `n` points ETS fits: bounded, but always room for two seasons of each seasonality that the history holds twice. */
export function fitWindow(n: number, seasonalities: readonly number[]): number {
  let want = MAX_FIT_POINTS
  for (const m of seasonalities) {
    if (n >= 2 * m && 2 * m <= MAX_SEASONAL_FIT_POINTS) want = Math.max(want, Math.min(SEASONS_IN_WINDOW * m, MAX_SEASONAL_FIT_POINTS))
  }
  return Math.min(n, want)
}

/** Origins at which the multi-step fitting error is measured. */
const MULTI_STEP_ORIGINS = 40

interface States {
  l: Float64Array
  b: Float64Array
  s: Float64Array
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x))
const logit = (p: number): number => Math.log(p / (1 - p))

function toParams(x: number[], v: Variant): Params {
  const alpha = 0.0001 + 0.9998 * sigmoid(x[0])
  const beta = v.damped ? alpha * sigmoid(x[1]) : 0
  const gamma = v.seasonal === 'none' ? 0 : (1 - alpha) * sigmoid(x[v.damped ? 2 : 1])
  const phi = v.damped ? 0.8 + 0.18 * sigmoid(x[3 - (v.seasonal === 'none' ? 1 : 0)]) : 1
  return {alpha, beta, gamma, phi}
}

function initialX(v: Variant): number[] {
  const x = [logit(0.3)]
  if (v.damped) x.push(logit(0.1))
  if (v.seasonal !== 'none') x.push(logit(0.1))
  if (v.damped) x.push(0)
  return x
}

/**
 * Run the recursions over `y`; returns the sum of squared one-step errors from `sseFrom` on. With
 * `out`, stores every state: l[t], b[t] after t observations, and s[t + m] after observation t.
 */
function run(y: Float64Array, v: Variant, p: Params, sseFrom: number, out?: States, multi?: {horizon: number; stride: number}): number {
  const n = y.length
  const m = v.seasonal === 'none' ? 1 : v.m
  const season = new Float64Array(m)
  let l: number
  let b = 0
  if (v.seasonal === 'none') {
    l = y[0]
    if (v.damped) {
      const k = Math.min(10, n - 1)
      b = k > 0 ? (y[k] - y[0]) / k : 0
    }
  } else {
    let a = 0
    let c = 0
    for (let i = 0; i < m; i++) {
      a += y[i]
      c += y[i + m]
    }
    a /= m
    c /= m
    l = a
    if (v.damped) b = (c - a) / m
    for (let i = 0; i < m; i++) season[i] = v.seasonal === 'mul' ? (a > 0 ? y[i] / a : 1) : y[i] - a
  }
  const {alpha, beta, gamma, phi} = p
  if (out) {
    out.l[0] = l
    out.b[0] = b
    for (let i = 0; i < m; i++) out.s[i] = season[i]
  }
  let sse = 0
  for (let t = 0; t < n; t++) {
    if (multi !== undefined && t >= sseFrom && (n - t) % multi.stride === 0) {
      // Multi-step errors from this origin: fitting to them (not to one-step errors alone) keeps
      // α and β from chasing noise, which ruins forecasts a day or two ahead.
      const hMax = Math.min(multi.horizon, n - t)
      let damp = 0
      let phiH = 1
      let e2 = 0
      for (let h = 1; h <= hMax; h++) {
        phiH *= p.phi
        damp += phiH
        const tr = l + damp * b
        const s = season[(t + h - 1) % m]
        const e = y[t + h - 1] - (v.seasonal === 'mul' ? tr * s : tr + s)
        e2 += e * e
      }
      sse += (e2 / hMax) * multi.stride
    }
    const k = t % m
    const s = season[k]
    const trend = l + phi * b
    const yt = y[t]
    let yhat: number
    let lNew: number
    if (v.seasonal === 'mul') {
      yhat = trend * s
      lNew = alpha * (yt / s) + (1 - alpha) * trend
      season[k] = gamma * (yt / trend) + (1 - gamma) * s
    } else {
      yhat = trend + s
      lNew = alpha * (yt - s) + (1 - alpha) * trend
      if (v.seasonal === 'add') season[k] = gamma * (yt - trend) + (1 - gamma) * s
    }
    b = beta * (lNew - l) + (1 - beta) * phi * b
    l = lNew
    if (multi === undefined && t >= sseFrom) {
      const e = yt - yhat
      sse += e * e
    }
    if (out) {
      out.l[t + 1] = l
      out.b[t + 1] = b
      out.s[t + m] = season[k]
    }
  }
  return Number.isFinite(sse) ? sse : Number.MAX_VALUE
}

function forecastFromStates(st: States, v: Variant, p: Params, origin: number, horizon: number): Float64Array {
  const m = v.seasonal === 'none' ? 1 : v.m
  const l = st.l[origin]
  const b = st.b[origin]
  const out = new Float64Array(horizon)
  let damp = 0
  let phiH = 1
  for (let h = 1; h <= horizon; h++) {
    phiH *= p.phi
    damp += v.damped ? phiH : 0
    const trend = l + damp * b
    const s = st.s[origin + ((h - 1) % m)]
    out[h - 1] = v.seasonal === 'mul' ? trend * s : v.seasonal === 'add' ? trend + s : trend
  }
  return out
}

export const ets: ModelSpec = {
  name: 'ets',
  async fit(values: Float64Array, ctx: FitContext): Promise<Fitted> {
    const n = values.length
    const offset = n - fitWindow(n, ctx.seasonalities)
    const y = values.subarray(offset)
    const seasons = ctx.seasonalities.filter((m) => y.length >= 2 * m)
    const skipped = ctx.seasonalities.filter((m) => y.length < 2 * m)
    if (skipped.length > 0) {
      const window = y.length < n ? ` (of which the most recent ${y.length} are fitted)` : ''
      ctx.warnings.push(
        `ets: Holt-Winters needs two full seasons; the history of ${n} points${window} is shorter than 2×${skipped.join(' and 2×')}, ` +
          (seasons.length > 0 ? `so only seasonality ${seasons.join(', ')} is fitted` : 'so it falls back to non-seasonal smoothing (level, optionally damped trend)'),
      )
    }
    const positive = y.every((x) => x > 0)
    const variants: Variant[] = []
    for (const m of seasons) {
      for (const damped of [false, true]) {
        variants.push({m, seasonal: 'add', damped})
        if (positive) variants.push({m, seasonal: 'mul', damped})
      }
    }
    if (variants.length === 0) {
      variants.push({m: 1, seasonal: 'none', damped: false}, {m: 1, seasonal: 'none', damped: true})
    }
    // Score every variant on the same points: after the longest initialisation among them.
    const sseFrom = Math.min(y.length - 1, Math.max(...variants.map((v) => (v.seasonal === 'none' ? 2 : 2 * v.m))))
    const scored = y.length - sseFrom
    const multi = {horizon: ctx.horizon, stride: Math.max(1, Math.round(scored / MULTI_STEP_ORIGINS))}
    let best: {v: Variant; p: Params; aic: number} | undefined
    for (const v of variants) {
      const x0 = initialX(v)
      const r = nelderMead((x) => run(y, v, toParams(x, v), sseFrom, undefined, multi), x0, {step: 1, maxEvaluations: 60 * x0.length, tolerance: 1e-6})
      const k = x0.length + 1 + (v.damped ? 1 : 0) + (v.seasonal === 'none' ? 0 : v.m - 1)
      const aic = scored * Math.log(Math.max(r.fx, 1e-12) / scored) + 2 * k
      if (best === undefined || aic < best.aic) best = {v, p: toParams(r.x, v), aic}
    }
    const {v, p} = best!
    const m = v.seasonal === 'none' ? 1 : v.m
    const states: States = {l: new Float64Array(y.length + 1), b: new Float64Array(y.length + 1), s: new Float64Array(y.length + m)}
    run(y, v, p, 0, states)
    const minOrigin = offset + (v.seasonal === 'none' ? 4 : 2 * v.m)
    return {
      model: 'ets',
      params: {
        seasonality: v.seasonal === 'none' ? 0 : v.m,
        seasonal: v.seasonal,
        trend: v.damped ? 'damped' : 'none',
        alpha: round(p.alpha),
        beta: round(p.beta),
        gamma: round(p.gamma),
        phi: round(p.phi),
        criterion: round(best!.aic),
      },
      minOrigin,
      calibrationStride: 1,
      forecastFrom: (origin, horizon) => forecastFromStates(states, v, p, origin - offset, horizon),
      point: (horizon) => forecastFromStates(states, v, p, y.length, horizon),
    }
  },
}

function round(x: number): number {
  return Number(x.toPrecision(6))
}
