import type * as hdr from 'hdr-histogram-js'

/**
 * The recording half of an HdrHistogram, inlined: counts kept in a typed array laid out exactly as
 * hdr-histogram-js lays out a histogram with lowestDiscernibleValue 1 and 3 significant digits
 * (2,048 sub-buckets per power of two), so that handing the counts to hdr-histogram-js afterwards
 * (addTo) gives the very histogram that recording each value there would have given.
 *
 * Why: a simulated call records two or three latencies, and a call into the library (its wrapper,
 * then WebAssembly) costs ~20–60 ns where this costs ~2 ns — at millions of calls a run, that was a
 * quarter of the simulator's time. Quantiles, merging and percentiles stay with the library.
 *
 * Values are whole units (the recorder uses microseconds). Values of 2^31 and above (about 36 minutes
 * in microseconds) are rare and go to a library histogram directly.
 */
// HdrHistogram layout for unitMagnitude 0 and 3 significant digits: subBucketCount 2048 (2^11),
// subBucketHalfCount 1024; value v falls in bucket b = max(0, 32 − clz(v | 2047) − 11) at
// sub-bucket v >>> b, counts index (b + 1)·1024 + (v >>> b) − 1024.
const SUB_MASK = 2047
const HALF = 1024
const LIMIT = 2 ** 31
/** Length of a counts array: buckets 0…20 cover every v < 2^31. */
export const LENGTH = (21 + 1) * HALF

export class HdrCounts {
  private readonly counts = new Float64Array(LENGTH)
  private overflow: hdr.Histogram | undefined
  /** Largest value recorded (exact), 0 when none. */
  max = 0
  /** Values recorded. */
  total = 0

  constructor(private readonly makeOverflow: () => hdr.Histogram) {}

  /** Record one value (a non-negative integer). */
  record(v: number): void {
    if (v < LIMIT) {
      this.counts[countsIndex(v)]++
    } else {
      ;(this.overflow ??= this.makeOverflow()).recordValue(v)
    }
    if (v > this.max) this.max = v
    this.total++
  }

  /** Add every count to a library histogram (same layout or coarser). */
  addTo(h: hdr.Histogram): void {
    const c = this.counts
    for (let i = 0; i < LENGTH; i++) {
      const n = c[i]
      if (n > 0) h.recordValueWithCount(valueFromIndex(i), n)
    }
    if (this.overflow !== undefined) h.add(this.overflow)
  }

  /**
   * Add every count into `target` (a counts array of LENGTH, same layout). False, adding nothing,
   * when values past 2^31 went to the overflow histogram: those need the library to merge.
   */
  addInto(target: Float64Array): boolean {
    if (this.overflow !== undefined) return false
    const c = this.counts
    for (let i = 0; i < LENGTH; i++) target[i] += c[i]
    return true
  }

  /** Free the overflow histogram (WebAssembly memory), if one was made. */
  dispose(): void {
    this.overflow?.destroy()
    this.overflow = undefined
  }
}

/** The counts index of a value 0 ≤ v < 2^31. */
export function countsIndex(v: number): number {
  const b = 21 - Math.clz32(v | SUB_MASK)
  return ((b + 1) << 10) + (v >>> b) - HALF
}

/** The lowest value of counts index i (the inverse of record's index). */
export function valueFromIndex(i: number): number {
  let b = (i >> 10) - 1
  let sub = (i & (HALF - 1)) + HALF
  if (b < 0) {
    sub -= HALF
    b = 0
  }
  return sub * 2 ** b
}

/**
 * The value at a percentile (0–100) of counts laid out as above, holding `total` values: what
 * hdr-histogram-js's getValueAtPercentile returns for the same counts (the count rounded up with its
 * one-ulp guard; the highest value equivalent to the bucket reached, its lowest for percentile 0).
 */
export function valueAtPercentile(counts: Float64Array, total: number, percentile: number): number {
  const fpCount = (Math.min(percentile, 100) / 100) * total
  const ulp = 2 ** (Math.floor(Math.log2(fpCount)) - 52) // 0 when fpCount is 0
  const want = Math.max(Math.ceil(fpCount - ulp), 1)
  let seen = 0
  for (let i = 0; i < LENGTH; i++) {
    seen += counts[i]
    if (seen >= want) {
      const lowest = valueFromIndex(i)
      return percentile === 0 ? lowest : lowest + 2 ** Math.max(0, (i >> 10) - 1) - 1
    }
  }
  return 0
}
