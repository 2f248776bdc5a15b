/**
 * The scheduler as engines run it: paged KV allocated on demand, preemption by recompute when the
 * cache is full, the max_num_seqs and max_num_batched_tokens limits; "reserve" kept as an option.
 */
import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {buildReport} from '../../src/report/report.js'
import {renderReportJson} from '../../src/report/render.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {PagedKvIndex} from '../../src/sim/kv-blocks.js'
import {M_TTFT} from '../../src/sim/metrics.js'
import {runFleetModel} from '../../src/sim/run.js'
import type {LlmPoolConfig, LlmReplicaModel} from '../../src/sim/types.js'
import type {Task} from '../../src/workload/types.js'
import {linearCost, listTasks, poissonTasks} from './helpers.js'

function fleet(serving: LlmReplicaModel, scheduler: LlmPoolConfig['scheduler'], sampleIntervalS = 0): FleetModel {
  return new FleetModel(
    {
      pools: [{kind: 'llm', name: 'gpu', replicas: 1, serving, gpusPerReplica: 1, pricePerHourUsd: 2, scheduler}],
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

/** Largest value of a time-series column. */
function peak(model: FleetModel, column: string): number {
  const cols = model.seriesColumns.length
  const at = model.seriesColumns.indexOf(column)
  let m = 0
  for (let i = at; i < model.series.length; i += cols) m = Math.max(m, model.series[i])
  return m
}

describe('paged KV index', () => {
  it('counts the new blocks of j steps as stepping one token at a time does', () => {
    const rng = new RandomStreams(9).stream('x')
    for (let trial = 0; trial < 50; trial++) {
      const bs = 1 + rng.int(20)
      const idx = new PagedKvIndex()
      idx.init(0, bs)
      const done = rng.int(1000)
      const ctx = Array.from({length: 1 + rng.int(10)}, () => 1 + rng.int(300))
      for (const c of ctx) idx.add(0, c, done)
      for (let j = 0; j <= 3 * bs + 2; j++) {
        // Step by step: a sequence with L tokens in KV takes a block when L is a multiple of bs.
        let expected = 0
        for (const c of ctx) for (let s = 0; s < j; s++) if ((c + s) % bs === 0) expected++
        expect(idx.newBlocks(0, done, j, ctx.length)).toBe(expected)
      }
      const free = rng.int(40)
      const fit = idx.stepsThatFit(0, done, 1000, free, ctx.length)
      expect(idx.newBlocks(0, done, fit, ctx.length)).toBeLessThanOrEqual(free)
      if (fit < 1000) expect(idx.newBlocks(0, done, fit + 1, ctx.length)).toBeGreaterThan(free)
    }
  })
})

describe('paged KV scheduler', () => {
  const cost = linearCost({a: 0.01, b: 0.0001, d: 0.001, e: 0, kv: 1000, seqs: 16, tokens: 4096})
  const tasks = (): Task[] => Array.from({length: 10}, (_, i) => req(i, 0, 100, 100))

  it('on-demand allocation admits more sequences than reserving on the same cache', async () => {
    const reserve = fleet(cost, {kvAllocation: 'reserve'}, 0.001)
    await runFleetModel(reserve, listTasks(tasks()))
    const paged = fleet(cost, {kvAllocation: 'paged', blockTokens: 16}, 0.001)
    await runFleetModel(paged, listTasks(tasks()))
    // Reserve: 200 tokens a call → 5 in a 1,000-token cache. Paged: 7 blocks of 16 for a prompt → 8.
    expect(peak(reserve, 'in_flight')).toBe(5)
    expect(peak(paged, 'in_flight')).toBe(8)
    expect(paged.callsCompleted).toBe(10)
    expect(reserve.callsCompleted).toBe(10)
    // Reserve never runs out; paged admitted more than the cache holds at full length, and preempted.
    expect(reserve.poolTotals[0].preemptions).toBe(0)
    expect(paged.poolTotals[0].preemptions).toBeGreaterThan(0)
    expect(paged.outputTokens).toBe(10 * 100)
  })

  it('preempts (recompute) when the cache fills; every preempted call completes with its tokens', async () => {
    const model = fleet(cost, {kvAllocation: 'paged', blockTokens: 16}, 0.01)
    const list = Array.from({length: 8}, (_, i) => req(i, 0, 100, 400))
    await runFleetModel(model, listTasks(list))
    const t = model.poolTotals[0]
    expect(t.preemptions).toBeGreaterThan(0)
    expect(t.recomputedTokens).toBeGreaterThan(0)
    expect(model.callsCompleted).toBe(8)
    // Every output token generated once (recompute does not emit again), each call's first token once.
    expect(model.outputTokens).toBe(8 * 400)
    expect(t.outputTokens).toBe(8 * 400)
    expect(model.latency.summary(M_TTFT)!.count).toBe(8)
    expect(model.replicaKvFraction(0)).toBe(0)
    // The time series counts them too, and KV never overflows.
    const cols = model.seriesColumns
    const at = cols.indexOf('preemptions_gpu')
    let sum = 0
    for (let i = at; i < model.series.length; i += cols.length) sum += model.series[i]
    expect(sum).toBe(t.preemptions)
    expect(peak(model, 'kv_occupancy_gpu')).toBeLessThanOrEqual(1)
    // The report says so.
    const report = buildReport(model, {name: 't', seed: 1, durationS: 0, workload: 'test', endS: model.lastWorkS, poolInfo: []})
    expect(report.pools[0].preemptions).toEqual({count: t.preemptions, recomputedTokens: t.recomputedTokens})
  })

  it('reserve mode never preempts', async () => {
    const model = fleet(cost, {kvAllocation: 'reserve'})
    await runFleetModel(model, listTasks(Array.from({length: 8}, (_, i) => req(i, 0, 100, 400))))
    expect(model.poolTotals[0].preemptions).toBe(0)
    expect(model.outputTokens).toBe(8 * 400)
  })

  it('without a scenario setting, the pool admits as its engine does (TensorRT-LLM reserve, vLLM paged); the scenario overrides', async () => {
    const run = async (serving: LlmReplicaModel, scheduler: LlmPoolConfig['scheduler']) => {
      const model = fleet(serving, scheduler)
      await runFleetModel(model, listTasks(Array.from({length: 8}, (_, i) => req(i, 0, 100, 400))))
      return model.poolTotals[0].preemptions
    }
    expect(await run({...cost, kvAdmission: 'reserve'}, undefined)).toBe(0)
    expect(await run({...cost, kvAdmission: 'paged'}, undefined)).toBeGreaterThan(0)
    expect(await run(cost, undefined)).toBeGreaterThan(0)
    expect(await run({...cost, kvAdmission: 'reserve'}, {kvAllocation: 'paged'})).toBeGreaterThan(0)
  })

  it('max_num_batched_tokens caps the prefill of one step (chunked prefill across calls)', async () => {
    const c = linearCost({a: 0.01, b: 0.0001, d: 0, e: 0, kv: 1e6, seqs: 16, tokens: 256})
    const model = fleet(c, undefined)
    await runFleetModel(model, listTasks(Array.from({length: 4}, (_, i) => req(i, 0, 300, 1))))
    // 1,200 prompt tokens at 256 a step: 5 steps; the last prompt finishes in the fifth.
    expect(model.latency.summary(M_TTFT)!.maxS).toBeCloseTo(5 * 0.01 + 0.0001 * 1200, 9)
  })

  it('max_num_seqs bounds the batch with paged KV too', async () => {
    const c = linearCost({a: 0.01, b: 0.0001, d: 0.001, e: 0, kv: 1e6, seqs: 3, tokens: 4096})
    const model = fleet(c, undefined, 0.001)
    await runFleetModel(model, listTasks(Array.from({length: 7}, (_, i) => req(i, 0, 50, 20))))
    expect(peak(model, 'in_flight')).toBe(3)
    expect(model.callsCompleted).toBe(7)
  })

  it('is deterministic: the same seed gives a byte-identical report under preemption', async () => {
    const run = async (): Promise<string> => {
      const streams = new RandomStreams(4)
      const tok = streams.stream('tokens')
      const model = fleet(linearCost({a: 0.008, b: 0.00005, d: 0.0002, e: 2e-7, kv: 20_000, seqs: 64, tokens: 2048}), {blockTokens: 16}, 1)
      const end = await runFleetModel(
        model,
        poissonTasks({rng: streams.stream('arrivals'), ratePerS: 8, count: 2000, call: () => ({inputTokens: 100 + tok.int(900), outputTokens: 50 + tok.int(600)})}),
      )
      const report = buildReport(model, {name: 't', seed: 4, durationS: 0, workload: 'test', endS: end, poolInfo: []})
      expect(report.pools[0].preemptions!.count).toBeGreaterThan(0)
      expect(report.calls.outputTokens).toBe(report.pools[0].outputTokens)
      model.latency.dispose()
      return renderReportJson(report) + JSON.stringify(model.series)
    }
    expect(await run()).toBe(await run())
  })
})
