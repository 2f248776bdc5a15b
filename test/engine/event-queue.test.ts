import {describe, expect, it} from 'vitest'

import {EventQueue} from '../../src/engine/event-queue.js'
import {Generations, Simulation} from '../../src/engine/simulation.js'
import {RandomStreams} from '../../src/engine/random.js'

describe('EventQueue', () => {
  it('pops in time order and, at equal times, in insertion order', () => {
    const q = new EventQueue(16)
    const rng = new RandomStreams(3).stream('t')
    const pushed: [number, number][] = []
    for (let i = 0; i < 5000; i++) {
      // Few distinct times so that ties are common.
      const t = Math.floor(rng.next() * 50)
      q.push(t, 1, i, 0)
      pushed.push([t, i])
    }
    const expected = [...pushed].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i)
    const got: number[] = []
    while (q.pop()) got.push(q.poppedTarget)
    expect(got).toEqual(expected)
    expect(q.size).toBe(0)
  })

  it('carries kind, target and payload with each event and grows past its initial capacity', () => {
    const q = new EventQueue(16)
    for (let i = 0; i < 1000; i++) q.push(1000 - i, i % 7, i, -i)
    expect(q.size).toBe(1000)
    expect(q.peekTime()).toBe(1)
    q.pop()
    expect([q.poppedTime, q.poppedKind, q.poppedTarget, q.poppedPayload]).toEqual([1, 999 % 7, 999, -999])
  })

  it('interleaves pushes and pops like a sorted list would', () => {
    const q = new EventQueue(16)
    const rng = new RandomStreams(9).stream('t')
    const ref: number[] = []
    for (let i = 0; i < 20000; i++) {
      if (rng.next() < 0.55 || ref.length === 0) {
        const t = rng.next() * 100
        q.push(t, 0, 0, 0)
        ref.push(t)
        ref.sort((a, b) => a - b)
      } else {
        q.pop()
        expect(q.poppedTime).toBe(ref.shift())
      }
    }
  })
})

describe('Simulation', () => {
  it('advances the clock to each event and refuses to schedule into the past', () => {
    const sim = new Simulation()
    const seen: [number, number][] = []
    sim.schedule(2, 1, 0, 0)
    sim.schedule(1, 2, 0, 0)
    sim.run({
      handle(kind) {
        seen.push([sim.now, kind])
        if (kind === 2) sim.after(5, 3, 0, 0)
      },
    })
    expect(seen).toEqual([
      [1, 2],
      [2, 1],
      [6, 3],
    ])
    expect(() => sim.schedule(1, 1, 0, 0)).toThrow(/past/)
  })

  it('cancels by generation: a bumped target ignores its older events', () => {
    const sim = new Simulation()
    const gens = new Generations(2)
    sim.schedule(1, 1, 0, gens.current(0))
    sim.schedule(2, 1, 1, gens.current(1))
    const g = gens.bump(0)
    sim.schedule(3, 1, 0, g)
    const fired: [number, number][] = []
    sim.run({
      handle(_k, target, payload) {
        if (gens.isCurrent(target, payload)) fired.push([sim.now, target])
      },
    })
    expect(fired).toEqual([
      [2, 1],
      [3, 0],
    ])
  })
})
