import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadHpaFile, parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {createHpaController, type PodView} from '../../src/autoscale/hpa.js'

/**
 * behavior.scaleUp/scaleDown.tolerance is behind the feature gate HPAConfigurableTolerance (KEP-4951),
 * alpha and off by default in Kubernetes 1.33 and 1.34 (pkg/features/kube_features.go). With the gate
 * off the API server drops the field (dropDisabledFields), so the controller uses its cluster-wide
 * --horizontal-pod-autoscaler-tolerance (0.1). Issue 15 item 3.
 */
const YAML = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: t}
spec:
  scaleTargetRef: {kind: Deployment, name: t}
  maxReplicas: 20
  metrics:
  - type: Pods
    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100m}}
  behavior:
    scaleUp:
      tolerance: 0.01
`

const pods = (v: number): PodView[] =>
  Array.from({length: 4}, (_, i) => ({name: `p${i}`, ready: true, startTimeS: -3600, readyTransitionS: -3500, metrics: {queue_depth: v}}))

describe('configurable tolerance behind HPAConfigurableTolerance (issue 15 item 3)', () => {
  // 4 pods at 0.105 against 0.1: ratio 1.05.
  it('gate off (the default): the tolerance is dropped and 1.05 is within the cluster-wide 0.1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-hpa-tol-'))
    const file = join(dir, 'hpa.yaml')
    writeFileSync(file, YAML)
    const warnings: string[] = []
    const spec = await loadHpaFile(file, {onWarning: (m) => warnings.push(m)})
    expect(spec.behavior!.scaleUp.tolerance).toBeUndefined()
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 4, pods: pods(0.105)})
    expect(d.desiredReplicas).toBe(4)
    // One warning naming the file, the line and the field.
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(new RegExp(`^${file.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}:12: spec\\.behavior\\.scaleUp\\.tolerance: ignored: .*HPAConfigurableTolerance`))
    // Read again (a plan simulating many fleets): not warned twice.
    await loadHpaFile(file, {onWarning: (m) => warnings.push(m)})
    expect(warnings).toHaveLength(1)
  })

  it('gate on: the 0.01 scale-up tolerance is honoured, 1.05 scales 4 → ceil(4 × 1.05) = 5', () => {
    const warnings: string[] = []
    const spec = parseHpaYaml(YAML, {featureGates: {HPAConfigurableTolerance: true}, onWarning: (m) => warnings.push(m)})
    expect(spec.behavior!.scaleUp.tolerance).toBe(0.01)
    expect(spec.behavior!.scaleDown.tolerance).toBeUndefined()
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 4, pods: pods(0.105)})
    expect(d.desiredReplicas).toBe(5)
    expect(warnings).toEqual([])
  })

  it('gate on: an invalid tolerance is still an input error naming the field', () => {
    expect(() => parseHpaYaml(YAML.replace('0.01', '-1'), {featureGates: {HPAConfigurableTolerance: true}})).toThrow(/spec\.behavior\.scaleUp\.tolerance: must be a non-negative quantity/)
  })
})
