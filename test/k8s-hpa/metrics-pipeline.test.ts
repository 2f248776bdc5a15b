import {afterAll, beforeAll, describe, it} from 'vitest'

import type {KubeClient} from '../../src/k8s/client.js'
import {type ControlPlane, waitFor} from '../k8s/control-plane.js'
import {MetricsAdapter, startMetricsCluster} from './metrics-cluster.js'

/**
 * The test cluster's metrics pipeline (issue 15, "What to build" 2): the real HPA controller of
 * kube-controller-manager scales KWOK Deployments on memory and cpu (metrics.k8s.io from
 * metrics-server, which scrapes KWOK's emulated kubelet /metrics/resource; usage is set with a KWOK
 * ClusterResourceUsage), and on Pods, Object and External metrics (tools/metrics-adapter).
 *
 * The tests run concurrently on the one cluster: each has its own namespace, Deployment, HPA, usage
 * object and adapter values, so none sees another's; most of each test is waiting for metrics-server's
 * scrapes and the controller's syncs, which overlap instead of adding up.
 */
let cp: ControlPlane
let adapter: MetricsAdapter

beforeAll(() => {
  cp = startMetricsCluster({syncPeriod: '2s', resourceMetrics: true})
  cp.gpuNodes(2, 'NVIDIA-H100-80GB-HBM3', 8, 'mp-node')
  adapter = new MetricsAdapter(cp)
})

afterAll(() => cp?.stop())

async function deployment(ns: string, replicas: number): Promise<KubeClient> {
  const client = await cp.namespace(ns)
  const labels = {app: 'app'}
  await client.apply(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'app', namespace: ns},
      spec: {
        replicas,
        selector: {matchLabels: labels},
        template: {
          metadata: {labels},
          spec: {
            containers: [{name: 'app', image: 'fleetcap.invalid/fake', resources: {requests: {cpu: '100m', memory: '64Mi'}}}],
            tolerations: [{operator: 'Exists'}],
          },
        },
      },
    } as never,
    {manager: 'test'},
  )
  return client
}

/** KWOK's emulated usage for every pod of the namespace. */
async function usage(ns: string, cpu: string, memory: string): Promise<void> {
  await cp.client().apply(
    {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterResourceUsage',
      metadata: {name: `usage-${ns}`},
      spec: {selector: {matchNamespaces: [ns]}, usages: [{usage: {cpu: {value: cpu}, memory: {value: memory}}}]},
    } as never,
    {manager: 'test', force: true},
  )
}

async function hpa(client: KubeClient, ns: string, metric: Record<string, unknown>, maxReplicas = 6): Promise<void> {
  await client.apply(
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {name: 'app', namespace: ns},
      spec: {scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'app'}, minReplicas: 1, maxReplicas, metrics: [metric]},
    } as never,
    {manager: 'test'},
  )
}

async function replicasReach(client: KubeClient, ns: string, want: number, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `${ns}: Deployment scaled to ${want}`,
    async () => {
      const d = await client.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'app'})
      return (d?.spec as {replicas?: number} | undefined)?.replicas === want
    },
    timeoutMs,
  )
}

describe.concurrent('metrics pipeline: the real HPA controller scales KWOK Deployments', () => {
  it('metrics.k8s.io serves the usage KWOK emulates', {timeout: 120_000}, async ({expect}) => {
    const client = await deployment('mp-top', 1)
    await usage('mp-top', '250m', '96Mi')
    const pods = await waitFor('pod metrics for mp-top', async () => {
      const l = await client.request<{items: Array<{containers: Array<{usage: {cpu: string; memory: string}}>}>}>(
        'GET',
        '/apis/metrics.k8s.io/v1beta1/namespaces/mp-top/pods',
        'pod metrics',
      )
      return l.items.length === 1 ? l.items : undefined
    })
    expect(['96Mi', `${96 * 1024}Ki`]).toContain(pods[0]!.containers[0]!.usage.memory)
    // cpu is a rate of KWOK's cumulative counter between two scrapes: 250m within rounding.
    const cpu = pods[0]!.containers[0]!.usage.cpu
    const milli = cpu.endsWith('n') ? Number(cpu.slice(0, -1)) / 1e6 : cpu.endsWith('u') ? Number(cpu.slice(0, -1)) / 1e3 : Number(cpu.slice(0, -1))
    expect(milli).toBeGreaterThan(240)
    expect(milli).toBeLessThan(260)
  })

  it('Resource memory, Utilization: 192Mi used of 64Mi requested (300%) against 100% → 3 replicas', {timeout: 150_000}, async () => {
    const client = await deployment('mp-mem', 1)
    await usage('mp-mem', '1m', '192Mi')
    await hpa(client, 'mp-mem', {type: 'Resource', resource: {name: 'memory', target: {type: 'Utilization', averageUtilization: 100}}})
    await replicasReach(client, 'mp-mem', 3)
  })

  it('Resource cpu, AverageValue: 200m per pod against 50m → 4 replicas', {timeout: 150_000}, async () => {
    const client = await deployment('mp-cpu', 1)
    await usage('mp-cpu', '200m', '1Mi')
    await hpa(client, 'mp-cpu', {type: 'Resource', resource: {name: 'cpu', target: {type: 'AverageValue', averageValue: '50m'}}})
    await replicasReach(client, 'mp-cpu', 4, 120_000)
  })

  it('Pods metric: queue_depth 30 per pod against 10 → 3 replicas', {timeout: 120_000}, async ({expect}) => {
    const client = await deployment('mp-pods', 1)
    await adapter.set('custom', 'mp-pods', 'queue_depth', '30')
    await hpa(client, 'mp-pods', {type: 'Pods', pods: {metric: {name: 'queue_depth'}, target: {type: 'AverageValue', averageValue: '10'}}})
    await replicasReach(client, 'mp-pods', 3)
    expect((await adapter.reads('mp-pods')).length).toBeGreaterThan(0)
  })

  it('Object metric on the Deployment: 40 against Value 10 → 4 replicas', {timeout: 120_000}, async () => {
    const client = await deployment('mp-obj', 1)
    await adapter.set('custom', 'mp-obj', 'queue_length', '40')
    await hpa(client, 'mp-obj', {
      type: 'Object',
      object: {metric: {name: 'queue_length'}, describedObject: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'app'}, target: {type: 'Value', value: '10'}},
    })
    await replicasReach(client, 'mp-obj', 4)
  })

  it('External metric: 25 against AverageValue 5 → 5 replicas', {timeout: 150_000}, async ({expect}) => {
    const client = await deployment('mp-ext', 1)
    await adapter.set('external', 'mp-ext', 'waiting_requests', '25')
    await hpa(client, 'mp-ext', {type: 'External', external: {metric: {name: 'waiting_requests'}, target: {type: 'AverageValue', averageValue: '5'}}})
    await replicasReach(client, 'mp-ext', 5)
    const status = await client.get({apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: 'mp-ext', name: 'app'})
    const current = (status?.status as {currentMetrics?: Array<{external?: {current?: {averageValue?: string}}}>}).currentMetrics
    expect(current?.[0]?.external?.current?.averageValue).toBeDefined()
  })
})
