import {describe, expect, it} from 'vitest'

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
