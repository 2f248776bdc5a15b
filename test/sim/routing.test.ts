import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {DROP_DEADLINE, DROP_UNSERVED, FleetModel} from '../../src/sim/fleet-model.js'
import {M_TASK_E2E, M_WAIT} from '../../src/sim/metrics.js'
import {runFleetModel} from '../../src/sim/run.js'
import type {FleetModelConfig, GenericPoolConfig, RoutingPolicy} from '../../src/sim/types.js'
import {PRIORITIES, PRIORITY_RANK, type Priority, type Task} from '../../src/workload/types.js'
import {listTasks, poissonTasks} from './helpers.js'

const pool = (name: string, replicas: number, extra: Partial<GenericPoolConfig> = {}): GenericPoolConfig => ({
  kind: 'generic',
  name,
  replicas,
  slots: 1,
  gpusPerReplica: 1,
  pricePerHourUsd: 1,
  ...extra,
})

function fleet(pools: GenericPoolConfig[], policy: RoutingPolicy, extra: Partial<FleetModelConfig> = {}): FleetModel {
  return new FleetModel(
    {pools, routing: {policy}, queue: {}, durationS: Number.POSITIVE_INFINITY, sampleIntervalS: 0, ...extra},
    new RandomStreams(4).stream('routing'),
  )
}

const job = (id: number, arrivalS: number, serviceTimeS: number, extra: Partial<Task> = {}): Task => ({
  id,
  arrivalS,
  taskType: 'default',
  priority: 'normal',
  calls: [],
  serviceTimeS,
  ...extra,
})

const served = (m: FleetModel): number[] => m.poolTotals.map((p) => p.callsServed)

describe('routing', () => {
  it('round-robin cycles through the pools’ replicas', async () => {
    const m = fleet([pool('a', 1, {slots: 100}), pool('b', 1, {slots: 100}), pool('c', 1, {slots: 100})], 'round-robin')
    await runFleetModel(m, listTasks(Array.from({length: 9}, (_, i) => job(i, i * 0.1, 0.01))))
    expect(served(m)).toEqual([3, 3, 3])
  })

  it('least-outstanding sends work to the idle replica', async () => {
    const m = fleet([pool('a', 1, {slots: 10}), pool('b', 1, {slots: 10})], 'least-outstanding')
    // A long job lands on one replica; every later short job goes to the other one.
    const tasks = [job(0, 0, 100), ...Array.from({length: 5}, (_, i) => job(i + 1, 1 + i, 0.5))]
    await runFleetModel(m, listTasks(tasks))
    expect(served(m).sort()).toEqual([1, 5])
  })

  it('weighted splits by pool weight', async () => {
    const m = fleet([pool('big', 1, {slots: 1000, weight: 3}), pool('small', 1, {slots: 1000, weight: 1})], 'weighted')
    await runFleetModel(m, listTasks(Array.from({length: 400}, (_, i) => job(i, i, 10))))
    expect(served(m)).toEqual([300, 100])
  })

  it('power-of-two-choices balances better than chance and depends on the seed only', async () => {
    const run = async (): Promise<number[]> => {
      const m = fleet([pool('p', 8, {slots: 50})], 'power-of-two')
      const s = new RandomStreams(8)
      const svc = s.stream('svc')
      await runFleetModel(m, poissonTasks({rng: s.stream('arr'), ratePerS: 40, count: 20_000, serviceTimeS: () => svc.exponential(1 / 0.15)}))
      return [m.latency.mean(M_WAIT), m.tasksCompleted]
    }
    const a = await run()
    const b = await run()
    expect(a).toEqual(b)
    expect(a[1]).toBe(20_000)
  })

  it('score prefers the pool whose task types match', async () => {
    const m = fleet([pool('general', 2, {slots: 10}), pool('coder', 2, {slots: 10, taskTypes: ['code']})], 'score')
    const tasks = Array.from({length: 40}, (_, i) => job(i, i, 0.5, {taskType: i % 2 === 0 ? 'code' : 'chat'}))
    await runFleetModel(m, listTasks(tasks))
    // Every 'code' task goes to the coder pool (listed: match 1); 'chat' goes to the generalist pool
    // (no list: match ½) rather than to the coder pool (lists other types: match 0).
    expect(served(m)).toEqual([20, 20])
  })
})

