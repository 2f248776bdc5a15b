/**
 * Where a synthetic task's token counts come from: parametric samplers, or values fitted from a
 * trace. Input and output fitted empirically from the same trace are drawn as pairs, so their
 * correlation survives.
 */
import {resolve} from 'node:path'

import type {Rng} from '../engine/random.js'
import {Sampler, tokens} from './dist.js'
import {InputError} from '../errors.js'
import {type TraceReadOptions, readTrace} from './read-trace.js'
import type {TokenDist} from './spec.js'

/** Most rows kept from a trace (reservoir sampling beyond that): bounds memory on huge traces. */
export const MAX_FITTED_ROWS = 1_000_000

export class TokenSource {
  private constructor(
    private readonly input: Sampler,
    private readonly output: Sampler,
    /** Input and output are empirical from the same rows: one index per draw. */
    private readonly joint: boolean,
  ) {}

  static async create(spec: {input: TokenDist; output: TokenDist}, baseDir: string, fitRng: Rng): Promise<TokenSource> {
    const {input, output} = spec
    const inTrace = typeof input === 'object' && 'fromTrace' in input ? input : undefined
    const outTrace = typeof output === 'object' && 'fromTrace' in output ? output : undefined
    const cache = new Map<string, Fitted>()
    const fit = async (d: NonNullable<typeof inTrace>): Promise<Fitted> => {
      const path = resolve(baseDir, d.fromTrace)
      const key = JSON.stringify([path, d.format, d.mapping, d.timeUnit, d.skipInvalid])
      let f = cache.get(key)
      if (f === undefined) {
        f = await fitTrace(path, d, fitRng)
        cache.set(key, f)
      }
      return f
    }
    const make = async (d: TokenDist, field: 'inputs' | 'outputs'): Promise<Sampler> => {
      if (typeof d === 'number' || !('fromTrace' in d)) return Sampler.of(d)
      const f = await fit(d)
      const values = f[field]
      if (d.fit === 'lognormal') {
        const {mu, sigma} = logMoments(values)
        return Sampler.lognormalLog(mu, sigma, d.min, d.max)
      }
      return Sampler.empirical(values, d.min, d.max)
    }
    const inS = await make(input, 'inputs')
    const outS = await make(output, 'outputs')
    const joint =
      inTrace !== undefined &&
      outTrace !== undefined &&
      (inTrace.fit ?? 'empirical') === 'empirical' &&
      (outTrace.fit ?? 'empirical') === 'empirical' &&
      resolve(baseDir, inTrace.fromTrace) === resolve(baseDir, outTrace.fromTrace)
    return new TokenSource(inS, outS, joint)
  }

  /** Input tokens of a first call; call output() right after for the same task. */
  drawInput(rng: Rng): number {
    if (this.joint) {
      this.pairIndex = rng.int(this.input.size)
      return tokens(this.input.at(this.pairIndex))
    }
    return tokens(this.input.sample(rng))
  }

  /** Output tokens; after drawInput() on a joint source, the paired value for the first call. */
  drawOutput(rng: Rng, firstCall: boolean): number {
    if (this.joint && firstCall) return tokens(this.output.at(this.pairIndex))
    return tokens(this.output.sample(rng))
  }

  private pairIndex = 0
}

interface Fitted {
  inputs: Int32Array
  outputs: Int32Array
}

async function fitTrace(path: string, d: Pick<TraceReadOptions, 'format' | 'mapping' | 'timeUnit' | 'skipInvalid'>, rng: Rng): Promise<Fitted> {
  const reader = readTrace(path, {format: d.format, mapping: d.mapping, timeUnit: d.timeUnit, skipInvalid: d.skipInvalid})
  let inputs: Int32Array<ArrayBuffer> = new Int32Array(1024)
  let outputs: Int32Array<ArrayBuffer> = new Int32Array(1024)
  let n = 0
  let seen = 0
  let withInput = 0
  let withOutput = 0
  for await (const chunk of reader.rows()) {
    for (const row of chunk) {
      seen++
      let slot = n
      if (n >= MAX_FITTED_ROWS) {
        slot = rng.int(seen)
        if (slot >= MAX_FITTED_ROWS) continue
      } else {
        if (n === inputs.length) {
          inputs = grow(inputs)
          outputs = grow(outputs)
        }
        n++
      }
      inputs[slot] = row.inputTokens ?? 0
      outputs[slot] = row.outputTokens ?? 0
      if (row.inputTokens !== undefined) withInput++
      if (row.outputTokens !== undefined) withOutput++
    }
  }
  if (n === 0) throw new InputError({file: path}, 'no rows to fit token lengths from')
  // A missing column would fit every length as 0: refuse it, naming what is missing.
  if (withInput === 0 || withOutput === 0) {
    throw new InputError({file: path, line: 1}, `no ${withInput === 0 ? 'input' : 'output'}-token column to fit token lengths from`, {hint: 'name the column with mapping: (input/output)'})
  }
  return {inputs: inputs.subarray(0, n), outputs: outputs.subarray(0, n)}
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2)
  b.set(a)
  return b
}

function logMoments(values: Int32Array): {mu: number; sigma: number} {
  let n = 0
  let sum = 0
  let sum2 = 0
  for (const v of values) {
    if (v <= 0) continue
    const l = Math.log(v)
    n++
    sum += l
    sum2 += l * l
  }
  const mu = n > 0 ? sum / n : 0
  return {mu, sigma: n > 1 ? Math.sqrt(Math.max(0, (sum2 - n * mu * mu) / (n - 1))) : 0}
}
