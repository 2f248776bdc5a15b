/** The design: grid expansion, random and Latin-hypercube cells, seeds per cell. */
import {describe, expect, it} from 'vitest'

import {cellCount, expandCells, latinColumn, runSeed} from '../../src/sweep/design.js'
import {parseSweep} from '../../src/sweep/spec.js'
import {BASE} from './helpers.js'

const spec = async (rest: string) => (await parseSweep(`apiVersion: fleetcap.dev/v1\nkind: Sweep\nname: t\n${BASE}${rest}`, 'spec.yaml')).spec

describe('grid', () => {
  it('is every combination once, the first factor varying slowest', async () => {
    const s = await spec(`factors:
  - {path: fleet.pools.0.servers, values: [4, 5, 6]}
  - {path: workload.ratePerS, values: [1, 2]}
  - {path: routing, values: [{policy: random}, {policy: least-outstanding}]}
`)
    const cells = expandCells(s)
    expect(cellCount(s)).toBe(12)
    expect(cells).toHaveLength(12)
    expect(cells.map((c) => c.index)).toEqual([...Array(12).keys()])
    expect(cells[0].values).toEqual([4, 1, {policy: 'random'}])
    expect(cells[1].values).toEqual([4, 1, {policy: 'least-outstanding'}])
    expect(cells[2].values).toEqual([4, 2, {policy: 'random'}])
    expect(cells[11].values).toEqual([6, 2, {policy: 'least-outstanding'}])
    expect(new Set(cells.map((c) => JSON.stringify(c.values))).size).toBe(12)
  })
})

describe('Latin hypercube', () => {
  it('puts exactly one point in each of the N strata of every factor', async () => {
    const n = 50
    const s = await spec(`design: lhs
samples: ${n}
seed: 11
factors:
  - {path: workload.ratePerS, range: [1, 3]}
  - {path: fleet.pools.0.pricePerHourUsd, range: [0, 10]}
`)
    const cells = expandCells(s)
    expect(cells).toHaveLength(n)
    for (const [j, [lo, hi]] of [[1, 3], [0, 10]].entries()) {
      const strata = cells.map((c) => Math.min(n - 1, Math.floor((((c.values[j] as number) - lo) / (hi - lo)) * n)))
      expect(new Set(strata).size).toBe(n)
      for (const c of cells) {
        expect(c.values[j]).toBeGreaterThanOrEqual(lo)
        expect(c.values[j]).toBeLessThanOrEqual(hi)
      }
    }
  })

  it('latinColumn is a permutation of strata with a point inside each', () => {
    let x = 0.123
    const next = () => (x = (x * 9301 + 0.49297) % 1)
    const col = latinColumn(20, next)
    expect(col.map((u) => Math.floor(u * 20)).sort((a, b) => a - b)).toEqual([...Array(20).keys()])
  })

  it('depends on the seed only: same seed same cells, another seed other cells', async () => {
    const text = (seed: number) => `design: lhs\nsamples: 10\nseed: ${seed}\nfactors:\n  - {path: workload.ratePerS, range: [1, 3]}\n`
    const a = expandCells(await spec(text(1)))
    const b = expandCells(await spec(text(1)))
    const c = expandCells(await spec(text(2)))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })

  it('integer ranges give integers covering the range; values lists give levels of the list', async () => {
    const s = await spec(`design: lhs
samples: 40
factors:
  - {path: fleet.pools.0.servers, range: [2, 6], integer: true}
  - {path: workload.ratePerS, values: [1, 2, 3, 4]}
`)
    const cells = expandCells(s)
    const servers = cells.map((c) => c.values[0] as number)
    expect(servers.every((v) => Number.isInteger(v) && v >= 2 && v <= 6)).toBe(true)
    expect(new Set(servers)).toEqual(new Set([2, 3, 4, 5, 6]))
    // Stratified over 4 levels: each level exactly 10 times.
    const counts = [1, 2, 3, 4].map((v) => cells.filter((c) => c.values[1] === v).length)
    expect(counts).toEqual([10, 10, 10, 10])
  })
})

describe('random design', () => {
  it('draws each factor within its range', async () => {
    const s = await spec(`design: random\nsamples: 30\nfactors:\n  - {path: workload.ratePerS, range: [1, 3]}\n`)
    const v = expandCells(s).map((c) => c.values[0] as number)
    expect(v.every((x) => x >= 1 && x <= 3)).toBe(true)
    expect(new Set(v).size).toBe(30)
  })
})

describe('run seeds', () => {
  it('depend on the spec seed, the cell index and the run only', () => {
    expect(runSeed(1, 5, 0)).toBe(runSeed(1, 5, 0))
    const seeds = new Set<number>()
    for (let c = 0; c < 100; c++) for (let k = 0; k < 3; k++) seeds.add(runSeed(1, c, k))
    expect(seeds.size).toBe(300)
    expect(runSeed(2, 5, 0)).not.toBe(runSeed(1, 5, 0))
    for (const s of seeds) expect(s >= 0 && s <= 0xffff_ffff && Number.isInteger(s)).toBe(true)
  })
})
