/**
 * Deterministic downsampling of long series for charts: per bucket of consecutive points, keep the
 * first, the minimum, the maximum and the last (in their original order), so spikes and dips
 * survive however long the run. Same input, same output: no randomness, ties go to the earliest point.
 */

/**
 * Indices of the points to keep of a series of length n whose values are `value(i)`: all of them
 * when n ≤ maxPoints, else at most maxPoints (buckets of n / (maxPoints / 4) points, four per bucket).
 */
export function minMaxIndices(n: number, maxPoints: number, value: (i: number) => number): number[] {
  if (n <= maxPoints) return Array.from({length: n}, (_, i) => i)
  const buckets = Math.max(1, Math.floor(maxPoints / 4))
  const out: number[] = []
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets)
    const hi = Math.floor(((b + 1) * n) / buckets)
    if (hi <= lo) continue
    let iMin = lo
    let iMax = lo
    for (let i = lo + 1; i < hi; i++) {
      const v = value(i)
      // NaN (a missing value) never wins: it is neither an extreme nor dropped silently (first/last stay).
      if (v < value(iMin)) iMin = i
      if (v > value(iMax)) iMax = i
    }
    const keep = [lo, iMin, iMax, hi - 1].sort((a, c) => a - c)
    for (const i of keep) if (out.length === 0 || out[out.length - 1] !== i) out.push(i)
  }
  return out
}

/**
 * Indices to keep of several series sampled at the same times (one row each): the union of each
 * column's min/max picks, so every plotted series keeps its own extremes and all share one x.
 * At most columns.length × maxPoints rows.
 */
export function minMaxRows(rows: number, columns: readonly ((i: number) => number)[], maxPoints: number): number[] {
  if (rows <= maxPoints) return Array.from({length: rows}, (_, i) => i)
  const keep = new Uint8Array(rows)
  for (const col of columns) for (const i of minMaxIndices(rows, maxPoints, col)) keep[i] = 1
  const out: number[] = []
  for (let i = 0; i < rows; i++) if (keep[i] === 1) out.push(i)
  return out
}
