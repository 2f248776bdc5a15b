import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/errors.js'
import {loadHpaFile, parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {formatMilli, parseQuantity, toMilli} from '../../src/autoscale/quantity.js'

const FIX = 'test/fixtures/autoscale'

describe('Kubernetes quantities', () => {
  it('reads decimal, binary and exponent suffixes', () => {
    expect(parseQuantity('500m')).toBe(0.5)
    expect(parseQuantity('100')).toBe(100)
    expect(parseQuantity('1k')).toBe(1000)
    expect(parseQuantity('1.5Gi')).toBe(1.5 * 2 ** 30)
    expect(parseQuantity('2e3')).toBe(2000)
    expect(parseQuantity(100)).toBe(100)
    expect(parseQuantity('10 pods')).toBeUndefined()
    expect(parseQuantity('1KB')).toBeUndefined()
  })
  it('gives milli-values rounded up, as Quantity.MilliValue does', () => {
    expect(toMilli(0.1)).toBe(100)
    expect(toMilli(0.0005)).toBe(1)
    expect(toMilli(parseQuantity('200m')!)).toBe(200)
    expect(formatMilli(1500)).toBe('1500m')
    expect(formatMilli(2000)).toBe('2')
  })
})

describe('parsing autoscaling/v2 HPAs', () => {
  it('reads the seed 004 HPA with its behavior', async () => {
    const hpa = await loadHpaFile(`${FIX}/hpa-seed-004-amas.yaml`)
    expect(hpa.minReplicas).toBe(3)
    expect(hpa.maxReplicas).toBe(20)
    expect(hpa.metrics.map((m) => [m.sourceType, m.reads, m.target])).toEqual([
      ['Resource', 'cpu', {type: 'Utilization', averageUtilization: 70}],
      ['Resource', 'memory', {type: 'Utilization', averageUtilization: 80}],
    ])
    expect(hpa.behavior?.scaleUp).toEqual({
      stabilizationWindowSeconds: 60,
      selectPolicy: 'Max',
      policies: [{type: 'Percent', value: 50, periodSeconds: 60}],
      tolerance: undefined,
    })
    expect(hpa.behavior?.scaleDown.stabilizationWindowSeconds).toBe(300)
  })

  it('fills absent parts of behavior with the API defaults, and leaves behavior absent when it is', async () => {
    const hpa = await loadHpaFile(`${FIX}/hpa-vllm-queue.yaml`)
    expect(hpa.behavior?.scaleUp.policies).toEqual([
      {type: 'Pods', value: 4, periodSeconds: 15},
      {type: 'Percent', value: 100, periodSeconds: 15},
    ])
    expect(hpa.behavior?.scaleDown).toMatchObject({selectPolicy: 'Disabled', stabilizationWindowSeconds: undefined})
    expect(hpa.behavior?.scaleDown.policies).toEqual([{type: 'Percent', value: 100, periodSeconds: 15}])
    expect(hpa.metrics.map((m) => [m.reads, m.target])).toEqual([
      ['waiting_requests', {type: 'AverageValue', averageValueMilli: 5000}],
      ['queue_depth', {type: 'AverageValue', averageValueMilli: 100_000}],
      ['gpu_utilization', {type: 'AverageValue', averageValueMilli: 80_000}],
    ])
    // As the controller prints it: fmt %+v of the *metav1.LabelSelector (issue 15 item 4).
    expect(hpa.metrics[1].description).toBe('external metric queue_depth(&LabelSelector{MatchLabels:map[string]string{queue: llm-tasks,},MatchExpressions:[]LabelSelectorRequirement{},})')
    const seed = await loadHpaFile(`${FIX}/hpa-seed-000-livhana.yaml`, {metricAliases: {livhana_queue_depth: 'queue_depth'}})
    expect(seed.behavior).toBeUndefined()
    expect(seed.metrics[2]).toMatchObject({reads: 'queue_depth', description: 'pods metric livhana_queue_depth'})
  })

  it('defaults minReplicas to 1 and metrics to cpu at 80%', () => {
    const hpa = parseHpaYaml(
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 5\n',
    )
    expect(hpa.minReplicas).toBe(1)
    expect(hpa.metrics).toMatchObject([{reads: 'cpu', target: {type: 'Utilization', averageUtilization: 80}}])
  })

  it('names file, line and field of a typo', async () => {
    const err = await loadHpaFile(`${FIX}/hpa-typo.yaml`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toBe(
      `${FIX}/hpa-typo.yaml:16: spec.metrics[0].resource.target.averageUtilisation: unknown field "averageUtilisation"`,
    )
  })

  it('rejects a metric fleetcap cannot model, listing what it can', async () => {
    const err = (await loadHpaFile(`${FIX}/hpa-unknown-metric.yaml`).catch((e: unknown) => e)) as Error
    expect(err.message).toMatch(/hpa-unknown-metric\.yaml:14: spec\.metrics\[0\]\.pods\.metric\.name: metric "http_requests_per_second" is not one fleetcap models; supported: .*vllm:num_requests_waiting.*queue_depth/)
    const seed = (await loadHpaFile(`${FIX}/hpa-seed-000-livhana.yaml`).catch((e: unknown) => e)) as Error
    expect(seed.message).toContain('metricAliases')
  })

  it('picks the HPA out of a multi-document manifest, with lines counted in the whole file', async () => {
    const err = (await loadHpaFile(`${FIX}/manifest-with-hpa.yaml`).catch((e: unknown) => e)) as Error
    expect(err.message).toBe(`${FIX}/manifest-with-hpa.yaml:19: spec.metrics[0].pods.target.averageValue: must be positive`)
    expect(() => parseHpaYaml('kind: Deployment\n---\nkind: Service\n', {file: 'm.yaml'})).toThrow(
      'm.yaml: 2 YAML documents (Deployment, Service); expected exactly one of kind HorizontalPodAutoscaler',
    )
  })

  it('applies the API validation rules', () => {
    const base = (spec: string) =>
      `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {kind: Deployment, name: a}\n${spec}`
    expect(() => parseHpaYaml(base('  minReplicas: 5\n  maxReplicas: 2\n'))).toThrow(/line 7: spec.maxReplicas: must be at least minReplicas \(5\)/)
    expect(() => parseHpaYaml(base('  minReplicas: 0\n  maxReplicas: 2\n'))).toThrow(/HPAScaleToZero/)
    expect(() =>
      parseHpaYaml(base('  maxReplicas: 2\n  behavior:\n    scaleDown:\n      policies:\n      - {type: Pods, value: 1, periodSeconds: 3600}\n')),
    ).toThrow(/spec.behavior.scaleDown.policies\[0\].periodSeconds: must be between 1 and 1800/)
    expect(() =>
      parseHpaYaml(base('  maxReplicas: 2\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: AverageValue, averageValue: 500m}}\n')),
    ).toThrow(/use type Utilization/)
    expect(() =>
      parseHpaYaml(base('  maxReplicas: 2\n  metrics:\n  - type: Resource\n    resource: {name: nvidia.com/gpu, target: {type: Utilization, averageUtilization: 50}}\n')),
    ).toThrow(/DCGM_FI_DEV_GPU_UTIL/)
    expect(() =>
      parseHpaYaml(base('  maxReplicas: 2\n  metrics:\n  - type: Pods\n    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: lots}}\n')),
    ).toThrow(/"lots" is not a Kubernetes quantity/)
    expect(() => parseHpaYaml('apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\n')).toThrow(/line 1: apiVersion: apiVersion must be "autoscaling\/v2"/)
    expect(() => parseHpaYaml('spec: [unclosed\n', {file: 'x.yaml'})).toThrow(/^x\.yaml:\d+: YAML syntax/)
  })
})
