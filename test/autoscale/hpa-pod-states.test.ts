import {describe, expect, it} from 'vitest'

import {parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {createHpaController, type PodView} from '../../src/autoscale/hpa.js'

/**
 * Pods whose Ready condition is Unknown, and pods without metrics, as replica_calculator.go treats
 * them (groupPods, getReadyPodsCount, calcPlainMetricReplicas, GetResourceReplicas). Issue 15 item 5.
 */
function hpa(metric: string) {
  return parseHpaYaml(
    `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: t}\nspec:\n  scaleTargetRef: {kind: Deployment, name: t}\n  maxReplicas: 50\n  metrics:\n${metric}  behavior: {scaleUp: {policies: [{type: Pods, value: 100, periodSeconds: 15}]}}\n`,
  )
}
const cpu50 = `  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n`

/** A pod started at -3600 s (long past the cpu initialization period), ready at -3590 s unless told. */
function pod(name: string, ready: PodView['ready'], metrics: PodView['metrics'], readyTransitionS = -3590): PodView {
  return {name, ready, startTimeS: -3600, readyTransitionS, metrics}
}

describe('Ready condition Unknown', () => {
  // 4 pods at 100 % cpu against 50 %. The fourth pod's Ready condition is Unknown: groupPods marks a
  // pod unready only when the status is False, so its sample counts: 400/4 = 100 % → ratio 2 → 8.
  it('cpu: an Unknown pod is not unready; its sample counts (4 → 8)', () => {
    const pods = [pod('a', true, {cpu: 100}), pod('b', true, {cpu: 100}), pod('c', true, {cpu: 100}), pod('d', 'Unknown', {cpu: 100})]
    expect(createHpaController(hpa(cpu50)).reconcile(0, {currentReplicas: 4, pods}).desiredReplicas).toBe(8)
  })

  // The same pod with Ready=False that never became ready (transition 10 s after start, within the
  // 30 s initial readiness delay) is unready: ratio over the 3 others is 2, and on scale-up it is
  // taken at 0 %: (300 + 0)/4 = 75 % → ratio 1.5 → ceil(1.5 × 4) = 6.
  it('cpu: the same pod with Ready=False (never ready) is unready and counts as 0 % (4 → 6)', () => {
    const pods = [pod('a', true, {cpu: 100}), pod('b', true, {cpu: 100}), pod('c', true, {cpu: 100}), pod('d', false, {cpu: 100})]
    expect(createHpaController(hpa(cpu50)).reconcile(0, {currentReplicas: 4, pods}).desiredReplicas).toBe(6)
  })

  // Object Value targets count Running pods whose Ready condition is True (podutil.IsPodReady):
  // an Unknown pod is left out. 300 against 100: ratio 3 × 2 ready pods = 6.
  it('Object Value: an Unknown pod is not counted as ready (3 × 2 = 6, not 9)', () => {
    const spec = hpa(`  - type: Object\n    object: {describedObject: {kind: Service, name: gw}, metric: {name: inflight_requests}, target: {type: Value, value: 100}}\n`)
    const pods = [pod('a', true, {}), pod('b', true, {}), pod('c', 'Unknown', {})]
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 3, pods, objectMetrics: {inflight_requests: 300}})
    expect(d.metricReplicas).toBe(6)
  })
})

describe('missing metrics: 0 on scale-up, the target (or 100 % of the request) on scale-down', () => {
  const podsMetric = `  - type: Pods\n    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 1}}\n`
  it('Pods, scale-down: a pod without a sample is taken at the target: (0.5+0.5+1+1)/4 → ceil(0.75 × 4) = 3', () => {
    const pods = [pod('a', true, {queue_depth: 0.5}), pod('b', true, {queue_depth: 0.5}), pod('c', true, {}), pod('d', true, {})]
    expect(createHpaController(hpa(podsMetric)).reconcile(0, {currentReplicas: 4, pods}).metricReplicas).toBe(3)
  })

  it('Pods, scale-up: a pod without a sample is taken at 0: (2+2+0+0)/4 = 1 is within tolerance → stays 4', () => {
    const pods = [pod('a', true, {queue_depth: 2}), pod('b', true, {queue_depth: 2}), pod('c', true, {}), pod('d', true, {})]
    expect(createHpaController(hpa(podsMetric)).reconcile(0, {currentReplicas: 4, pods}).metricReplicas).toBe(4)
  })

  // cpu target 50 %: two pods at 10 %, two without samples. Scale-down: missing pods at
  // max(100 %, 50 %) = 100 %: (10+10+100+100)/4 = 55 % → ratio 1.1: within tolerance → stays 4
  // (without the assumption it would have gone to ceil(0.2 × 2) = 1).
  it('cpu, scale-down: a pod without a sample is taken at 100 % of its request', () => {
    const pods = [pod('a', true, {cpu: 10}), pod('b', true, {cpu: 10}), pod('c', true, {}), pod('d', true, {})]
    expect(createHpaController(hpa(cpu50)).reconcile(0, {currentReplicas: 4, pods}).metricReplicas).toBe(4)
  })
})

