import {describe, expect, it} from 'vitest'

import {burst, column, genericScenario, run} from './helpers.js'

const HPA = `
hpa:
  apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: p}
  spec:
    scaleTargetRef: {kind: Deployment, name: p}
    minReplicas: 1
    maxReplicas: 10
    metrics:
    - type: External
      external:
        metric: {name: queue_depth}
        target: {type: AverageValue, averageValue: 1}
    behavior:
      scaleUp: {policies: [{type: Pods, value: 10, periodSeconds: 15}]}
`

describe('capacity: GPU quota, nodes and cold starts', () => {
  it('pods beyond the GPU quota wait unschedulable, and are the first to go on scale-down', async () => {
    // 1 server; 20 jobs of 60 s at t = 5 ask for 10 replicas at the 15 s sync. The quota is 4 GPUs
    // (2 nodes of 2): 3 new replicas fit (one on the first node, two on a new one), 6 wait.
    const yaml = genericScenario({servers: 1, durationS: 900, autoscaler: HPA, capacity: '{gpuQuota: 4, gpusPerNode: 2, nodeProvisioningS: 30, modelLoadS: 10}'})
    const result = await run(yaml, burst(20, 5, 60))
    const pool = result.report.autoscaling!.pools[0]
    expect(result.report.autoscaling!.events[0]).toMatchObject({timeS: 15, from: 1, to: 10})
    expect(pool.replicas.peakReady).toBe(4)
    expect(pool.nodes).toEqual({provisioned: 2, peak: 2})
    const times = column(result, 'time_s')
    const starting = column(result, 'replicas_starting_p')
    const ready = column(result, 'replicas_ready_p')
    // At 30 s: 6 unschedulable + 2 on the node still provisioning; the one on node 0 is ready at 25.
    expect(starting[times.indexOf(30)]).toBe(8)
    expect(ready[times.indexOf(30)]).toBe(2)
    // From 55 (node ready 45 + load 10) 4 ready, the 6 unschedulable still waiting.
    expect(ready[times.indexOf(60)]).toBe(4)
    expect(starting[times.indexOf(60)]).toBe(6)
    expect(result.report.tasks.completed).toBe(20)
    // Billing: 2 nodes × 2 GPUs; node 0 from 0, node 1 from 15, until the run ends or they are removed.
    expect(pool.gpuHours).toBeGreaterThan(0)
    // Scale-down removes the unschedulable pods before any ready replica.
    const firstDown = result.report.autoscaling!.events.find((e) => e.to < e.from)!
    const at = times.findIndex((t) => t > firstDown.timeS)
    expect(ready[at]).toBe(Math.min(4, firstDown.to))
  })

  it('an empty node is billed until the cluster autoscaler removes it', async () => {
    // 3 jobs of 100 s on 1 server: the queue of 2 asks for 2 replicas (one per node); back to 1 after
    // the stabilization window. The emptied node bills until it has been empty scaleDownUnneededS.
    const yaml = (unneeded: number) =>
      genericScenario({servers: 1, durationS: 3000, autoscaler: HPA.replace('maxReplicas: 10', 'maxReplicas: 3'), capacity: `{scaleDownUnneededS: ${unneeded}}`})
    const short = (await run(yaml(60), burst(3, 5, 100))).report.autoscaling!.pools[0]
    const long = (await run(yaml(600), burst(3, 5, 100))).report.autoscaling!.pools[0]
    expect(long.nodes.provisioned).toBe(2)
    expect(short.readyGpuHours).toBeCloseTo(long.readyGpuHours, 9)
    expect((long.gpuHours - short.gpuHours) * 3600).toBeCloseTo(600 - 60, 6)
  })
})
