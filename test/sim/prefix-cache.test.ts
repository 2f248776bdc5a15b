import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {InputError} from '../../src/errors.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {M_TTFT} from '../../src/sim/metrics.js'
import {runFleetModel} from '../../src/sim/run.js'
import type {LlmReplicaModel, RoutingPolicy} from '../../src/sim/types.js'
import {WorkloadSpecSchema, createWorkload, type Task, type TaskCall, type TaskStream} from '../../src/workload/index.js'
import {ROOT} from '../helpers/cli.js'
import {linearCost, listTasks} from './helpers.js'

// step = a + b·prefill + d·decodeSeqs + e·context
const A = 0.01
const B = 1e-4
const D = 0.001
const E = 1e-5
const cost = (kv: number): LlmReplicaModel => linearCost({a: A, b: B, d: D, e: E, kv, seqs: 8, tokens: 4096})

function fleet(options: {serving: LlmReplicaModel; replicas?: number; prefixCache?: boolean; policy?: RoutingPolicy}): FleetModel {
  return new FleetModel(
    {
      pools: [{kind: 'llm', name: 'gpu', replicas: options.replicas ?? 1, serving: options.serving, gpusPerReplica: 1, pricePerHourUsd: 1, prefixCache: options.prefixCache ?? true}],
      routing: {policy: options.policy ?? 'least-outstanding'},
      queue: {},
      durationS: Number.POSITIVE_INFINITY,
      sampleIntervalS: 0,
    },
    new RandomStreams(1).stream('routing'),
  )
}

const task = (id: number, arrivalS: number, calls: TaskCall[]): Task => ({id, arrivalS, taskType: 'default', priority: 'normal', calls})

/** An agent task: 1,000 prompt tokens and 10 out, then after `thinkS` a call that carries that context and adds 300. */
const chain = (id: number, arrivalS: number, thinkS = 1): Task =>
  task(id, arrivalS, [
    {inputTokens: 1000, outputTokens: 10, delayS: 0},
    {inputTokens: 1310, outputTokens: 5, delayS: thinkS, sharedPrefixTokens: 1010},
  ])

// First call: one prefill step of 1,000 tokens on an idle replica.
const TTFT_FIRST = A + B * 1000
// Second call without a cache: all 1,310 tokens. With it: the 300 new ones, attending to the 1,010 cached.
const TTFT_COLD = A + B * 1310
const TTFT_HIT = A + B * 300 + E * 1010

