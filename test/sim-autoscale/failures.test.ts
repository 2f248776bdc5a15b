import {describe, expect, it} from 'vitest'

import {burst, genericScenario, job, run} from './helpers.js'

const failures = (events: string, policy = '{onLostWork: retry, maxRetries: 2}') => `failures:
  policy: ${policy}
  events:
${events}`

describe('failures in the simulator', () => {
  it('node loss: its replicas and their work go, work is retried, replacements come after eviction + node + cold start', async () => {
    // 4 servers, 2 per node. 4 jobs of 100 s at t = 90, one per server. A node is lost at 100:
    // its 2 jobs go back to the queue; the pods are replaced at 160 (recoveryS: the eviction delay)
    // on a new node ready at 190, image at 195, loaded at 205. The 2 surviving servers are free at
    // 190 and take the retried jobs.
    const yaml = genericScenario({
      servers: 4,
      durationS: 400,
      capacity: '{gpusPerNode: 2, nodeProvisioningS: 30, imagePullS: 5, modelLoadS: 10}',
      extra: failures('    - {type: node-loss, pool: p, at: 100, recoveryS: 60}'),
    })
    const result = await run(yaml, burst(4, 90, 100))
    const a = result.report.autoscaling!
    expect(a.failures).toHaveLength(1)
    const f = a.failures[0]
    expect(f).toMatchObject({kind: 'node-loss', pool: 'p', timeS: 100, endS: 160, targets: 1, replicasLost: 2, callsRetried: 2, callsLost: 0, readyBefore: 4, timeToRecoverS: 105})
    // Observed until the first scrape with 4 ready replicas again (scrapes every 15 s): 210. The
    // surviving servers finished their jobs at 190 meanwhile.
    expect(f.impact).toMatchObject({fromS: 100, toS: 210, tasksCompleted: 2, tasksFailed: 0})
    expect(a.callsRetried).toBe(2)
    expect(result.report.tasks.completed).toBe(4)
    // The retried jobs ran 190 → 290.
    expect(result.report.run.endS).toBe(400)
    expect(result.report.latency.overall.e2eS!.maxS).toBeCloseTo(200, 3)
    expect(a.pools[0].trajectory).toEqual([[0, 4, 4], [100, 4, 2], [205, 4, 4]])
    expect(a.pools[0].nodes).toEqual({provisioned: 3, peak: 2})
  })

  it('lost work fails instead when the policy says so', async () => {
    const yaml = genericScenario({
      servers: 4,
      durationS: 400,
      capacity: '{gpusPerNode: 2, nodeProvisioningS: 30}',
      extra: failures('    - {type: node-loss, pool: p, at: 100, recoveryS: 60}', '{onLostWork: fail}'),
    })
    const result = await run(yaml, burst(4, 90, 100))
    expect(result.report.autoscaling!.failures[0]).toMatchObject({callsRetried: 0, callsLost: 2})
    expect(result.report.tasks.failed).toBe(2)
    expect(result.report.tasks.completed).toBe(2)
  })

  it('replica loss: the container restarts on its GPU after recoveryS; retries stop at maxRetries', async () => {
    // 2 servers, 2 jobs of 100 s at 0. Both replicas are lost at 50 (count 2): both jobs retried,
    // the replicas are back at 80 and run them to 180. A second loss at 100 takes them again: with
    // maxRetries 1 they fail.
    const yaml = genericScenario({
      servers: 2,
      durationS: 300,
      extra: failures('    - {type: replica-loss, pool: p, at: [50, 100], count: 2, recoveryS: 30}', '{onLostWork: retry, maxRetries: 1}'),
    })
    const result = await run(yaml, burst(2, 0, 100))
    const [first, second] = result.report.autoscaling!.failures
    expect(first).toMatchObject({kind: 'replica-loss', timeS: 50, targets: 2, callsRetried: 2, callsLost: 0, timeToRecoverS: 30})
    expect(second).toMatchObject({kind: 'replica-loss', timeS: 100, targets: 2, callsRetried: 0, callsLost: 2, timeToRecoverS: 30})
    expect(result.report.tasks.failed).toBe(2)
    expect(result.report.autoscaling!.callsLost).toBe(2)
  })

  it('partition: in-flight work is retried after the window, new work waits; recovery = the window', async () => {
    const yaml = genericScenario({servers: 2, durationS: 300, extra: failures('    - {type: partition, pool: p, at: 100, durationS: 100}')})
    const result = await run(yaml, [...burst(2, 90, 50), job(2, 150, 50), job(3, 150, 50)])
    const f = result.report.autoscaling!.failures[0]
    expect(f).toMatchObject({kind: 'partition', timeS: 100, endS: 200, callsRetried: 2, timeToRecoverS: 100})
    expect(result.report.tasks.completed).toBe(4)
    // Nothing ran between 100 and 200: everything finished at 250.
    expect(result.report.latency.overall.e2eS!.maxS).toBeCloseTo(160, 3)
    expect(f.impact.tasksCompleted).toBe(0)
  })

  it('a degraded GPU serves at its throughput factor for the window', async () => {
    const tasks = Array.from({length: 10}, (_, i) => job(i, 1, 10))
    const healthy = await run(genericScenario({servers: 1, durationS: 100, capacity: '{}'}), tasks)
    const yaml = genericScenario({servers: 1, durationS: 100, extra: failures('    - {type: degraded-gpu, pool: p, at: 0, durationS: 1000, throughputFactor: 0.5}')})
    const degraded = await run(yaml, tasks)
    expect(healthy.report.run.endS).toBe(101)
    expect(degraded.report.run.endS).toBe(201)
    // The degradation would last 1000 s; the run ended at 201, so that is as far as it is counted.
    expect(degraded.report.autoscaling!.failures[0]).toMatchObject({kind: 'degraded-gpu', targets: 1, timeToRecoverS: 201})
  })

  it('random failures are drawn from the seed: same seed same list, another seed another', async () => {
    const yaml = genericScenario({servers: 4, durationS: 3600, extra: failures('    - {type: replica-loss, pool: p, random: {meanTimeBetweenS: 600}, recoveryS: 60}')})
    const tasks = () => Array.from({length: 400}, (_, i) => job(i, i * 9, 20))
    const a = await run(yaml, tasks(), {seed: 1})
    const b = await run(yaml, tasks(), {seed: 1})
    const c = await run(yaml, tasks(), {seed: 2})
    const times = (r: typeof a) => r.report.autoscaling!.failures.map((f) => f.timeS)
    expect(times(a).length).toBeGreaterThan(0)
    expect(times(a)).toEqual(times(b))
    expect(times(a)).not.toEqual(times(c))
    expect(a.report.tasks.completed).toBe(400)
  })
})

