import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {rateSeries} from '../../src/forecast/index.js'
import type {Task, TaskStream} from '../../src/workload/types.js'
import {ROOT, runCli} from '../helpers/cli.js'

function stream(arrivals: number[], chunk = 3): TaskStream {
  const tasks: Task[] = arrivals.map((arrivalS, id) => ({id, arrivalS, taskType: 'default', priority: 'normal', calls: [{inputTokens: 1, outputTokens: 1, delayS: 0}]}))
  return {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < tasks.length; i += chunk) yield tasks.slice(i, i + chunk)
    },
  }
}

describe('trace → rate series', () => {
  it('counts arrivals per step as tasks per second, zero buckets included, last (partial) bucket dropped', async () => {
    // 60 s steps: buckets 0..10; bucket 3 empty; bucket 10 is the partial last one
    const arrivals = [0, 1, 59, 60, 61, 125, 190, 191, 192, 250, 300, 360, 420, 480, 540, 600]
    const s = await rateSeries(stream(arrivals), {stepS: 60, name: 't', originS: () => 1_700_000_000})
    expect(s.startS).toBe(1_700_000_000)
    expect(Array.from(s.values, (v) => v * 60)).toEqual([3, 2, 1, 3, 1, 1, 1, 1, 1, 1])
  })
  it('refuses an empty trace and an out-of-order one', async () => {
    await expect(rateSeries(stream([]), {stepS: 60, name: 'e'})).rejects.toThrow(/no tasks/)
    await expect(rateSeries(stream([5, 1]), {stepS: 60, name: 'o'})).rejects.toThrow(/arrives before/)
  })
  it('fleetcap forecast run --trace aggregates the Azure conversation trace', () => {
    const r = runCli(['forecast', 'run', '--trace', join(ROOT, 'data', 'traces', 'AzureLLMInferenceTrace_conv.csv'), '--step', '1m', '--horizon', '10m', '--model', 'ets', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.input.points).toBe(58)
    expect(j.input.start).toBe('2023-11-16T18:15:46.680Z')
    expect(j.quantiles.p50).toHaveLength(10)
    // The trace runs at 4–6 requests per second.
    expect(j.quantiles.p50[0]).toBeGreaterThan(2)
    expect(j.quantiles.p50[0]).toBeLessThan(8)
    const bad = runCli(['forecast', 'run', '--trace', join(ROOT, 'data', 'traces', 'AzureLLMInferenceTrace_conv.csv')])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--step: a step \(e\.g\. 5m\) is needed to aggregate a trace/)
  })
})
