import {maseScale, quantileSorted} from './metrics.js'
import type {Fitted} from './models/model.js'

/**
 * Conformal-style intervals for point models: the forecast errors at each horizon step, measured by
 * forecasting from many recent origins with the fitted model on data before each origin, give the
 * quantiles that are added to the point forecast. Errors at imputed (filled/masked) targets are
 * not counted.
 */

/** Recent origins used to measure errors (stride 1 → this many forecasts). */
export const CALIBRATION_ORIGINS = 500
/** Below this many errors at one step, the errors of all steps are pooled. */
const MIN_PER_STEP = 30

export interface Calibration {
  /** Sorted errors (actual − forecast) per horizon step. */
  errors: Float64Array[]
  /** How they were obtained, for the report. */
  method: string
  /** The same errors split by origin age (older half, newer half): `auto` picks on one, calibrates on the other. */
  halves?: {older: Float64Array[]; newer: Float64Array[]}
}

export function calibrate(values: Float64Array, imputed: Uint8Array | undefined, fitted: Fitted, horizon: number, seasonality: number): Calibration {
  const n = values.length
  const stride = fitted.calibrationStride
  const lo = Math.max(fitted.minOrigin, n - horizon - CALIBRATION_ORIGINS * stride)
  const perStep: number[][] = Array.from({length: horizon}, () => [])
  const older: number[][] = Array.from({length: horizon}, () => [])
  const newer: number[][] = Array.from({length: horizon}, () => [])
  const mid = (lo + n) / 2
  for (let t = n - 1; t >= lo; t -= stride) {
    const f = fitted.forecastFrom(t, Math.min(horizon, n - t))
    const half = t < mid ? older : newer
    for (let h = 0; h < f.length; h++) {
      const i = t + h
      if (imputed?.[i]) continue
      perStep[h].push(values[i] - f[h])
      half[h].push(values[i] - f[h])
    }
  }
  let total = 0
  for (const e of perStep) total += e.length
  if (total < MIN_PER_STEP) {
    // Too short to measure: the spread of seasonal differences stands in for the forecast error.
    const m = n > seasonality ? seasonality : 1
    const diffs: number[] = []
    for (let i = m; i < n; i++) diffs.push(values[i] - values[i - m])
    const sorted = Float64Array.from(diffs.length > 0 ? diffs : [0]).sort()
    return {errors: perStep.map(() => sorted), method: `seasonal differences (history too short to calibrate; scale ${maseScale(values, m).toPrecision(3)})`}
  }
  const errors = sortedPerStep(perStep)
  const halves = {older: sortedPerStep(older), newer: sortedPerStep(newer)}
  return {errors, halves, method: `conformal: errors of ${Math.ceil((n - lo) / stride)} rolling origins${stride > 1 ? ` (every ${stride} steps, refitted)` : ''}`}
}

/** Sort each step's errors; steps with too few share the pool of all steps' errors. */
function sortedPerStep(perStep: number[][]): Float64Array[] {
  let pooled: Float64Array | undefined
  return perStep.map((e) => {
    if (e.length >= MIN_PER_STEP) return Float64Array.from(e).sort()
    pooled ??= Float64Array.from(perStep.flat()).sort()
    return pooled.length > 0 ? pooled : Float64Array.of(0)
  })
}

/**
 * Point forecast + error quantile per step; the level gets the finite-sample conformal correction.
 * Without `shiftMedian`, P50 is the point forecast itself (the textbook baseline); with it, P50 adds
 * the median error (removes a model's recent bias).
 */
export function conformalQuantiles(point: Float64Array, cal: Calibration, levels: readonly number[], options: {shiftMedian?: boolean} = {}): Float64Array[] {
  return levels.map((q) => {
    const out = new Float64Array(point.length)
    for (let h = 0; h < point.length; h++) {
      if (q === 0.5 && options.shiftMedian === false) {
        out[h] = point[h]
        continue
      }
      const e = cal.errors[h]
      const k = e.length
      const p = Math.min(1, Math.max(0, 0.5 + ((q - 0.5) * (k + 1)) / k))
      out[h] = point[h] + quantileSorted(e, p)
    }
    return out
  })
}

/** What `tidyQuantiles` changed, for the forecast's warnings. */
export interface Clipped {
  /** Values raised to 0 (a load is never negative). */
  belowZero: number
  /** P50-and-above values raised to the observed floor (the series never went below it). */
  belowFloor: number
  floor: number
}

/**
 * Make quantiles non-decreasing in the level at every step and never negative (a load). Levels ≥ 0.5
 * are also raised to `floor` (the lowest observed value): a median below anything the series ever did
 * is a model artefact (an additive season or trend run past zero). Lower quantiles keep their
 * value above 0, so intervals still reach below the floor. Returns what it changed.
 */
export function tidyQuantiles(levels: readonly number[], qs: Float64Array[], floor = 0): Clipped {
  const order = levels.map((l, i) => [l, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i)
  const h = qs[0]?.length ?? 0
  const clipped: Clipped = {belowZero: 0, belowFloor: 0, floor}
  for (let s = 0; s < h; s++) {
    let prev = 0
    for (const i of order) {
      let v = qs[i][s]
      if (v < 0) {
        clipped.belowZero++
        v = 0
      }
      if (levels[i] >= 0.5 && v < floor) {
        clipped.belowFloor++
        v = floor
      }
      v = Math.max(prev, v)
      qs[i][s] = v
      prev = v
    }
  }
  return clipped
}

/** The warning for what `tidyQuantiles` changed (undefined when nothing). */
export function clipWarning(c: Clipped, model: string): string | undefined {
  const parts: string[] = []
  if (c.belowZero > 0) parts.push(`${c.belowZero} quantile values below 0 raised to 0`)
  if (c.belowFloor > 0) parts.push(`${c.belowFloor} P50-or-higher values below the lowest observed value ${Number(c.floor.toPrecision(6))} raised to it`)
  return parts.length > 0 ? `${model}: ${parts.join('; ')}` : undefined
}

/** The lowest observed (not imputed) value: the floor of levels ≥ 0.5. */
export function observedFloor(values: Float64Array, imputed?: Uint8Array): number {
  let floor = Number.POSITIVE_INFINITY
  for (let i = 0; i < values.length; i++) if (!imputed?.[i] && values[i] < floor) floor = values[i]
  return Number.isFinite(floor) ? Math.max(0, floor) : 0
}
