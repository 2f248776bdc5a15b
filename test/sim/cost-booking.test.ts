/**
 * GPU-hours, cost and utilization are booked up to the run's end (its last work, or the arrival
 * window's end), whatever the report's sample interval; output tokens land in the sample interval
 * in which they are produced.
 */
import {describe, expect, it} from 'vitest'

import {buildReport} from '../../src/report/report.js'
import {RandomStreams} from '../../src/engine/random.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {runFleetModel} from '../../src/sim/run.js'
import type {Task} from '../../src/workload/types.js'
import {linearCost, listTasks, poissonTasks} from './helpers.js'

const ctx = (endS: number, durationS: number) => ({name: 't', seed: 1, durationS, workload: 'test', endS, poolInfo: []})

function generic(servers: number, durationS: number, sampleIntervalS: number): FleetModel {
  return new FleetModel(
    {
      pools: [{kind: 'generic', name: 'g', replicas: servers, slots: 1, gpusPerReplica: 1, pricePerHourUsd: 2}],
      routing: {policy: 'least-outstanding'},
      queue: {},
      durationS,
      sampleIntervalS,
    },
    new RandomStreams(1).stream('routing'),
  )
}

describe('cost booking', () => {
  for (const interval of [0, 1, 7, 1000, 86_400]) {
    it(`one replica busy 80% of a 100 s run reports 80% and 100 replica-seconds (sample interval ${interval} s)`, async () => {
      // A task every second, each served for 0.8 s: busy 80 s of the 100 s arrival window.
      const tasks: Task[] = Array.from({length: 100}, (_, i) => ({id: i, arrivalS: i, taskType: 'x', priority: 'normal', calls: [], serviceTimeS: 0.8}))
      const model = generic(1, 100, interval)
      const end = await runFleetModel(model, listTasks(tasks))
      const report = buildReport(model, ctx(end, 100))
      expect(end).toBe(100)
      expect(report.pools[0].utilization).toBeCloseTo(0.8, 9)
      expect(report.cost.gpuHours).toBeCloseTo(100 / 3600, 9)
      expect(report.cost.costUsd).toBeCloseTo((2 * 100) / 3600, 9)
      if (interval > 0) {
        // The series ends at the run's end, and its busy time adds up to the pool's.
        const cols = model.seriesColumns.length
        const rows = model.series.length / cols
        expect(model.series[(rows - 1) * cols]).toBe(100)
      }
    })
  }

  it('M/M/8 at ρ = 0.8 with a 1-day sample interval: ~80% utilization and GPU-hours to the last completion', async () => {
    const streams = new RandomStreams(3)
    const svc = streams.stream('service')
    const model = generic(8, Number.POSITIVE_INFINITY, 86_400)
    const end = await runFleetModel(model, poissonTasks({rng: streams.stream('arrivals'), ratePerS: 6.4, count: 200_000, serviceTimeS: () => svc.exponential(1)}))
    const report = buildReport(model, ctx(end, model.lastArrivalS))
    expect(end).toBeLessThan(86_400 / 2)
    expect(Math.abs(report.pools[0].utilization - 0.8)).toBeLessThan(0.01)
    expect(report.cost.gpuHours).toBeCloseTo((8 * end) / 3600, 6)
  })

  it('output tokens per second are booked in the intervals a decode run spans', async () => {
    // One call decoding 1000 tokens at 10 ms a step: ~10 s of decoding, sampled every second.
    const cost = linearCost({a: 0.01, b: 0, d: 0, e: 0, kv: 100_000, seqs: 8, tokens: 2048})
    const model = new FleetModel(
      {
        pools: [{kind: 'llm', name: 'gpu', replicas: 1, serving: cost, gpusPerReplica: 1, pricePerHourUsd: 1}],
        routing: {policy: 'least-outstanding'},
        queue: {},
        durationS: Number.POSITIVE_INFINITY,
        sampleIntervalS: 1,
      },
      new RandomStreams(1).stream('routing'),
    )
    await runFleetModel(model, listTasks([{id: 0, arrivalS: 0, taskType: 'x', priority: 'normal', calls: [{inputTokens: 10, outputTokens: 1000, delayS: 0}]}]))
    const cols = model.seriesColumns
    const tokCol = cols.indexOf('output_tokens_per_s')
    const rows = model.series.length / cols.length
    let total = 0
    for (let i = 0; i < rows; i++) {
      const t = model.series[i * cols.length]
      const rate = model.series[i * cols.length + tokCol]
      const prev = i === 0 ? 0 : model.series[(i - 1) * cols.length]
      total += rate * (t - prev)
      // Every full second of the run produces ~100 tokens (one per 10 ms step), none is empty.
      if (t <= 9) expect(rate).toBeGreaterThanOrEqual(99)
    }
    expect(Math.round(total)).toBe(1000)
  })
})