describe('priorities and deadlines', () => {
  it('critical waits less than low under overload', async () => {
    const s = new RandomStreams(21)
    const pr = s.stream('prio')
    const svc = s.stream('svc')
    const m = fleet([pool('p', 2)], 'least-outstanding')
    await runFleetModel(
      m,
      poissonTasks({
        rng: s.stream('arr'),
        ratePerS: 2.2, // 110% of capacity
        count: 20_000,
        serviceTimeS: () => svc.exponential(1),
        priority: () => PRIORITIES[pr.int(4)] as Priority,
      }),
    )
    const wait = (p: Priority): number => m.latency.mean(M_WAIT, PRIORITY_RANK[p])
    expect(wait('critical')).toBeLessThan(wait('high'))
    expect(wait('high')).toBeLessThan(wait('normal'))
    expect(wait('normal')).toBeLessThan(wait('low'))
    expect(wait('critical')).toBeLessThan(5)
  })

  it('a call waiting past its deadline is dropped and counted; none served waited longer', async () => {
    const s = new RandomStreams(22)
    const svc = s.stream('svc')
    const m = fleet([pool('p', 1)], 'least-outstanding', {queue: {deadlineS: {normal: 3}}})
    await runFleetModel(m, poissonTasks({rng: s.stream('arr'), ratePerS: 1.5, count: 5000, serviceTimeS: () => svc.exponential(1)}))
    const dropped = m.drops[DROP_DEADLINE * 4 + PRIORITY_RANK.normal]
    expect(dropped).toBeGreaterThan(100)
    expect(m.tasksCompleted + m.tasksFailed).toBe(5000)
    expect(m.tasksFailed).toBe(dropped)
    expect(m.latency.summary(M_WAIT)!.maxS).toBeLessThanOrEqual(3.001)
  })

  it('a full queue rejects arrivals', async () => {
    const m = fleet([pool('p', 1)], 'least-outstanding', {queue: {maxDepth: 2}})
    await runFleetModel(m, listTasks(Array.from({length: 6}, (_, i) => job(i, 0, 1))))
    // One in service, two waiting, three rejected.
    expect(m.tasksCompleted).toBe(3)
    expect(m.tasksFailed).toBe(3)
  })
})

describe('a fleet that cannot serve', () => {
  it('ends (no endless sampling) and counts the calls left in the queue as never served', async () => {
    const m = new FleetModel(
      {pools: [pool('none', 0)], routing: {policy: 'least-outstanding'}, queue: {}, durationS: 100, sampleIntervalS: 10},
      new RandomStreams(4).stream('routing'),
    )
    await runFleetModel(m, listTasks(Array.from({length: 5}, (_, i) => job(i, i, 1))))
    expect(m.tasksCompleted).toBe(0)
    expect(m.tasksFailed).toBe(5)
    expect(m.drops[DROP_UNSERVED * 4 + PRIORITY_RANK.normal]).toBe(5)
  })
})

describe('agent tasks', () => {
  it('issues each call after the previous returns plus its delay, routed again', async () => {
    const m = fleet([pool('p', 2)], 'round-robin')
    const agent: Task = {
      id: 0,
      arrivalS: 0,
      taskType: 'agent',
      priority: 'high',
      serviceTimeS: 2,
      calls: [
        {inputTokens: 0, outputTokens: 0, delayS: 0},
        {inputTokens: 0, outputTokens: 0, delayS: 1},
        {inputTokens: 0, outputTokens: 0, delayS: 1},
      ],
    }
    await runFleetModel(m, listTasks([agent]))
    expect(m.callsCompleted).toBe(3)
    expect(m.tasksCompleted).toBe(1)
    expect(m.latency.mean(M_TASK_E2E)).toBeCloseTo(3 * 2 + 2 * 1, 9)
    expect(served(m)).toEqual([3])
  })
})
