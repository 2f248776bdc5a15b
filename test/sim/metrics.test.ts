import * as hdr from 'hdr-histogram-js'
import {describe, expect, it} from 'vitest'

import {Rng} from '../../src/engine/random.js'
import {countsIndex, HdrCounts, LENGTH, valueAtPercentile, valueFromIndex} from '../../src/sim/hdr-counts.js'
import {LatencyRecorder, M_E2E, M_TASK_E2E, M_TTFT, M_WAIT, R_E2E_CHAIN_CALL, R_E2E_SOLO, R_TASK_E2E_CHAIN, R_TTFT, R_WAIT} from '../../src/sim/metrics.js'

describe('LatencyRecorder', () => {
  it('gives quantiles within HdrHistogram precision, exact means, zeros included', () => {
    const l = new LatencyRecorder()
    for (let i = 1; i <= 1000; i++) l.record(R_WAIT, 2, i / 1000) // 1 ms … 1 s
    for (let i = 0; i < 1000; i++) l.record(R_WAIT, 2, 0)
    const s = l.summary(M_WAIT)!
    expect(s.count).toBe(2000)
    expect(s.meanS).toBeCloseTo(500.5 / 2000, 12)
    expect(s.p50S).toBe(0)
    expect(s.p90S).toBeCloseTo(0.8, 3)
    expect(s.p99S).toBeCloseTo(0.98, 3)
    expect(s.maxS).toBeCloseTo(1, 3)
    expect(l.summary(M_WAIT, 0)).toBeNull()
    l.dispose()
  })

  it('merges single-call and chain records into call e2e and task e2e', () => {
    const l = new LatencyRecorder()
    l.record(R_E2E_SOLO, 0, 1)
    l.record(R_E2E_CHAIN_CALL, 0, 2)
    l.record(R_E2E_CHAIN_CALL, 0, 3)
    l.record(R_TASK_E2E_CHAIN, 0, 10)
    expect(l.count(M_E2E)).toBe(3) // three calls
    expect(l.count(M_TASK_E2E)).toBe(2) // two tasks
    expect(l.mean(M_TASK_E2E)).toBeCloseTo(5.5, 12)
    l.dispose()
  })

  it('reads merged classes and series as hdr-histogram-js reads the same values, zeros and values past 2^31 µs included', () => {
    const build = () => hdr.build({bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3})
    const levels = [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]
    for (const overflow of [false, true]) {
      const l = new LatencyRecorder()
      const all = build()
      const class1 = build()
      const rng = new Rng(overflow ? 7 : 3)
      for (let i = 0; i < 20_000; i++) {
        // Log-uniform over 1 µs … 1,000 s (past 2^31 µs ≈ 36 min only in the overflow pass), a third exact zeros.
        const s = rng.next() < 1 / 3 ? 0 : Math.exp(rng.next() * Math.log(overflow ? 1e4 : 1e3) + Math.log(1e-6))
        const cls = i % 4
        const series = i % 3 === 0 ? R_E2E_CHAIN_CALL : R_E2E_SOLO
        l.record(series, cls, s)
        all.recordValue(Math.round(s * 1e6))
        if (cls === 1) class1.recordValue(Math.round(s * 1e6))
      }
      expect(l.percentiles(M_E2E, -1, levels)).toEqual(levels.map((p) => all.getValueAtPercentile(p) / 1e6))
      expect(l.percentiles(M_E2E, 1, levels)).toEqual(levels.map((p) => class1.getValueAtPercentile(p) / 1e6))
      const s = l.summary(M_E2E)!
      expect([s.p50S, s.p90S, s.p95S, s.p99S]).toEqual([50, 90, 95, 99].map((p) => all.getValueAtPercentile(p) / 1e6))
      expect(s.maxS).toBe(all.maxValue / 1e6)
      all.destroy()
      class1.destroy()
      l.dispose()
    }
  })

  it('counts SLO attainment exactly against the given targets', () => {
    const l = new LatencyRecorder({ttft: 0.5, taskE2e: 2})
    for (let i = 1; i <= 100; i++) l.record(R_TTFT, i % 4, i / 100)
    l.record(R_E2E_SOLO, 1, 1)
    l.record(R_TASK_E2E_CHAIN, 1, 3)
    expect(l.attainment(M_TTFT)).toBeCloseTo(0.5, 12)
    expect(l.attainment(M_TASK_E2E)).toBeCloseTo(0.5, 12)
    expect(l.attainment(M_WAIT)).toBeNull()
    l.dispose()
  })
})

describe('HdrCounts', () => {
  it('gives the very histogram hdr-histogram-js builds from the same values, overflow included', () => {
    const direct = hdr.build({bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3})
    const viaCounts = hdr.build({bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3})
    const counts = new HdrCounts(() => hdr.build({bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3}))
    const rng = new Rng(42)
    let max = 0
    for (let i = 0; i < 50_000; i++) {
      // Log-uniform over 0 … 1e11 µs: every bucket of the layout, and values past 2^31 (the overflow path).
      const v = Math.floor(Math.exp(rng.next() * Math.log(1e11)))
      direct.recordValue(v)
      counts.record(v)
      if (v > max) max = v
    }
    for (const v of [0, 1, 2047, 2048, 2049, 4095, 4096, 2 ** 31 - 1, 2 ** 31]) {
      direct.recordValue(v)
      counts.record(v)
      if (v > max) max = v
    }
    counts.addTo(viaCounts)
    expect(viaCounts.totalCount).toBe(direct.totalCount)
    expect(counts.total).toBe(direct.totalCount)
    expect(counts.max).toBe(max)
    for (const p of [0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]) {
      expect(viaCounts.getValueAtPercentile(p), `p${p}`).toBe(direct.getValueAtPercentile(p))
    }
    counts.dispose()
  })

  it('finds the value at a percentile of raw counts as the library does', () => {
    const direct = hdr.build({bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3})
    const counts = new Float64Array(LENGTH)
    const rng = new Rng(11)
    let total = 0
    for (let i = 0; i < 10_000; i++) {
      const v = Math.floor(Math.exp(rng.next() * Math.log(2 ** 31 - 1)))
      direct.recordValue(v)
      counts[countsIndex(v)]++
      total++
    }
    for (const p of [0, 1e-9, 0.5, 33.3, 50, 66.7, 99.5, 100, 120]) {
      expect(valueAtPercentile(counts, total, p), `p${p}`).toBe(direct.getValueAtPercentile(p))
    }
    expect(valueAtPercentile(new Float64Array(LENGTH), 0, 50)).toBe(0)
    direct.destroy()
  })

  it('maps each counts index back to the lowest value that lands in it', () => {
    const counts = new HdrCounts(() => {
      throw new Error('no overflow expected')
    })
    for (const v of [0, 5, 2047, 2048, 3000, 123_456, 2 ** 30 + 7]) {
      const lo = valueFromIndex(countsIndex(v))
      expect(lo).toBeLessThanOrEqual(v)
      expect(countsIndex(lo)).toBe(countsIndex(v))
    }
    counts.record(1)
    expect(counts.max).toBe(1)
  })
})
