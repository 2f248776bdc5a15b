import {afterAll, describe, it} from 'vitest'

import type {PodView} from '../../src/autoscale/hpa.js'
import {parseScenario} from '../../src/scenario/load.js'
import {resolveAutoscaling} from '../../src/sim/autoscale-config.js'
import type {PoolConfig} from '../../src/sim/types.js'
import {type ControlPlane, waitFor} from '../k8s/control-plane.js'
import {MetricsAdapter, startMetricsClusterAsync} from './metrics-cluster.js'

/**
 * HPAConfigurableTolerance with the real controller (issue 15 item 3): one HPA on 4 pods, an External
 * metric queue_depth at 4.2 against an AverageValue target of 1 (ratio 4.2 / (1 × 4) = 1.05) and
 * behavior.scaleUp.tolerance 0.01. With the gate off (Kubernetes 1.34's default) the API server drops
 * the field and the controller's 0.1 tolerance holds the HPA at 4; with it on (kube-apiserver and
 * kube-controller-manager --feature-gates) the controller scales to ceil(4.2 / 1) = 5, and stays
 * there (at 5 the ratio is 0.84 and the proposal is still 5). fleetcap, given the same HPA in a
 * scenario with and without autoscaler.featureGates, decides the same. The two clusters (a feature
 * gate is a process flag) are started and run side by side: each test owns its own.
 */
const hpaSpec = {
  scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'app'},
  minReplicas: 1,
  maxReplicas: 20,
  metrics: [{type: 'External', external: {metric: {name: 'queue_depth'}, target: {type: 'AverageValue', averageValue: '1'}}}],
  behavior: {scaleUp: {tolerance: 0.01}},
}

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
    - name: app
      model: llama-3.1-8b
      gpu: A100-80GB
      replicas: 4
      autoscaler:
        ${gates}
        hpa:
          apiVersion: autoscaling/v2
          kind: HorizontalPodAutoscaler
          metadata: {name: app}
          spec: ${JSON.stringify(hpaSpec)}
`

async function fleetcapDecision(gates: string): Promise<number> {
  const pods: PodView[] = Array.from({length: 4}, (_, i) => ({name: `p${i}`, ready: true, startTimeS: -3600, readyTransitionS: -3500, metrics: {}}))
  const config = await resolveAutoscaling(parseScenario(scenario(gates)), [{gpusPerReplica: 1} as PoolConfig], {baseDir: '.'})
  const c = config?.pools[0].controller
  if (c?.kind !== 'hpa') throw new Error(`expected an hpa controller, got ${c?.kind}`)
  let current = 4
  for (let t = 0; t < 8; t++) current = c.hpa.reconcile(t, {currentReplicas: current, statusReplicas: current, pods, externalMetrics: {queue_depth: 4.2}}).desiredReplicas
  return current
}

/** The clusters started, stopped at the end whatever happens. */
const running = new Set<ControlPlane>()
afterAll(() => {
  for (const cp of running) cp.stop()
})

/** Run the HPA in a fresh cluster; returns the tolerance the API server kept and the replica count 8 s (8 syncs) after the first. */
async function clusterDecision(featureGates: string | undefined): Promise<{keptTolerance: unknown; replicas: number; cp: ControlPlane}> {
  const cp = await startMetricsClusterAsync({syncPeriod: '1s', featureGates})
  running.add(cp)
  cp.gpuNodes(1, 'NVIDIA-H100-80GB-HBM3', 8, 'tg-node')
  const client = await cp.namespace('tg')
  const labels = {app: 'app'}
  await client.apply(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'app', namespace: 'tg'},
      spec: {
        replicas: 4,
        selector: {matchLabels: labels},
        template: {metadata: {labels}, spec: {containers: [{name: 'app', image: 'fleetcap.invalid/fake'}], tolerations: [{operator: 'Exists'}]}},
      },
    } as never,
    {manager: 'test'},
  )
  await waitFor('4 ready pods', async () => {
    const d = await client.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tg', name: 'app'})
    return (d?.status as {readyReplicas?: number} | undefined)?.readyReplicas === 4
  })
  const adapter = new MetricsAdapter(cp)
  await adapter.set('external', 'tg', 'queue_depth', '4200m')
  const hpa = (await client.apply(
    {apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: {name: 'app', namespace: 'tg'}, spec: hpaSpec} as never,
    {manager: 'test'},
  )) as unknown as {spec: {behavior?: {scaleUp?: {tolerance?: unknown}}}}
  // 8 syncs at 1 s after the first read of the metric (the controller's reads are logged by the adapter).
  const first = await waitFor('the controller reads queue_depth', async () => (await adapter.reads('tg'))[0]?.t)
  await new Promise((r) => setTimeout(r, Math.max(0, first + 8000 - Date.now())))
  const d = await client.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tg', name: 'app'})
  return {keptTolerance: hpa.spec.behavior?.scaleUp?.tolerance, replicas: (d!.spec as {replicas: number}).replicas, cp}
}

describe.concurrent('HPAConfigurableTolerance: the real controller and fleetcap agree', () => {
  it('gate off (default): the field is dropped, ratio 1.05 stays within 0.1: 4 replicas', {timeout: 300_000}, async ({expect}) => {
    const r = await clusterDecision(undefined)
    expect(r.keptTolerance).toBeUndefined()
    expect(r.replicas).toBe(4)
    expect(await fleetcapDecision('')).toBe(r.replicas)
    r.cp.stop()
  })

  it('gate on: tolerance 0.01 is kept and the controller scales 4 → 5', {timeout: 300_000}, async ({expect}) => {
    const r = await clusterDecision('HPAConfigurableTolerance=true')
    expect(['10m', '0.01', 0.01]).toContain(r.keptTolerance) // a resource.Quantity
    expect(r.replicas).toBe(5)
    expect(await fleetcapDecision('featureGates: {HPAConfigurableTolerance: true}')).toBe(r.replicas)
    r.cp.stop()
  })
})
