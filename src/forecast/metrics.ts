/**
 * Accuracy measures of a forecast against held-out values, as the M4 competition defines them
 * (MASE, sMAPE) plus the pinball (quantile) loss and interval coverage. Points marked imputed
 * (filled gaps, masked anomalies) are skipped: they were never observed.
 */

/** Mean absolute error of the seasonal naive forecast in-sample: MASE's denominator. */
export function maseScale(history: ArrayLike<number>, m: number): number {
  const lag = history.length > m ? m : 1
  let sum = 0
  let count = 0
  for (let i = lag; i < history.length; i++) {
    sum += Math.abs(history[i] - history[i - lag])
    count++
  }
  const scale = count > 0 ? sum / count : 0
  return scale > 0 ? scale : 1
}

function scored(i: number, skip?: ArrayLike<number>): boolean {
  return skip === undefined || !skip[i]
}

export function mase(actual: ArrayLike<number>, point: ArrayLike<number>, scale: number, skip?: ArrayLike<number>): number {
  let sum = 0
  let count = 0
  for (let i = 0; i < actual.length; i++) {
    if (!scored(i, skip)) continue
    sum += Math.abs(actual[i] - point[i])
    count++
  }
  return count > 0 ? sum / count / scale : Number.NaN
}

/** Symmetric MAPE in percent (M4: 200·|y−f|/(|y|+|f|)); a step where both are 0 counts 0. */
export function smape(actual: ArrayLike<number>, point: ArrayLike<number>, skip?: ArrayLike<number>): number {
  let sum = 0
  let count = 0
  for (let i = 0; i < actual.length; i++) {
    if (!scored(i, skip)) continue
    const d = Math.abs(actual[i]) + Math.abs(point[i])
    sum += d === 0 ? 0 : (200 * Math.abs(actual[i] - point[i])) / d
    count++
  }
  return count > 0 ? sum / count : Number.NaN
}

/** Pinball loss of one quantile level, averaged over steps, divided by `scale` (scaled as MASE is). */
export function pinball(actual: ArrayLike<number>, q: ArrayLike<number>, level: number, scale: number, skip?: ArrayLike<number>): number {
  let sum = 0
  let count = 0
  for (let i = 0; i < actual.length; i++) {
    if (!scored(i, skip)) continue
    const e = actual[i] - q[i]
    sum += e >= 0 ? level * e : (level - 1) * e
    count++
  }
  return count > 0 ? sum / count / scale : Number.NaN
}

/** Counts for coverage: how many scored points fell inside [lower, upper]. */
export function coverageCounts(actual: ArrayLike<number>, lower: ArrayLike<number> | undefined, upper: ArrayLike<number>, skip?: ArrayLike<number>): {inside: number; total: number} {
  let inside = 0
  let total = 0
  for (let i = 0; i < actual.length; i++) {
    if (!scored(i, skip)) continue
    total++
    if (actual[i] <= upper[i] && (lower === undefined || actual[i] >= lower[i])) inside++
  }
  return {inside, total}
}

/** Linear-interpolation quantile (type 7) of an ascending sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const pos = (n - 1) * Math.min(1, Math.max(0, p))
  const lo = Math.floor(pos)
  const hi = Math.min(n - 1, lo + 1)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}
