import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {expandFailures, lostWorkOutcome, parseFailuresYaml, pickTargets} from '../../src/autoscale/failures.js'

const FIX = 'test/fixtures/autoscale'
const text = readFileSync(`${FIX}/failures.yaml`, 'utf8')

describe('failure schedule', () => {
  const spec = parseFailuresYaml(text, {file: 'failures.yaml', knownPools: ['a100', 'h100']})

  it('expands scheduled and random failures into one time-sorted list', () => {
    const events = expandFailures(spec, 7200, 42)
    const times = events.map((e) => e.timeS)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(events.filter((e) => e.kind === 'partition').map((e) => [e.timeS, e.endS])).toEqual([[600, 900], [5400, 5700]])
    expect(events.find((e) => e.kind === 'node-loss')).toMatchObject({timeS: 1800, endS: 2400, count: 1})
    expect(events.find((e) => e.kind === 'degraded-gpu')).toMatchObject({timeS: 3000, endS: 4200, throughputFactor: 0.5, count: 2})
    const random = events.filter((e) => e.kind === 'replica-loss')
    // A Poisson process with mean 900 s over 7200 s: about 8 events; a draw outside 2–20 would mean a broken process.
    expect(random.length).toBeGreaterThan(2)
    expect(random.length).toBeLessThan(20)
    for (const e of random) expect(e.endS - e.timeS).toBeCloseTo(120, 9)
    for (const e of events) for (const u of e.targetDraws) expect(u >= 0 && u < 1).toBe(true)
  })

  it('is deterministic for a seed, differs across seeds, and adding an entry does not move the others', () => {
    expect(JSON.stringify(expandFailures(spec, 7200, 42))).toBe(JSON.stringify(expandFailures(spec, 7200, 42)))
    const a = expandFailures(spec, 7200, 42).filter((e) => e.kind === 'replica-loss').map((e) => e.timeS)
    const b = expandFailures(spec, 7200, 43).filter((e) => e.kind === 'replica-loss').map((e) => e.timeS)
    expect(a).not.toEqual(b)
    const more = parseFailuresYaml(`${text}  - type: replica-loss\n    pool: h100\n    random: {meanTimeBetweenS: 300}\n    recoveryS: 60\n`)
    const again = expandFailures(more, 7200, 42).filter((e) => e.kind === 'replica-loss' && e.source === 1).map((e) => e.timeS)
    expect(again).toEqual(a)
  })

  it('picks distinct targets among those alive, and applies the lost-work policy', () => {
    expect(pickTargets([0.99, 0.99, 0.0], 3)).toEqual([2, 1, 0])
    expect(pickTargets([0.5, 0.5], 1)).toEqual([0])
    expect(lostWorkOutcome(spec.policy, 0)).toBe('retry')
    expect(lostWorkOutcome(spec.policy, 2)).toBe('fail')
    expect(lostWorkOutcome({onLostWork: 'fail', maxRetries: 5}, 0)).toBe('fail')
  })

  it('names the line of a bad entry and unknown pools', () => {
    expect(() => parseFailuresYaml(text, {file: 'f.yaml', knownPools: ['a100']})).toThrow(/^f\.yaml:15: events\[2\]\.pool: unknown pool "h100"; known: a100/)
    expect(() => parseFailuresYaml('events:\n  - {type: partition, pool: a, durationS: 10}\n', {file: 'f.yaml'})).toThrow(/^f\.yaml:2: events\[0\]: give exactly one of "at"/)
    expect(() => parseFailuresYaml('events:\n  - {type: degraded-gpu, pool: a, at: 1, durationS: 10, throughputFactor: 1.5}\n')).toThrow(/events\[0\]\.throughputFactor/)
    expect(() => parseFailuresYaml('events:\n  - {type: meteor, pool: a, at: 1}\n')).toThrow(/events\[0\]\.type/)
  })
})
