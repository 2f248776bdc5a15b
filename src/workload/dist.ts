/**
 * Samplers compiled from distribution specs. One small class with a numeric kind instead of a
 * closure per spec: the generator calls sample() tens of millions of times.
 */
import type {Rng} from '../engine/random.js'
import type {NumericDist} from './spec.js'

enum Kind {
  Constant,
  Uniform,
  Normal,
  Lognormal,
  Exponential,
  Empirical,
}

export class Sampler {
  private constructor(
    private readonly kind: Kind,
    private readonly a: number,
    private readonly b: number,
    private readonly min: number,
    private readonly max: number,
    private readonly values?: Int32Array | Float64Array,
  ) {}

  static of(spec: NumericDist): Sampler {
    if (typeof spec === 'number') return new Sampler(Kind.Constant, spec, 0, -Infinity, Infinity)
    switch (spec.dist) {
      case 'constant':
        return new Sampler(Kind.Constant, spec.value, 0, -Infinity, Infinity)
      case 'uniform':
        return new Sampler(Kind.Uniform, spec.min, spec.max, -Infinity, Infinity)
      case 'normal':
        return new Sampler(Kind.Normal, spec.mean, spec.sd, spec.min ?? -Infinity, spec.max ?? Infinity)
      case 'lognormal':
        return Sampler.lognormal(spec.mean, spec.cv, spec.min, spec.max)
      case 'exponential':
        return new Sampler(Kind.Exponential, spec.mean, 0, spec.min ?? -Infinity, spec.max ?? Infinity)
    }
  }

  /** Lognormal with the given mean and coefficient of variation of the draws. */
  static lognormal(mean: number, cv: number, min?: number, max?: number): Sampler {
    const sigma2 = Math.log(1 + cv * cv)
    const mu = Math.log(mean) - sigma2 / 2
    return new Sampler(Kind.Lognormal, mu, Math.sqrt(sigma2), min ?? -Infinity, max ?? Infinity)
  }

  /** Lognormal from the log-mean and log-sd (a fit). */
  static lognormalLog(mu: number, sigma: number, min?: number, max?: number): Sampler {
    return new Sampler(Kind.Lognormal, mu, sigma, min ?? -Infinity, max ?? Infinity)
  }

  /** Resamples the given values uniformly. */
  static empirical(values: Int32Array | Float64Array, min?: number, max?: number): Sampler {
    return new Sampler(Kind.Empirical, 0, 0, min ?? -Infinity, max ?? Infinity, values)
  }

  /** The distribution's mean before clamping (NaN for empirical: use the values). */
  get mean(): number {
    switch (this.kind) {
      case Kind.Constant:
        return this.a
      case Kind.Uniform:
        return (this.a + this.b) / 2
      case Kind.Normal:
      case Kind.Exponential:
        return this.a
      case Kind.Lognormal:
        return Math.exp(this.a + (this.b * this.b) / 2)
      case Kind.Empirical:
        return Number.NaN
    }
  }

  sample(rng: Rng): number {
    let v: number
    switch (this.kind) {
      case Kind.Constant:
        return this.a
      case Kind.Uniform:
        return this.a + (this.b - this.a) * rng.next()
      case Kind.Normal:
        v = this.a + this.b * rng.normal()
        break
      case Kind.Lognormal:
        v = rng.lognormal(this.a, this.b)
        break
      case Kind.Exponential:
        v = this.a === 0 ? 0 : rng.exponential(1 / this.a)
        break
      case Kind.Empirical:
        v = (this.values as Int32Array)[rng.int((this.values as Int32Array).length)]
        break
    }
    return v < this.min ? this.min : v > this.max ? this.max : v
  }

  /** A draw at the given index of the empirical values (joint sampling of input and output). */
  at(i: number): number {
    const v = (this.values as Int32Array)[i]
    return v < this.min ? this.min : v > this.max ? this.max : v
  }

  get size(): number {
    return this.values?.length ?? 0
  }
}

/** A whole, non-negative token count. */
export function tokens(v: number): number {
  return v <= 0 ? 0 : Math.round(v)
}
