import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {KubeClient, KubeObject} from '../../src/k8s/client.js'
import {systemClock} from '../../src/k8s/clock.js'
import {Executor, type ExecutorOptions} from '../../src/k8s/executor.js'
import {loadPlan, type LoadedPlan} from '../../src/plan/load.js'
import {type ControlPlane, waitFor} from '../k8s/control-plane.js'
import {writeTestPlan} from '../k8s/plan-builder.js'
import {MetricsAdapter, startMetricsCluster} from './metrics-cluster.js'

/**
 * apply-to-cluster with HPAs that act (issue 15, item 4): the loopback cluster has a custom metrics
 * API (tools/metrics-adapter), so the real HPA controller reads the Pods metric the plan's HPA scales
 * on (vllm_num_requests_waiting, target 4 per pod; src/k8s/manifests.ts). A phase is applied, the
 * metric rises, the controller scales the Deployment within the HPA's bounds, and fleetcap's applies
 * after that still pass their gates and leave spec.replicas to the HPA: its scaling is not drift.
 */
const H100 = 'NVIDIA-H100-80GB-HBM3'
const NS = 'hpa-apply'
const METRIC = 'vllm_num_requests_waiting'

let cp: ControlPlane
let adapter: MetricsAdapter
let plan: LoadedPlan

function executor(client: KubeClient, onProgress?: ExecutorOptions['onProgress']): Executor {
  return new Executor({
    onProgress,
    client,
    plan,
    clock: systemClock,
    holder: `test-hpa-apply-${Math.round(performance.now())}`,
    timeoutMs: 90_000,
    gpuPendingGraceMs: 3_000,
    lockWaitMs: 0,
    leaseDurationSeconds: 5,
    pollMs: 300,
  })
}

type Deployment = KubeObject & {spec: {replicas: number}; status?: {readyReplicas?: number}}
type Hpa = KubeObject & {
  status?: {desiredReplicas?: number; lastScaleTime?: string; currentMetrics?: Array<{pods?: {current: {averageValue?: string}}}>; conditions?: Array<{type: string; status: string; reason?: string}>}
}

async function deployment(client: KubeClient): Promise<Deployment> {
  return (await client.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: client.target.namespace, name: 'llama-8b'})) as Deployment
}

async function hpa(client: KubeClient): Promise<Hpa> {
  return (await client.get({apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: client.target.namespace, name: 'llama-8b'})) as Hpa
}

beforeAll(async () => {
  cp = startMetricsCluster({syncPeriod: '2s'})
  cp.gpuNodes(2, H100, 8, 'hpa-apply')
  adapter = new MetricsAdapter(cp)
  plan = loadPlan(
    await writeTestPlan('hpa-apply', [
      {name: 'phase-1', pools: [{name: 'llama-8b', product: H100, gpus: 1, min: 2, max: 6}]},
      {name: 'phase-2', pools: [{name: 'llama-8b', product: H100, gpus: 1, min: 3, max: 8}]},
    ]),
  )
})

afterAll(() => cp?.stop())

