/**
 * Seeded randomness. Every random choice in fleetcap flows from one seed: `RandomStreams(seed)`
 * derives one independent named stream per purpose ("arrivals", "tokens", "routing", …), so adding a
 * draw in one place never shifts the draws of another. No Math.random() anywhere in the library.
 */
export class RandomStreams {
  readonly seed: number
  private readonly streams = new Map<string, Rng>()

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new RangeError(`seed must be an integer in [0, 4294967295], got ${seed}`)
    }
    this.seed = seed
  }

  /** The stream for `name`; the same name always returns the same (stateful) stream. */
  stream(name: string): Rng {
    let s = this.streams.get(name)
    if (s === undefined) {
      s = new Rng(mix32(this.seed ^ fnv1a32(name)))
      this.streams.set(name, s)
    }
    return s
  }
}

/** FNV-1a, 32-bit: a stable hash of a stream name. */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** murmur3's finalizer: spreads nearby seeds apart before they seed the generator. */
export function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85eb_ca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2_ae35)
  x ^= x >>> 16
  return x | 0
}

/**
 * One random stream: uniform doubles from xoroshiro128+, and the draws built on them.
 *
 * The generator is pure-rand's xoroshiro128plus and its uniformFloat64 (26 + 27 bits of two 32-bit
 * outputs), written out here with the state in four int32 fields: the draws are bit for bit those
 * of pure-rand (test/random.test.ts checks it against the library), at about half the cost per
 * draw, because the simulator draws two to four numbers per request.
 */
export class Rng {
  // xoroshiro128+ state as pure-rand keeps it: the two 64-bit words as high/low int32 halves.
  private s01: number
  private s00: number
  private s11: number
  private s10: number
  private spareNormal = Number.NaN

  constructor(seed: number) {
    this.s01 = -1
    this.s00 = ~seed
    this.s11 = seed | 0
    this.s10 = 0
  }

  /** The next 32-bit output (signed), advancing the state. */
  private nextInt32(): number {
    const s00 = this.s00
    const s01 = this.s01
    const s10 = this.s10
    const s11 = this.s11
    const out = (s00 + s10) | 0
    const a0 = s10 ^ s00
    const a1 = s11 ^ s01
    this.s00 = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16)
    this.s01 = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16))
    this.s10 = (a1 << 5) ^ (a0 >>> 27)
    this.s11 = (a0 << 5) ^ (a1 >>> 27)
    return out
  }

  /** Uniform in [0, 1): a multiple of 2^-53. */
  next(): number {
    const hi = this.nextInt32() & 0x3ff_ffff // 26 bits
    const lo = this.nextInt32() & 0x7ff_ffff // 27 bits
    return hi * 1.4901161193847656e-8 + lo * 1.1102230246251565e-16
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  nextOpen(): number {
    return 1 - this.next()
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Standard normal (Marsaglia polar method; the second value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal
      this.spareNormal = Number.NaN
      return v
    }
    let u: number
    let v: number
    let s: number
    do {
      u = this.next() * 2 - 1
      v = this.next() * 2 - 1
      s = u * u + v * v
    } while (s >= 1 || s === 0)
    const f = Math.sqrt((-2 * Math.log(s)) / s)
    this.spareNormal = v * f
    return u * f
  }

  /** Lognormal with the given log-mean and log-standard-deviation. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal())
  }

  /** Poisson-distributed count with the given mean (inversion for small means, normal approximation above 500). */
  poisson(mean: number): number {
    if (mean <= 0) return 0
    if (mean > 500) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()))
    const l = Math.exp(-mean)
    let k = 0
    let p = this.next()
    while (p > l) {
      k++
      p *= this.next()
    }
    return k
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0
    for (const w of weights) total += w
    let r = this.next() * total
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]
      if (r < 0) return i
    }
    return weights.length - 1
  }
}
