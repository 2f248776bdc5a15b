import type {KubeClient, KubeObject} from './client.js'
import type {Clock} from './clock.js'
import {GPU_RESOURCE} from './manifests.js'

/** What a phase's gates watch: its Deployments and HPAs in one namespace. */
export interface GateTarget {
  namespace: string
  deployments: string[]
  hpas: string[]
}

export interface DeploymentProgress {
  name: string
  desired: number
  updated: number
  ready: number
  available: number
  /** Pods Pending because no node has enough free GPUs. */
  gpuPending: number
  done: boolean
  waitingFor?: string
}

export interface HpaProgress {
  name: string
  accepted: boolean
  /** e.g. "ScalingActive=False (FailedGetPodsMetric)": the HPA works but has no metrics yet. */
  note?: string
}

export interface GateStatus {
  done: boolean
  /** Set when a gate can no longer pass (the caller rolls back). */
  failure?: string
  deployments: DeploymentProgress[]
  hpas: HpaProgress[]
  gpuPendingMessage?: string
}

interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
}
interface Deployment extends KubeObject {
  spec?: {replicas?: number; selector?: {matchLabels?: Record<string, string>}}
  status?: {observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number; conditions?: Condition[]}
}
interface Pod extends KubeObject {
  spec?: {containers?: Array<{resources?: {limits?: Record<string, string>; requests?: Record<string, string>}}>}
  status?: {phase?: string; conditions?: Condition[]}
}
interface Hpa extends KubeObject {
  status?: {conditions?: Condition[]}
}

/** One look at the cluster: rollout of every Deployment (as kubectl rollout status judges it), pods Ready, HPAs accepted, GPU-starved pods. */
export async function checkGates(client: KubeClient, target: GateTarget, signal?: AbortSignal): Promise<GateStatus> {
  const [deployments, pods, hpas] = await Promise.all([
    target.deployments.length > 0 ? client.list<Deployment>('apps/v1', 'Deployment', target.namespace, {}, signal) : {items: []},
    target.deployments.length > 0 ? client.list<Pod>('v1', 'Pod', target.namespace, {}, signal) : {items: []},
    target.hpas.length > 0 ? client.list<Hpa>('autoscaling/v2', 'HorizontalPodAutoscaler', target.namespace, {}, signal) : {items: []},
  ])
  const status: GateStatus = {done: true, deployments: [], hpas: []}
  for (const name of target.deployments) {
    const d = deployments.items.find((x) => x.metadata.name === name)
    const progress = deploymentProgress(name, d, pods.items)
    status.deployments.push(progress)
    if (!progress.done) status.done = false
    const deadline = d?.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')
    if (deadline) status.failure = `Deployment ${name}: ${deadline.message ?? 'progress deadline exceeded'}`
    if (progress.gpuPending > 0 && !status.gpuPendingMessage) {
      const pod = podsOf(d, pods.items).find((p) => gpuStarved(p))
      const msg = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? ''
      status.gpuPendingMessage = `Deployment ${name}: ${progress.gpuPending} pod(s) Pending for lack of GPUs (${GPU_RESOURCE}): ${msg}`
    }
  }
  for (const name of target.hpas) {
    const h = hpas.items.find((x) => x.metadata.name === name)
    const conditions = h?.status?.conditions ?? []
    const able = conditions.find((c) => c.type === 'AbleToScale')
    const active = conditions.find((c) => c.type === 'ScalingActive')
    const progress: HpaProgress = {name, accepted: Boolean(h) && able?.status === 'True'}
    if (active?.status === 'False') progress.note = `ScalingActive=False (${active.reason ?? ''})`
    if (!h) status.failure = `HorizontalPodAutoscaler ${name} does not exist`
    else if (able?.status === 'False') status.failure = `HorizontalPodAutoscaler ${name}: AbleToScale=False (${able.reason ?? ''}): ${able.message ?? ''}`
    if (!progress.accepted) status.done = false
    status.hpas.push(progress)
  }
  if (status.failure) status.done = false
  return status
}

export interface WaitOptions {
  timeoutMs: number
  /** A pod Pending for lack of GPUs this long fails the gate (0 = at once). */
  gpuPendingGraceMs: number
  pollMs?: number
  clock: Clock
  signal?: AbortSignal
  onProgress?: (status: GateStatus) => void
}