describe('apply-to-cluster gates with an HPA that scales', () => {
  it('the metric rises after phase 1: the controller scales 2 → 6 (its max), re-applies and phase 2 pass their gates and keep the HPA’s count', {timeout: 300_000}, async () => {
    const client = await cp.namespace(NS)
    await adapter.set('custom', NS, METRIC, '1')

    const first = await executor(client).apply({mode: 'apply', phase: 'phase-1'})
    expect(first.gates?.passed).toBe(true)
    expect((await deployment(client)).spec.replicas).toBe(2)
    // The controller reads the metric: 1 per pod, below the target of 4, so 2 (the minimum) stays.
    const active = await waitFor(
      'HPA ScalingActive',
      async () => {
        const h = await hpa(client)
        return h.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.status === 'True') ? h : undefined
      },
      60_000,
    )
    expect(active.status?.currentMetrics?.[0]?.pods?.current.averageValue).toBe('1')
    expect((await deployment(client)).spec.replicas).toBe(2)

    // Load rises: 12 waiting per pod against a target of 4 asks for 6 (2 × 12 / 4); the scale-up
    // policy (4 pods per 60 s) allows 2 + 4, and maxReplicas is 6.
    const raisedAt = Date.now()
    await adapter.set('custom', NS, METRIC, '12')
    const scaled = await waitFor(
      'the HPA scaling the Deployment',
      async () => {
        const d = await deployment(client)
        return d.spec.replicas !== 2 && d.status?.readyReplicas === d.spec.replicas ? d : undefined
      },
      90_000,
    )
    expect(scaled.spec.replicas).toBe(6)
    // The controller scaled it (the scale subresource keeps no managed field to tell by): its last
    // scale is after the metric rose.
    const scaledBy = await hpa(client)
    expect(scaledBy.status?.desiredReplicas).toBe(6)
    expect(Date.parse(scaledBy.status?.lastScaleTime ?? '')).toBeGreaterThanOrEqual(Math.floor(raisedAt / 1000) * 1000)

    // The same phase again: nothing to change, the gates hold, the HPA's 6 stays (not reset to 2).
    const dry = await executor(client).apply({mode: 'dry-run', phase: 'phase-1'})
    expect(dry.changed).toBe(0)
    const again = await executor(client).apply({mode: 'apply', phase: 'phase-1'})
    expect(again.changed).toBe(0)
    expect(again.gates?.passed).toBe(true)
    expect((await deployment(client)).spec.replicas).toBe(6)

    // Phase 2 raises the bounds to [3, 8]: 6 is inside them, so the apply leaves it to the HPA; its
    // gates pass on the HPA's count.
    const second = await executor(client).apply({mode: 'apply', phase: 'phase-2'})
    expect(second.gates?.passed).toBe(true)
    expect(second.objects.find((o) => o.ref.kind === 'HorizontalPodAutoscaler')?.changes).toContainEqual({path: 'spec.maxReplicas', before: 6, after: 8})
    const after = await deployment(client)
    expect(after.spec.replicas).toBeGreaterThanOrEqual(6)
    expect(after.spec.replicas).toBeLessThanOrEqual(8)
    expect(after.status?.readyReplicas).toBe(after.spec.replicas)
  })

  it('the load is already high when the phase is applied: the gates pass whether or not the HPA has acted yet, and it takes the new Deployment to 6', {timeout: 300_000}, async () => {
    const client = await cp.namespace(`${NS}-hot`)
    await adapter.set('custom', `${NS}-hot`, METRIC, '12')
    // What the gates saw as the Deployment's desired count, poll by poll (2, or 6 once the HPA acted).
    const seen: number[] = []
    const applied = await executor(client, (e) => e.type === 'gate' && seen.push(e.status.deployments[0]?.desired ?? 0)).apply({mode: 'apply', phase: 'phase-1'})
    process.stderr.write(`apply-hpa: desired replicas seen by the gates, poll by poll: ${seen.join(' ')}\n`)
    expect(applied.gates?.passed).toBe(true)
    expect(seen.every((n) => n === 2 || n === 6)).toBe(true)
    // The executor set the minimum (2); the controller, on its first syncs, takes it to 6.
    const scaled = await waitFor(
      'the HPA scaling the new Deployment',
      async () => {
        const d = await deployment(client)
        return d.spec.replicas === 6 && d.status?.readyReplicas === 6 ? d : undefined
      },
      90_000,
    )
    expect(scaled.spec.replicas).toBe(6)
    const again = await executor(client).apply({mode: 'apply', phase: 'phase-1'})
    expect(again.changed).toBe(0)
    expect(again.gates?.passed).toBe(true)
    expect((await deployment(client)).spec.replicas).toBe(6)
  })
})
