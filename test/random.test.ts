import {describe, expect, it} from 'vitest'

import {uniformFloat64} from 'pure-rand/distribution/uniformFloat64'
import {xoroshiro128plus} from 'pure-rand/generator/xoroshiro128plus'

import {RandomStreams, Rng} from '../src/engine/random.js'

describe('RandomStreams', () => {
  it('gives the same draws for the same seed and stream name', () => {
    const a = new RandomStreams(42).stream('arrivals')
    const b = new RandomStreams(42).stream('arrivals')
    const xs = Array.from({length: 100}, () => a.next())
    const ys = Array.from({length: 100}, () => b.next())
    expect(xs).toEqual(ys)
  })

  it('keeps streams independent: draws on one do not shift another', () => {
    const r1 = new RandomStreams(7)
    const r2 = new RandomStreams(7)
    for (let i = 0; i < 50; i++) r1.stream('tokens').next()
    expect(r1.stream('arrivals').next()).toBe(r2.stream('arrivals').next())
    expect(r1.stream('arrivals').next()).not.toBe(r1.stream('tokens').next())
  })

  it('draws exponentials with the requested mean', () => {
    const rng = new RandomStreams(1).stream('x')
    let sum = 0
    const n = 200_000
    for (let i = 0; i < n; i++) sum += rng.exponential(4)
    expect(sum / n).toBeCloseTo(0.25, 2)
  })

  it('draws standard normals with mean 0 and variance 1', () => {
    const rng = new RandomStreams(3).stream('n')
    let s = 0
    let s2 = 0
    const n = 200_000
    for (let i = 0; i < n; i++) {
      const v = rng.normal()
      s += v
      s2 += v * v
    }
    expect(s / n).toBeCloseTo(0, 1)
    expect(s2 / n).toBeCloseTo(1, 1)
  })

  it('draws bit for bit what pure-rand xoroshiro128plus + uniformFloat64 draw (results do not move)', () => {
    // Seeds as RandomStreams passes them (mix32 output: any int32, negative included) and edge values.
    for (const seed of [0, 1, -1, 42, 0x7fff_ffff, -0x8000_0000, -123_456_789, 987_654_321]) {
      const ours = new Rng(seed)
      const ref = xoroshiro128plus(seed)
      for (let i = 0; i < 20_000; i++) {
        const u = uniformFloat64(ref)
        if (i % 2 === 0) expect(ours.next()).toBe(u)
        else expect(ours.exponential(3.5)).toBe(-Math.log(1 - u) / 3.5)
      }
    }
  })

  it('rejects a seed that is not a 32-bit unsigned integer', () => {
    expect(() => new RandomStreams(-1)).toThrow(/seed/)
    expect(() => new RandomStreams(1.5)).toThrow(/seed/)
  })
})