export interface GateResult {
  passed: boolean
  failure?: string
  status: GateStatus
  elapsedMs: number
  polls: number
}

/** Poll the gates until they pass, one fails, GPUs stay short past the grace, or the timeout. */
export async function waitForGates(client: KubeClient, target: GateTarget, o: WaitOptions): Promise<GateResult> {
  const start = o.clock.now()
  let gpuShortSince: number | undefined
  let polls = 0
  for (;;) {
    const status = await checkGates(client, target, o.signal)
    polls++
    o.onProgress?.(status)
    const now = o.clock.now()
    const elapsedMs = now - start
    if (status.done) return {passed: true, status, elapsedMs, polls}
    if (status.failure) return {passed: false, failure: status.failure, status, elapsedMs, polls}
    if (status.gpuPendingMessage) {
      gpuShortSince ??= now
      if (now - gpuShortSince >= o.gpuPendingGraceMs) return {passed: false, failure: status.gpuPendingMessage, status, elapsedMs, polls}
    } else gpuShortSince = undefined
    if (elapsedMs >= o.timeoutMs) {
      const waiting = status.deployments.filter((d) => !d.done).map((d) => `Deployment ${d.name}: ${d.waitingFor}`)
      const hpas = status.hpas.filter((h) => !h.accepted).map((h) => `HorizontalPodAutoscaler ${h.name} not accepted by the controller yet`)
      return {passed: false, failure: `gates not met after ${Math.round(o.timeoutMs / 1000)} s: ${[...waiting, ...hpas].join('; ')}`, status, elapsedMs, polls}
    }
    await o.clock.sleep(o.pollMs ?? 1000, o.signal)
  }
}

export function formatGateStatus(s: GateStatus): string {
  const parts = s.deployments.map((d) => `${d.name} ${d.ready}/${d.desired} ready${d.gpuPending > 0 ? ` (${d.gpuPending} waiting for GPUs)` : ''}`)
  for (const h of s.hpas) parts.push(`hpa ${h.name} ${h.accepted ? 'accepted' : 'pending'}`)
  return parts.join(', ')
}

function deploymentProgress(name: string, d: Deployment | undefined, pods: Pod[]): DeploymentProgress {
  const desired = d?.spec?.replicas ?? 1
  const st = d?.status ?? {}
  const mine = podsOf(d, pods).filter((p) => !p.metadata.deletionTimestamp)
  const ready = mine.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length
  const gpuPending = mine.filter((p) => gpuStarved(p)).length
  const p: DeploymentProgress = {name, desired, updated: st.updatedReplicas ?? 0, ready, available: st.availableReplicas ?? 0, gpuPending, done: false}
  if (!d) p.waitingFor = 'does not exist'
  else if ((st.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) p.waitingFor = 'the controller has not observed the new spec'
  else if (p.updated < desired) p.waitingFor = `${p.updated} of ${desired} replicas updated`
  else if ((st.replicas ?? 0) > p.updated) p.waitingFor = `${(st.replicas ?? 0) - p.updated} old replicas pending termination`
  else if (p.available < p.updated) p.waitingFor = `${p.available} of ${p.updated} updated replicas available`
  else if (ready < desired) p.waitingFor = `${ready} of ${desired} pods Ready`
  else p.done = true
  return p
}

function podsOf(d: Deployment | undefined, pods: Pod[]): Pod[] {
  const match = d?.spec?.selector?.matchLabels
  if (!match) return []
  return pods.filter((p) => Object.entries(match).every(([k, v]) => p.metadata.labels?.[k] === v))
}

/**
 * Pending and unschedulable for want of GPUs: either too few free (`Insufficient nvidia.com/gpu`) or
 * no node of the requested GPU product at all (a GPU pod whose node affinity matches nothing).
 */
function gpuStarved(p: Pod): boolean {
  if (p.status?.phase !== 'Pending') return false
  const sched = p.status.conditions?.find((c) => c.type === 'PodScheduled')
  if (sched?.status !== 'False' || sched.reason !== 'Unschedulable') return false
  return (sched.message ?? '').includes(GPU_RESOURCE) || requestsGpu(p)
}

function requestsGpu(p: Pod): boolean {
  return (p.spec?.containers ?? []).some((c) => Number(c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE] ?? 0) > 0)
}
