import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {M_E2E, M_WAIT} from '../../src/sim/metrics.js'
import {runFleetModel} from '../../src/sim/run.js'
import {erlangCWait, poissonTasks} from './helpers.js'

function genericFleet(servers: number, duration = Number.POSITIVE_INFINITY): FleetModel {
  return new FleetModel(
    {
      pools: [{kind: 'generic', name: 'servers', replicas: servers, slots: 1, gpusPerReplica: 1, pricePerHourUsd: 1}],
      routing: {policy: 'least-outstanding'},
      queue: {},
      durationS: duration,
      sampleIntervalS: 0,
    },
    new RandomStreams(1).stream('routing'),
  )
}

describe('queueing theory', () => {
  it('M/M/c: mean wait matches Erlang C (c = 4, ρ = 0.8, 200k tasks)', async () => {
    const streams = new RandomStreams(11)
    const c = 4
    const mu = 1
    const lambda = 0.8 * c * mu
    const model = genericFleet(c)
    const svc = streams.stream('service')
    await runFleetModel(model, poissonTasks({rng: streams.stream('arrivals'), ratePerS: lambda, count: 200_000, serviceTimeS: () => svc.exponential(mu)}))
    const expected = erlangCWait(lambda, mu, c)
    const got = model.latency.mean(M_WAIT)
    expect(model.tasksCompleted).toBe(200_000)
    expect(Math.abs(got - expected) / expected).toBeLessThan(0.05)
    // Sojourn = wait + service.
    expect(model.latency.mean(M_E2E)).toBeCloseTo(got + 1 / mu, 1)
  })

  it('M/D/1: mean wait matches Pollaczek–Khinchine (ρ = 0.7, 200k tasks)', async () => {
    const streams = new RandomStreams(12)
    const s = 0.5
    const rho = 0.7
    const lambda = rho / s
    const model = genericFleet(1)
    await runFleetModel(model, poissonTasks({rng: streams.stream('arrivals'), ratePerS: lambda, count: 200_000, serviceTimeS: () => s}))
    const expected = (lambda * s * s) / (2 * (1 - rho))
    const got = model.latency.mean(M_WAIT)
    expect(Math.abs(got - expected) / expected).toBeLessThan(0.05)
  })
})
