/** Input number `i` of a format under a seed: generated in chunks by fast-check, so any input can be regenerated alone. */
import fc from 'fast-check'

import type {FuzzFormat} from './formats.js'

const CHUNK = 500
const cache = new Map<string, string[]>()

export function inputAt(format: FuzzFormat, seed: number, i: number): string {
  const chunk = Math.floor(i / CHUNK)
  const key = `${format.name}:${seed}:${chunk}`
  let inputs = cache.get(key)
  if (inputs === undefined) {
    cache.clear()
    inputs = fc.sample(format.arbitrary, {seed: (seed * 1_000_003 + chunk) | 0, numRuns: CHUNK})
    cache.set(key, inputs)
  }
  return inputs[i % CHUNK]
}
