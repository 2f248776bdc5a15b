import {describe, expect, it} from 'vitest'

import type {PodView} from '../../src/autoscale/hpa.js'
import {parseScenario} from '../../src/scenario/load.js'
import {resolveAutoscaling} from '../../src/sim/autoscale-config.js'
import type {PoolConfig} from '../../src/sim/types.js'

/**
 * A scenario says which alpha feature gates its cluster runs with (`autoscaler.featureGates`); the
 * HPA's behavior.*.tolerance is read only with HPAConfigurableTolerance on, as the API server would
 * keep it (issue 15 item 3). 4 pods at 0.105 against a 0.1 target: ratio 1.05.
 */
const scenario = (gates: string): string => `apiVersion: fleetcap.dev/v1
kind: Scenario
name: gates
seed: 1
duration: 1h
workload:
  kind: synthetic
  ratePerS: 1
  tokens:
    input: {dist: constant, value: 100}
    output: {dist: constant, value: 10}
fleet:
  pools:
    - name: a
      model: llama-3.1-8b
      gpu: A100-80GB
      replicas: 4
      autoscaler:
        ${gates}
        hpa:
          apiVersion: autoscaling/v2
          kind: HorizontalPodAutoscaler
          metadata: {name: a}
          spec:
            scaleTargetRef: {kind: Deployment, name: a}
            minReplicas: 1
            maxReplicas: 20
            metrics:
            - type: Pods
              pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100m}}
            behavior:
              scaleUp:
                tolerance: 0.01
`

const pods: PodView[] = Array.from({length: 4}, (_, i) => ({name: `p${i}`, ready: true, startTimeS: -3600, readyTransitionS: -3500, metrics: {queue_depth: 0.105}}))
const pool = {gpusPerReplica: 1} as PoolConfig

async function desiredAt105(gates: string): Promise<number> {
  const config = await resolveAutoscaling(parseScenario(scenario(gates)), [pool], {baseDir: '.'})
  const c = config?.pools[0].controller
  if (c?.kind !== 'hpa') throw new Error(`expected an hpa controller, got ${c?.kind}`)
  return c.hpa.reconcile(0, {currentReplicas: 4, pods}).desiredReplicas
}

describe('autoscaler.featureGates in a scenario', () => {
  it('default (gates off, as in Kubernetes 1.34): the tolerance is dropped, 1.05 stays within 0.1', async () => {
    expect(await desiredAt105('')).toBe(4)
  })
  it('HPAConfigurableTolerance on: the 0.01 scale-up tolerance is honoured, 4 → 5', async () => {
    expect(await desiredAt105('featureGates: {HPAConfigurableTolerance: true}')).toBe(5)
  })
  it('an unknown gate is refused, naming the field', () => {
    expect(() => parseScenario(scenario('featureGates: {HPAConfigurableTolerence: true}'))).toThrow(/featureGates/)
  })
})