describe('cost counts from provisioning', () => {
  it('a slower node provisioning costs exactly the extra wait of every new node', async () => {
    // A schedule takes the pool from 1 to 5 replicas at 60 (no metric load); scale-down is disabled,
    // so every node lives to the end (1800 s). One replica per node.
    const auto = `
schedule:
  points: [{at: 60, minReplicas: 5}]
hpa:
  apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: p}
  spec:
    scaleTargetRef: {kind: Deployment, name: p}
    minReplicas: 1
    maxReplicas: 5
    metrics:
    - type: External
      external:
        metric: {name: queue_depth}
        target: {type: AverageValue, averageValue: 10}
    behavior:
      scaleDown: {selectPolicy: Disabled}
`
    const cost = async (provisionS: number) =>
      (await run(genericScenario({servers: 1, durationS: 1800, autoscaler: auto, capacity: `{nodeProvisioningS: ${provisionS}, modelLoadS: 60}`}), [job(0, 1, 1)])).report
    const fast = await cost(100)
    const slow = await cost(500)
    const pf = fast.autoscaling!.pools[0]
    const ps = slow.autoscaling!.pools[0]
    expect(pf.nodes.provisioned).toBe(5)
    // Billed: node 0 for 1800 s, 4 nodes from 60 → 1800 — the same in both runs, whatever the delay.
    expect(pf.gpuHours * 3600).toBeCloseTo(1800 + 4 * 1740, 6)
    expect(ps.gpuHours).toBeCloseTo(pf.gpuHours, 9)
    // Ready time is 4 × 400 s shorter with the slower provisioning: that is what cold starts cost.
    expect((pf.readyGpuHours - ps.readyGpuHours) * 3600).toBeCloseTo(4 * 400, 6)
    expect((pf.gpuHours - pf.readyGpuHours) * 3600).toBeCloseTo(4 * (100 + 60), 6)
    // Price 3600 $/h per replica: cost in $ = GPU-seconds.
    expect(fast.pools[0].costUsd).toBeCloseTo(1800 + 4 * 1740, 6)
    expect(fast.cost.costUsd).toBeCloseTo(fast.pools[0].costUsd, 9)
  })
})
