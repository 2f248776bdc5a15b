/**
 * The design: which cells a sweep runs. A grid is every combination of the factors' levels (the
 * first factor varies slowest); a random design draws each factor independently; a Latin hypercube
 * cuts each factor's range into N equal strata and takes each stratum exactly once, in a random
 * order per factor. Every draw comes from the spec's seed, so the cells are the same on any machine.
 */
import {mix32, RandomStreams} from '../engine/random.js'
import {InputError} from '../errors.js'
import type {Factor, SweepSpec} from './spec.js'

export type FactorValue = number | string | boolean | Record<string, unknown>

export interface Cell {
  index: number
  /** One value per factor, in the spec's factor order. */
  values: FactorValue[]
}

/** Most cells one sweep may have: beyond it the spec is a mistake, not a plan. */
export const MAX_CELLS = 10_000_000

/** Number of cells the spec describes. */
export function cellCount(spec: SweepSpec): number {
  if (spec.design !== 'grid') return spec.samples ?? 0
  return spec.factors.reduce((n, f) => n * (f.values?.length ?? 1), 1)
}

/** Every cell of the spec, in index order. */
export function expandCells(spec: SweepSpec): Cell[] {
  const n = cellCount(spec)
  if (n > MAX_CELLS) throw new InputError({field: 'factors'}, `${n} cells; at most ${MAX_CELLS} in one sweep`)
  if (spec.design === 'grid') return gridCells(spec.factors)
  const rng = new RandomStreams(spec.seed)
  // One stream per factor: adding a factor does not change the draws of the others.
  const columns = spec.factors.map((f, j) => {
    const r = rng.stream(`sweep.factor.${j}`)
    const u = spec.design === 'lhs' ? latinColumn(n, () => r.next()) : Array.from({length: n}, () => r.next())
    return u.map((x) => valueAt(f, x))
  })
  return Array.from({length: n}, (_, i) => ({index: i, values: columns.map((c) => c[i])}))
}

function gridCells(factors: readonly Factor[]): Cell[] {
  const levels = factors.map((f) => f.values ?? [])
  const n = levels.reduce((k, l) => k * l.length, 1)
  const cells: Cell[] = []
  for (let i = 0; i < n; i++) {
    let rest = i
    const values = new Array<FactorValue>(levels.length)
    for (let j = levels.length - 1; j >= 0; j--) {
      values[j] = levels[j][rest % levels[j].length]
      rest = Math.floor(rest / levels[j].length)
    }
    cells.push({index: i, values})
  }
  return cells
}

/**
 * A Latin-hypercube column: n points in [0, 1), one in each stratum [k/n, (k+1)/n), the strata in a
 * random order (Fisher–Yates) and each point placed at random within its stratum.
 */
export function latinColumn(n: number, next: () => number): number[] {
  const order = Array.from({length: n}, (_, k) => k)
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(next() * (k + 1))
    const t = order[k]
    order[k] = order[j]
    order[j] = t
  }
  return order.map((k) => (k + next()) / n)
}

/** A factor's value at u ∈ [0, 1): a level of its list, or a point of its range. */
function valueAt(f: Factor, u: number): FactorValue {
  if (f.values !== undefined) return f.values[Math.min(f.values.length - 1, Math.floor(u * f.values.length))] as FactorValue
  const [lo, hi] = f.range as [number, number]
  if (f.integer) return Math.min(Math.floor(hi), Math.floor(lo + u * (Math.floor(hi) - lo + 1)))
  // Six significant digits: the value simulated is the value results.jsonl shows.
  return Number((lo + u * (hi - lo)).toPrecision(6))
}

/**
 * The seed of a cell's k-th run: a function of the spec seed, the cell index and k only, so a cell
 * gives the same results whichever worker runs it, and in whichever order.
 */
export function runSeed(specSeed: number, cellIndex: number, k: number): number {
  let h = mix32(specSeed ^ 0x5eed_5eed)
  h = mix32(h ^ cellIndex)
  h = mix32(h ^ Math.imul(k + 1, 0x9e37_79b9))
  return h >>> 0
}
