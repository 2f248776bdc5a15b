import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {DROP_LOST, FleetModel} from '../../src/sim/fleet-model.js'
import {M_E2E, M_WAIT} from '../../src/sim/metrics.js'
import {runFleetModel} from '../../src/sim/run.js'
import {ReplicaState} from '../../src/sim/types.js'
import type {Task} from '../../src/workload/types.js'
import {linearCost, listTasks} from './helpers.js'

const job = (id: number, arrivalS: number, serviceTimeS: number): Task => ({id, arrivalS, taskType: 'default', priority: 'normal', calls: [], serviceTimeS})

function fleet(replicas: number, onSample?: (m: FleetModel, now: number) => void): FleetModel {
  return new FleetModel(
    {
      pools: [{kind: 'generic', name: 'p', replicas, slots: 1, gpusPerReplica: 2, pricePerHourUsd: 3600}],
      routing: {policy: 'least-outstanding'},
      queue: {},
      durationS: 100,
      sampleIntervalS: 10,
      onSample,
    },
    new RandomStreams(1).stream('routing'),
  )
}

describe('replica lifecycle', () => {
  it('a replica added at runtime takes work once it is ready, and bills from creation', async () => {
    // One server, 20 jobs of 5 s at t = 0: a backlog of 100 s. At t = 10 a second server is added, ready at t = 15.
    let added = -1
    const m = fleet(1, (model, now) => {
      if (now === 10) added = model.addReplica(0, 5)
    })
    await runFleetModel(m, listTasks(Array.from({length: 20}, (_, i) => job(i, 0, 5))))
    expect(added).toBe(1)
    expect(m.replicaState(added)).toBe(ReplicaState.READY)
    expect(m.tasksCompleted).toBe(20)
    // Server 0 finishes 3 jobs by t = 15; from then two servers share the 17 left: 9 and 8 rounds of 5 s.
    expect(m.lastWorkS).toBe(15 + 9 * 5)
    // Billing: server 0 for the whole run (100 s, the arrival window), server 1 from t = 10.
    expect(m.poolTotals[0].replicaS).toBeCloseTo(100 + 90, 9)
  })

  it('a drained replica takes no new work, finishes what it holds, then is gone', async () => {
    const m = fleet(2, (model, now) => {
      if (now === 10) model.drainReplica(1)
    })
    const tasks = [job(0, 0, 12), job(1, 0, 12), ...Array.from({length: 6}, (_, i) => job(2 + i, 11 + i, 1))]
    await runFleetModel(m, listTasks(tasks))
    expect(m.replicaState(1)).toBe(ReplicaState.GONE)
    expect(m.tasksCompleted).toBe(8)
    // Replica 1 was gone at t = 12 when its job ended.
    expect(m.poolTotals[0].replicaS).toBeCloseTo(100 + 12, 9)
  })
})

describe('replica failure', () => {
  it('sends the lost calls again (oldest first); the queue wait is recorded once', async () => {
    const m = fleet(2, (model, now) => {
      if (now === 10) expect(model.failReplica(0)).toBe(1)
    })
    // Two 15 s jobs at t = 0 on two servers; server 0 fails at t = 10 and its job restarts on server 1 at t = 15.
    await runFleetModel(m, listTasks([job(0, 0, 15), job(1, 0, 15)]))
    expect(m.replicaState(0)).toBe(ReplicaState.GONE)
    expect(m.tasksCompleted).toBe(2)
    expect(m.latency.count(M_WAIT)).toBe(2)
    expect(m.latency.mean(M_E2E)).toBeCloseTo((15 + 30) / 2, 9)
    // Server 0 billed until it failed.
    expect(m.poolTotals[0].replicaS).toBeCloseTo(10 + 100, 9)
  })

  it('fails the lost calls when the policy says so', async () => {
    const m = fleet(2, (model, now) => {
      if (now === 10) model.failReplica(0, 'fail')
    })
    await runFleetModel(m, listTasks([job(0, 0, 15), job(1, 0, 15)]))
    expect(m.tasksCompleted).toBe(1)
    expect(m.tasksFailed).toBe(1)
    expect(m.drops[DROP_LOST * 4 + 2]).toBe(1)
  })

  it('an LLM replica that fails mid-decode loses its batch; the calls restart elsewhere from the prompt', async () => {
    const cost = linearCost({a: 0.01, b: 0.0001, d: 0.001, e: 0, kv: 1e9, seqs: 8, tokens: 2048})
    const m = new FleetModel(
      {
        pools: [{kind: 'llm', name: 'g', replicas: 2, serving: cost, gpusPerReplica: 1, pricePerHourUsd: 1}],
        routing: {policy: 'round-robin'},
        queue: {},
        durationS: 10,
        sampleIntervalS: 0.5,
        onSample: (model, now) => {
          if (now === 0.5) model.failReplica(0)
        },
      },
      new RandomStreams(1).stream('routing'),
    )
    // One request per replica (round-robin), 100 prompt + 200 output tokens: ~2.2 s each.
    const req = (id: number): Task => ({id, arrivalS: 0, taskType: 'd', priority: 'normal', calls: [{inputTokens: 100, outputTokens: 200, delayS: 0}]})
    await runFleetModel(m, listTasks([req(0), req(1)]))
    expect(m.tasksCompleted).toBe(2)
    // Replica 1 runs the second request alone until the lost one joins at its next step boundary after 0.5 s.
    const solo = 0.02 + 199 * 0.011
    expect(m.latency.summary(M_E2E)!.maxS).toBeGreaterThan(solo + 0.5)
    expect(m.replicaState(0)).toBe(ReplicaState.GONE)
    // Billing: replica 0 until it failed, replica 1 over the 10 s window.
    expect(m.poolTotals[0].replicaS).toBeCloseTo(0.5 + 10, 9)
  })
})
