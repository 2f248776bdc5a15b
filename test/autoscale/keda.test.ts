import {describe, expect, it} from 'vitest'

import {createKedaController, loadScaledObjectFile, parseScaledObjectYaml} from '../../src/autoscale/keda.js'

const FIX = 'test/fixtures/autoscale'

describe('KEDA ScaledObject parsing', () => {
  it('reads a redis queue trigger with KEDA defaults and builds the HPA KEDA would create', async () => {
    const so = await loadScaledObjectFile(`${FIX}/scaledobject-redis.yaml`)
    expect(so).toMatchObject({pollingIntervalS: 30, cooldownPeriodS: 300, minReplicaCount: 0, maxReplicaCount: 20})
    expect(so.triggers).toEqual([{type: 'redis', reads: 'queue_depth', target: 10, metricType: 'AverageValue', activation: 5, metricName: 's0-redis-llm-tasks', useCachedMetrics: false}])
    expect(so.hpa).toMatchObject({name: 'keda-hpa-llm-workers', minReplicas: 1, maxReplicas: 20, behavior: undefined})
    expect(so.hpa.metrics[0]).toMatchObject({sourceType: 'External', target: {type: 'AverageValue', averageValueMilli: 10_000}})
    const minimal = parseScaledObjectYaml(
      'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  triggers:\n  - type: aws-sqs-queue\n    metadata: {queueURL: "https://sqs/q"}\n',
    )
    expect(minimal).toMatchObject({pollingIntervalS: 30, cooldownPeriodS: 300, minReplicaCount: 0, maxReplicaCount: 100})
    expect(minimal.triggers[0]).toMatchObject({target: 5, activation: 0})
  })

  it('passes advanced.horizontalPodAutoscalerConfig.behavior through to the HPA, defaults filled', () => {
    const so = parseScaledObjectYaml(
      'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown: {stabilizationWindowSeconds: 60}\n  triggers:\n  - type: prometheus\n    metadata: {serverAddress: "http://prom:9090", query: "sum(vllm:num_requests_waiting)", threshold: "8"}\n',
    )
    expect(so.triggers[0]).toMatchObject({reads: 'waiting_requests', target: 8})
    expect(so.hpa.behavior?.scaleDown.stabilizationWindowSeconds).toBe(60)
    expect(so.hpa.behavior?.scaleUp.policies).toHaveLength(2)
  })

  it('reports what a real apply would reject, with file lines', () => {
    const head = 'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  triggers:\n'
    expect(() => parseScaledObjectYaml(`${head}  - type: redis\n    metadata:\n      listLength: 10\n`, {file: 'so.yaml'})).toThrow(
      'so.yaml:9: spec.triggers[0].metadata.listLength: KEDA metadata values are strings: quote it ("10")',
    )
    expect(() => parseScaledObjectYaml(`${head}  - type: cron\n    metadata: {start: "0 8 * * *"}\n`)).toThrow(/trigger "cron" is not modelled; supported: redis, .*prometheus/)
    expect(() => parseScaledObjectYaml(`${head}  - type: prometheus\n    metadata: {query: "sum(rate(http_requests_total[1m]))", threshold: "5"}\n`)).toThrow(/must read exactly one metric fleetcap models/)
  })
})

describe('KEDA activation, scale to zero and cooldown', () => {
  it('0 → 1 by KEDA above the activation threshold, 1 → N by its HPA, back to 0 after the cooldown', async () => {
    const keda = createKedaController(await loadScaledObjectFile(`${FIX}/scaledobject-redis.yaml`))
    // Pending tasks: none, then 3 (below activation 5) from 60 s, 50 from 120 s, none from 600 s.
    const queue = (t: number) => (t < 60 ? 0 : t < 120 ? 3 : t < 600 ? 50 : 0)
    let replicas = 0
    const trajectory: [number, number][] = []
    const reasons = new Map<number, string>()
    for (let t = 0; t <= 1200; t = keda.nextWakeS()) {
      const step = keda.reconcile(t, {currentReplicas: replicas, pods: [], externalMetrics: {queue_depth: queue(t)}})
      if (step.poll !== undefined) reasons.set(t, step.poll.reason)
      if (step.desiredReplicas !== replicas) trajectory.push([t, step.desiredReplicas])
      replicas = step.desiredReplicas
    }
    // KEDA activates at the poll of 120 s (50 > 5) and its HPA, at the same instant, asks ceil(50/10) = 5,
    // limited to max(2 × 1, 4) = 4 (no behavior: the legacy path); 5 at the next sync.
    // The last active poll is at 570 s; KEDA deactivates at the first poll with 570 + 300 < now: 900 s.
    expect(trajectory).toEqual([[120, 4], [135, 5], [900, 0]])
    expect(reasons.get(90)).toBe('ScalerNotActive') // 3 pending is not above the activation threshold
    expect(reasons.get(120)).toBe('ScalerActive')
    expect(reasons.get(870)).toBe('ScalerCooldown')
    expect(reasons.get(900)).toBe('ScalerNotActive')
  })

  it('useCachedMetrics: the HPA sees the value of the last poll, not the present', () => {
    const so = parseScaledObjectYaml(
      'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  minReplicaCount: 1\n  triggers:\n  - type: redis\n    useCachedMetrics: true\n    metadata: {listName: q, listLength: "10"}\n',
    )
    const keda = createKedaController(so)
    const pods = [{name: 'a', ready: true, startTimeS: 0, readyTransitionS: 0, metrics: {}}]
    keda.reconcile(0, {currentReplicas: 1, pods, externalMetrics: {queue_depth: 10}})
    // At 15 s the queue is 80 but the last poll (0 s) said 10: the HPA keeps 1; at 30 s KEDA polls 80 → 8… limited to 4.
    expect(keda.reconcile(15, {currentReplicas: 1, pods, externalMetrics: {queue_depth: 80}}).desiredReplicas).toBe(1)
    expect(keda.reconcile(30, {currentReplicas: 1, pods, externalMetrics: {queue_depth: 80}}).hpa).toMatchObject({metricReplicas: 8, desiredReplicas: 4})
  })

  it('with minReplicaCount > 0 KEDA never goes below it and activates to it', () => {
    const keda = createKedaController(
      parseScaledObjectYaml(
        'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  minReplicaCount: 2\n  idleReplicaCount: 0\n  triggers:\n  - type: redis\n    metadata: {listName: q, listLength: "10"}\n',
      ),
    )
    // idleReplicaCount 0: idle at zero; first activity lifts it to minReplicaCount (2) at once.
    expect(keda.reconcile(0, {currentReplicas: 0, pods: [], externalMetrics: {queue_depth: 0}}).desiredReplicas).toBe(0)
    expect(keda.reconcile(30, {currentReplicas: 0, pods: [], externalMetrics: {queue_depth: 1}}).poll).toMatchObject({action: 'activate', desiredReplicas: 2})
  })
})
