import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {runFleetModel} from '../../src/sim/run.js'
import {ReplicaState} from '../../src/sim/types.js'
import type {Task} from '../../src/workload/types.js'
import {listTasks} from './helpers.js'

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
