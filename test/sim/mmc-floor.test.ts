import {describe, expect, it} from 'vitest'

import {runMmcFloor} from '../../bench/mmc-floor.js'
import {RandomStreams} from '../../src/engine/random.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {M_WAIT} from '../../src/sim/metrics.js'
import {runFleetModel} from '../../src/sim/run.js'
import {createWorkload} from '../../src/workload/create.js'

// The benchmark compares fleetcap with a special-purpose M/M/c loop: the comparison only means
// something if both simulate the same queue, job for job.
describe('the benchmark floor loop', () => {
  it('simulates the very M/M/c that the fleet model does (same jobs, same waits)', async () => {
    const workload = (s: RandomStreams) =>
      createWorkload({kind: 'synthetic', ratePerS: 6.4, durationS: 5_000, service: {distribution: 'exponential', meanS: 1}}, {baseDir: '.', rng: s})
    const a = new RandomStreams(3)
    const model = new FleetModel(
      {
        pools: [{kind: 'generic', name: 'servers', replicas: 8, slots: 1, gpusPerReplica: 1, pricePerHourUsd: 1}],
        routing: {policy: 'least-outstanding'},
        queue: {},
        durationS: Number.POSITIVE_INFINITY,
        sampleIntervalS: 0,
      },
      a.stream('routing'),
    )
    await runFleetModel(model, workload(a))
    const floor = await runMmcFloor(8, workload(new RandomStreams(3)))
    expect(floor.tasks).toBe(model.tasksCompleted)
    expect(floor.tasks).toBeGreaterThan(30_000)
    // Same jobs in the same order; the sums of waits may differ only by rounding.
    expect(floor.meanWaitS).toBeGreaterThan(0.1)
    expect(Math.abs(floor.meanWaitS - model.latency.mean(M_WAIT))).toBeLessThan(1e-9)
  })
})
