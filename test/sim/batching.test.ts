import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {M_E2E, M_TPOT, M_TTFT, M_WAIT} from '../../src/sim/metrics.js'
import {runFleetModel} from '../../src/sim/run.js'
import type {KvAllocation} from '../../src/sim/kv-blocks.js'
import type {LlmReplicaModel} from '../../src/sim/types.js'
import type {Task} from '../../src/workload/types.js'
import {linearCost, listTasks, poissonTasks} from './helpers.js'

function llmFleet(serving: LlmReplicaModel, replicas = 1, sampleIntervalS = 0, kvAllocation: KvAllocation = 'paged'): FleetModel {
  return new FleetModel(
    {
      pools: [{kind: 'llm', name: 'gpu', replicas, serving, gpusPerReplica: 1, pricePerHourUsd: 2, scheduler: {kvAllocation}}],
      routing: {policy: 'least-outstanding'},
      queue: {},
      durationS: Number.POSITIVE_INFINITY,
      sampleIntervalS,
    },
    new RandomStreams(1).stream('routing'),
  )
}

const req = (id: number, arrivalS: number, inputTokens: number, outputTokens: number): Task => ({
  id,
  arrivalS,
  taskType: 'default',
  priority: 'normal',
  calls: [{inputTokens, outputTokens, delayS: 0}],
})

describe('continuous batching', () => {
  it('a batch of identical requests completes when the step formula says', async () => {
    // step = a + b·prefill + d·seqs + e·context
    const cost = linearCost({a: 0.01, b: 0.0001, d: 0.001, e: 1e-5, kv: 100_000, seqs: 8, tokens: 2048})
    const model = llmFleet(cost)
    await runFleetModel(model, listTasks([0, 1, 2, 3].map((i) => req(i, 0, 100, 10))))
    // One prefill step of 400 tokens: 0.01 + 0.0001·400 = 0.05 s, which also emits the first tokens.
    const ttft = 0.05
    // Then 9 decode steps with 4 sequences whose context starts at 4·101 and grows by 4 per step.
    let decode = 0
    for (let i = 0; i < 9; i++) decode += 0.01 + 0.001 * 4 + 1e-5 * (404 + 4 * i)
    const s = model.latency.summary(M_TTFT)!
    expect(s.count).toBe(4)
    expect(model.latency.mean(M_TTFT)).toBeCloseTo(ttft, 9)
    expect(model.latency.mean(M_E2E)).toBeCloseTo(ttft + decode, 9)
    expect(model.latency.mean(M_TPOT)).toBeCloseTo(decode / 9, 9)
    expect(model.outputTokens).toBe(40)
  })

  it('reserve mode: the KV-cache budget caps concurrency: the second pair waits for the first', async () => {
    const cost = linearCost({a: 0.01, b: 0.0001, d: 0.001, e: 0, kv: 220, seqs: 8, tokens: 2048})
    const model = llmFleet(cost, 1, 0.001, 'reserve')
    await runFleetModel(model, listTasks([0, 1, 2, 3].map((i) => req(i, 0, 100, 10))))
    const pair = 0.01 + 0.0001 * 200 + 9 * (0.01 + 0.001 * 2)
    const e2e = model.latency.summary(M_E2E)!
    expect(e2e.count).toBe(4)
    expect(model.latency.mean(M_WAIT)).toBeCloseTo(pair / 2, 9) // two waited 0, two waited one pair
    expect(e2e.maxS).toBeCloseTo(2 * pair, 3)
    // In-flight never exceeded 2 (column 2 of the time series).
    const cols = model.seriesColumns.length
    let maxInFlight = 0
    for (let i = 0; i < model.series.length; i += cols) maxInFlight = Math.max(maxInFlight, model.series[i + 2])
    expect(maxInFlight).toBe(2)
  })

  it('maxBatchSeqs caps the batch too', async () => {
    const cost = linearCost({a: 0.01, b: 0.0001, d: 0.001, e: 0, kv: 1e9, seqs: 3, tokens: 2048})
    const model = llmFleet(cost)
    await runFleetModel(model, listTasks([0, 1, 2, 3, 4, 5].map((i) => req(i, 0, 100, 10))))
    const batch = 0.01 + 0.0001 * 300 + 9 * (0.01 + 0.001 * 3)
    expect(model.latency.summary(M_E2E)!.maxS).toBeCloseTo(2 * batch, 3)
  })

  it('an arrival during a decode run joins at the next step boundary', async () => {
    const cost = linearCost({a: 0.01, b: 0.0001, d: 0.001, e: 0, kv: 1e9, seqs: 8, tokens: 2048})
    const model = llmFleet(cost)
    await runFleetModel(model, listTasks([req(0, 0, 100, 11), req(1, 0.05, 100, 11)]))
    // A: prefill 0.02 s; decode steps of 0.011 s; B arrives at 0.05, the step boundary after is 0.02 + 3·0.011.
    const boundary = 0.02 + 3 * 0.011
    const bFirst = boundary + (0.01 + 0.0001 * 100 + 0.001 * 1)
    // A has 5 tokens after B's prefill step, 6 to go at 2 sequences; then B's last 4 alone.
    const aEnd = bFirst + 6 * 0.012
    const bEnd = aEnd + 4 * 0.011
    const ttft = model.latency.summary(M_TTFT)!
    expect(ttft.count).toBe(2)
    expect(model.latency.mean(M_TTFT)).toBeCloseTo((0.02 + (bFirst - 0.05)) / 2, 9)
    expect(model.latency.mean(M_E2E)).toBeCloseTo((aEnd + (bEnd - 0.05)) / 2, 9)
  })

  it('chunked prefill splits a long prompt over steps within maxBatchTokens', async () => {
    const cost = linearCost({a: 0.01, b: 0.0001, d: 0, e: 0, kv: 1e9, seqs: 8, tokens: 512})
    const model = llmFleet(cost)
    await runFleetModel(model, listTasks([req(0, 0, 1200, 2)]))
    // 512 + 512 + 176 tokens over three steps, then one decode step.
    const ttft = 3 * 0.01 + 0.0001 * 1200
    expect(model.latency.mean(M_TTFT)).toBeCloseTo(ttft, 9)
    expect(model.latency.mean(M_E2E)).toBeCloseTo(ttft + 0.01, 9)
  })

  it('TTFT grows with load', async () => {
    const cost = linearCost({a: 0.008, b: 0.00005, d: 0.0002, e: 2e-7, kv: 200_000, seqs: 64, tokens: 4096})
    const ttftAt = async (rate: number): Promise<number> => {
      const streams = new RandomStreams(5)
      const tok = streams.stream('tokens')
      const model = llmFleet(cost, 2)
      await runFleetModel(
        model,
        poissonTasks({
          rng: streams.stream('arrivals'),
          ratePerS: rate,
          count: 3000,
          call: () => ({inputTokens: 200 + tok.int(1000), outputTokens: 20 + tok.int(200)}),
        }),
      )
      return model.latency.summary(M_TTFT)!.p90S
    }
    const low = await ttftAt(2)
    const mid = await ttftAt(20)
    const high = await ttftAt(60)
    expect(mid).toBeGreaterThan(low)
    expect(high).toBeGreaterThan(mid)
  })
})
