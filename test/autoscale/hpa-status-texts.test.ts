import {describe, expect, it} from 'vitest'

import {parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {createHpaController, type PodView} from '../../src/autoscale/hpa.js'

/**
 * Conditions, events and metric names for Object and External metrics as the v1.34 controller
 * writes them (horizontal.go computeReplicasForMetric / computeStatusFor{Object,External}Metric /
 * getUnableComputeReplicaCountCondition, replica_calculator.go, metrics/client.go). Issue 15 item 4.
 */
function hpa(metric: string, namespace = 'serving') {
  return parseHpaYaml(
    `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: t, namespace: ${namespace}}\nspec:\n  scaleTargetRef: {kind: Deployment, name: t}\n  maxReplicas: 50\n  metrics:\n${metric}`,
  )
}

const pods = (n: number): PodView[] =>
  Array.from({length: n}, (_, i) => ({name: `p${i}`, ready: true, startTimeS: -3600, readyTransitionS: -3500, metrics: {}}))

const scalingActive = (d: {conditions: {type: string}[]}) => d.conditions.find((c) => c.type === 'ScalingActive')

describe('Object and External metric texts as the controller writes them', () => {
  it('External, no selector: named "external metric NAME(nil)" in ValidMetricFound and the rescale event', () => {
    const spec = hpa(`  - type: External\n    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 10}}\n`)
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 2, statusReplicas: 2, pods: pods(2), externalMetrics: {queue_depth: 60}})
    expect(d.desiredReplicas).toBe(4) // ceil(60/10) = 6, legacy limit max(2 × 2, 4) = 4
    expect(scalingActive(d)).toMatchObject({status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from external metric queue_depth(nil)'})
    expect(d.event).toEqual({type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 4; reason: external metric queue_depth(nil) above target'})
    expect(d.conditions.find((c) => c.type === 'ScalingLimited')).toMatchObject({status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate'})
  })

  it('External AverageValue without a value: FailedGetExternalMetric, the client error and the event wrapping', () => {
    const spec = hpa(`  - type: External\n    external: {metric: {name: queue_depth, selector: {matchLabels: {queue: main}}}, target: {type: AverageValue, averageValue: 10}}\n`)
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 2, statusReplicas: 2, pods: pods(2)})
    const sel = '&LabelSelector{MatchLabels:map[string]string{queue: main,},MatchExpressions:[]LabelSelectorRequirement{},}'
    const cause = `unable to get external metric serving/queue_depth/${sel}: no metrics returned from external metrics API`
    expect(scalingActive(d)).toMatchObject({status: 'False', reason: 'FailedGetExternalMetric', message: `the HPA was unable to compute the replica count: ${cause}`})
    expect(d.event).toEqual({
      type: 'Warning',
      reason: 'FailedComputeMetricsReplicas',
      message: `invalid metrics (1 invalid out of 1), first error is: failed to get queue_depth external metric value: failed to get queue_depth external metric: ${cause}`,
    })
    expect(d.desiredReplicas).toBe(2)
  })

  it('External Value without a value: "failed to get external metric NAME" in the event', () => {
    const spec = hpa(`  - type: External\n    external: {metric: {name: queue_depth}, target: {type: Value, value: 10}}\n`)
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 2, pods: pods(2)})
    expect(d.event?.message).toBe(
      'invalid metrics (1 invalid out of 1), first error is: failed to get queue_depth external metric value: failed to get external metric queue_depth: unable to get external metric serving/queue_depth/nil: no metrics returned from external metrics API',
    )
  })

  it('Object Value without a value: FailedGetObjectMetric, with the controller\'s argument order', () => {
    const spec = hpa(`  - type: Object\n    object: {describedObject: {kind: Service, name: gw}, metric: {name: inflight_requests}, target: {type: Value, value: 100}}\n`)
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 2, pods: pods(2)})
    const cause = 'unable to get metric inflight_requests: Service on serving gw/unable to fetch metrics from custom metrics API: the server could not find the metric inflight_requests for services gw'
    expect(scalingActive(d)).toMatchObject({status: 'False', reason: 'FailedGetObjectMetric', message: `the HPA was unable to compute the replica count: ${cause}`})
    expect(d.event?.message).toBe(`invalid metrics (1 invalid out of 1), first error is: failed to get object metric value: ${cause}`)
  })

  it('Object AverageValue: the controller names it "external metric NAME(SELECTOR)"; a missing value is wrapped twice', () => {
    const spec = hpa(`  - type: Object\n    object: {describedObject: {kind: Service, name: gw}, metric: {name: inflight_requests}, target: {type: AverageValue, averageValue: 10}}\n`)
    const c = createHpaController(spec)
    const ok = c.reconcile(0, {currentReplicas: 2, statusReplicas: 2, pods: pods(2), objectMetrics: {inflight_requests: 40}})
    expect(ok.metric).toBe('external metric inflight_requests(nil)')
    expect(ok.event?.message).toBe('New size: 4; reason: external metric inflight_requests(nil) above target')
    const missing = createHpaController(spec).reconcile(0, {currentReplicas: 2, statusReplicas: 2, pods: pods(2)})
    expect(missing.event?.message).toMatch(/^invalid metrics \(1 invalid out of 1\), first error is: failed to get object metric value: failed to get inflight_requests object metric: unable to get metric inflight_requests: Service on serving gw\//)
  })

  it('Object Value with no pods: "unable to calculate ready pods: …" under FailedGetObjectMetric', () => {
    const spec = hpa(`  - type: Object\n    object: {describedObject: {kind: Service, name: gw}, metric: {name: inflight_requests}, target: {type: Value, value: 100}}\n`)
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 2, pods: [], objectMetrics: {inflight_requests: 400}})
    expect(scalingActive(d)).toMatchObject({
      status: 'False',
      reason: 'FailedGetObjectMetric',
      message: 'the HPA was unable to compute the replica count: unable to calculate ready pods: no pods returned by selector while calculating replica count',
    })
  })
})