describe('pods with different cpu requests', () => {
  // GetResourceUtilizationRatio: Σ usage × 100 / Σ requests. Pod a requests 1000m and uses 90 %
  // (900m), pod b requests 3000m and uses 10 % (300m): 1200m / 4000m = 30 % against 50 % → ratio
  // 0.6 → ceil(0.6 × 2) = 2 (within [min, current]: stays 2). The plain average of percentages
  // (50 %) would have said "at target".
  it('utilization is weighted by request: 900m/1000m and 300m/3000m are 30 %, not 50 %', () => {
    const pods = [
      {...pod('a', true, {cpu: 90}), requestsMilli: {cpu: 1000}},
      {...pod('b', true, {cpu: 10}), requestsMilli: {cpu: 3000}},
    ]
    const d = createHpaController(hpa(cpu50)).reconcile(0, {currentReplicas: 2, pods})
    expect(d.proposals[0].current).toBe(30)
    // Equal requests: the same percentages average to 50 %: at target.
    const equal = createHpaController(hpa(cpu50)).reconcile(0, {currentReplicas: 2, pods: [pod('a', true, {cpu: 90}), pod('b', true, {cpu: 10})]})
    expect(equal.proposals[0].current).toBe(50)
  })

  // Scale-down with a missing pod: it is taken at max(100 %, target) of ITS request. a and c: 1000m
  // at 10 % (100m each); b requests 500m and has no sample → 500m. (100 + 100 + 500)/(1000 + 1000 +
  // 500) = 28 % → ratio 0.56 → ceil(0.56 × 3) = 2. Had b requested as much as the others:
  // (10 + 10 + 100)/3 = 40 % → 0.8 → 3.
  it('a missing pod is assumed at 100 % of its own request on scale-down', () => {
    const pods = [
      {...pod('a', true, {cpu: 10}), requestsMilli: {cpu: 1000}},
      {...pod('b', true, {}), requestsMilli: {cpu: 500}},
      {...pod('c', true, {cpu: 10}), requestsMilli: {cpu: 1000}},
    ]
    expect(createHpaController(hpa(cpu50)).reconcile(0, {currentReplicas: 3, pods}).metricReplicas).toBe(2)
    const same = pods.map((p) => ({...p, requestsMilli: {cpu: 1000}}))
    expect(createHpaController(hpa(cpu50)).reconcile(0, {currentReplicas: 3, pods: same}).metricReplicas).toBe(3)
  })
})

describe('Resource metrics with an AverageValue target (needs pod requests)', () => {
  const yaml = `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: t}\nspec:\n  scaleTargetRef: {kind: Deployment, name: t}\n  maxReplicas: 50\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: AverageValue, averageValue: 500m}}\n`

  it('is refused unless the caller supplies pod requests', () => {
    expect(() => parseHpaYaml(yaml)).toThrow(/spec\.metrics\[0\]\.resource\.target\.type: .*use type Utilization/)
  })

  // GetRawResourceReplicas: 2 pods requesting 1000m at 80 % use 800m each; against 500m per pod the
  // ratio is 1.6 → ceil(1.6 × 2) = 4, named "cpu resource" as the controller names it.
  it('usage per pod against the target: 800m vs 500m on 2 pods → 4', () => {
    const spec = parseHpaYaml(yaml, {podRequests: true})
    const pods = [pod('a', true, {cpu: 80}), pod('b', true, {cpu: 80})].map((p) => ({...p, requestsMilli: {cpu: 1000}}))
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 2, pods})
    expect(d.metricReplicas).toBe(4)
    expect(d.proposals[0].current).toBe(0.8)
    expect(d.metric).toBe('cpu resource')
  })

  it('a pod without a request: ScalingActive=False, FailedGetResourceMetric', () => {
    const spec = parseHpaYaml(yaml, {podRequests: true})
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 2, pods: [pod('a', true, {cpu: 80}), pod('b', true, {cpu: 80})]})
    expect(d.conditions.find((c) => c.type === 'ScalingActive')).toMatchObject({status: 'False', reason: 'FailedGetResourceMetric'})
    expect(d.desiredReplicas).toBe(2)
  })
})