describe('prefix caching of agent-chain context', () => {
  it('a next call on the same replica prefills only what its prompt adds', async () => {
    const cached = fleet({serving: cost(100_000)})
    await runFleetModel(cached, listTasks([chain(0, 0)]))
    expect(cached.latency.summary(M_TTFT)?.count).toBe(2)
    expect(cached.latency.mean(M_TTFT)).toBeCloseTo((TTFT_FIRST + TTFT_HIT) / 2, 12)
    expect(cached.poolTotals[0]).toMatchObject({prefixHitTokens: 1010, prefixEvictions: 0, inputTokens: 2310})

    const plain = fleet({serving: cost(100_000), prefixCache: false})
    await runFleetModel(plain, listTasks([chain(0, 0)]))
    expect(plain.latency.mean(M_TTFT)).toBeCloseTo((TTFT_FIRST + TTFT_COLD) / 2, 12)
    expect(plain.poolTotals[0].prefixHitTokens).toBe(0)
  })

  it('counts no more than the prompt shares, and always computes the last prompt token', async () => {
    // The next prompt shares only 500 tokens (the framework rewrote the rest); then a prompt that is all context.
    const m = fleet({serving: cost(100_000)})
    await runFleetModel(
      m,
      listTasks([
        task(0, 0, [
          {inputTokens: 1000, outputTokens: 10, delayS: 0},
          {inputTokens: 1310, outputTokens: 5, delayS: 1, sharedPrefixTokens: 500},
          {inputTokens: 1315, outputTokens: 5, delayS: 1, sharedPrefixTokens: 1315},
        ]),
      ]),
    )
    expect(m.poolTotals[0].prefixHitTokens).toBe(500 + 1314)
    const second = A + B * 810 + E * 500
    const third = A + B * 1 + E * 1314
    expect(m.latency.mean(M_TTFT)).toBeCloseTo((TTFT_FIRST + second + third) / 3, 12)
  })

  it('evicts idle contexts, oldest first, when a new call needs their KV space', async () => {
    // Task 0's context (1,010 tokens) is idle when task 1 (2,010 tokens) arrives: 2,500 tokens of KV
    // cannot keep both, so it is evicted and task 0's next call prefills everything again.
    const tasks = (): TaskStream => listTasks([chain(0, 0, 5), task(1, 1, [{inputTokens: 2000, outputTokens: 10, delayS: 0}])])
    const small = fleet({serving: cost(2500)})
    await runFleetModel(small, tasks())
    expect(small.poolTotals[0]).toMatchObject({prefixHitTokens: 0, prefixEvictions: 1})
    expect(small.latency.summary(M_TTFT)?.count).toBe(3)
    const big = fleet({serving: cost(3100)})
    await runFleetModel(big, tasks())
    expect(big.poolTotals[0]).toMatchObject({prefixHitTokens: 1010, prefixEvictions: 0})
  })

  it('a replica that fails loses its cache; the next call starts cold elsewhere', async () => {
    const run = async (fail: boolean): Promise<FleetModel> => {
      const m = fleet({serving: cost(100_000), replicas: 2, policy: 'prefix-affinity'})
      // Between the first call's end (~0.2 s) and the second call (~1.2 s), replica 0 (which served the
      // first call: both were idle, and the first in the index wins) fails.
      if (fail) m.wake(0.5, m.registerController(() => m.failReplica(0)))
      await runFleetModel(m, listTasks([chain(0, 0)]))
      expect(m.tasksCompleted).toBe(1)
      return m
    }
    const healthy = await run(false)
    expect(healthy.poolTotals[0].prefixHitTokens).toBe(1010)
    const failed = await run(true)
    expect(failed.poolTotals[0].prefixHitTokens).toBe(0)
    expect(failed.latency.mean(M_TTFT)).toBeCloseTo((TTFT_FIRST + TTFT_COLD) / 2, 12)
  })

  it('prefix-affinity keeps a chain on its replica; least-outstanding scatters it', async () => {
    const spec = WorkloadSpecSchema.parse({
      kind: 'synthetic',
      ratePerS: 0.05,
      durationS: '4h',
      tokens: {input: {dist: 'lognormal', mean: 1500, cv: 0.6, min: 100, max: 8000}, output: {dist: 'lognormal', mean: 250, cv: 0.8, min: 10, max: 2000}},
      agent: {callsPerTask: {dist: 'uniform', min: 2, max: 6}, stepInputTokens: 300, thinkTimeS: 2},
    })
    const hitRate = async (policy: RoutingPolicy): Promise<{rate: number; ttftMeanS: number}> => {
      const m = fleet({serving: cost(200_000), replicas: 4, policy})
      await runFleetModel(m, createWorkload(spec, {baseDir: ROOT, rng: new RandomStreams(3)}))
      const t = m.poolTotals[0]
      return {rate: t.prefixHitTokens / t.inputTokens, ttftMeanS: m.latency.mean(M_TTFT)}
    }
    const sticky = await hitRate('prefix-affinity')
    const scattered = await hitRate('least-outstanding')
    // Carried context is ~70% of all prompt tokens here; least-outstanding returns to the same one of
    // four replicas only by chance.
    expect(sticky.rate).toBeGreaterThan(0.6)
    expect(scattered.rate).toBeLessThan(0.35)
    expect(sticky.ttftMeanS).toBeLessThan(scattered.ttftMeanS)
  })

  it('refuses prefix-affinity routing when no pool caches prefixes', () => {
    expect(() => fleet({serving: cost(100_000), prefixCache: false, policy: 'prefix-affinity'})).toThrow(InputError)
    expect(() => fleet({serving: cost(100_000), prefixCache: false, policy: 'prefix-affinity'})).toThrow(/give at least one LLM pool prefixCache: true/)
  })
})

describe('the agent generator says what each call shares with the previous one', () => {
  async function calls(agent: Record<string, unknown>): Promise<TaskCall[][]> {
    const spec = WorkloadSpecSchema.parse({kind: 'synthetic', ratePerS: 1, durationS: 200, tokens: {input: 800, output: 100}, agent})
    const out: TaskCall[][] = []
    for await (const chunk of createWorkload(spec, {baseDir: ROOT, rng: new RandomStreams(5)})) for (const t of chunk) out.push(t.calls)
    return out
  }

  it('carry: the previous prompt and output; past the context window: nothing', async () => {
    const tasks = await calls({callsPerTask: 4, stepInputTokens: 300, maxContextTokens: 2000})
    expect(tasks.length).toBeGreaterThan(100)
    for (const c of tasks) {
      expect(c[0].sharedPrefixTokens).toBeUndefined()
      // 800 → 1,200 → 1,600 → 2,000 (capped at 2,000, which 1,600 + 100 + 300 reaches exactly).
      expect(c.map((x) => x.inputTokens)).toEqual([800, 1200, 1600, 2000])
      expect(c.slice(1).map((x) => x.sharedPrefixTokens)).toEqual([900, 1300, 1700])
    }
    const over = await calls({callsPerTask: 3, stepInputTokens: 300, maxContextTokens: 1500})
    for (const c of over) expect(c.slice(1).map((x) => [x.inputTokens, x.sharedPrefixTokens])).toEqual([[1200, 900], [1500, 0]])
  })

  it('a growth distribution: the previous prompt only', async () => {
    const tasks = await calls({callsPerTask: 3, contextGrowthTokens: 250})
    for (const c of tasks) expect(c.map((x) => [x.inputTokens, x.sharedPrefixTokens])).toEqual([[800, undefined], [1050, 800], [1300, 1050]])
  })
})
