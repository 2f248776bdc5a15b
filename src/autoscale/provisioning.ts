/**
 * How a new replica becomes ready, and what it costs meanwhile. A replica needs a GPU node: a free
 * one, or a new one that a cluster autoscaler provisions (node provisioning delay), within the
 * pool's GPU quota (as a Karpenter NodePool `limits: {nvidia.com/gpu: N}` or a cloud quota caps
 * it). Then the image is pulled (skipped when the node already has it: imagePullPolicy
 * IfNotPresent) and the model loaded (the serving profile's cold start). Cost and GPU-hours count
 * from provisioning, not from readiness: a node bills from the moment it is requested until the
 * cluster autoscaler removes it, empty, after scale-down-unneeded-time (10 min by default,
 * kubernetes/autoscaler cluster-autoscaler/FAQ.md). Pure model: the simulator asks, it answers with
 * times; nothing here schedules events.
 */

export interface GpuNodePoolOptions {
  gpusPerNode: number
  /** GPUs one replica occupies (tensor-parallel degree). */
  gpusPerReplica: number
  /** Nodes present (and ready) at time 0. */
  initialNodes?: number
  /** Pool-level GPU quota; undefined = unlimited. Nodes are whole: at most floor(quota / gpusPerNode). */
  quotaGpus?: number
  /** Seconds from requesting a node to its GPUs being allocatable. */
  nodeProvisionS: number
  /** Seconds to pull the serving image onto a node that does not have it. */
  imagePullS: number
  /** Seconds from container start to a ready replica (the serving profile's model load / cold start). */
  modelLoadS: number
  /** An empty node is removed after this long (cluster autoscaler --scale-down-unneeded-time). */
  scaleDownUnneededS?: number
  /** The node group's minimum size: the autoscaler never removes below it. */
  minNodes?: number
  /** Price of one GPU for one hour, billed per node from provisioning to removal. */
  pricePerGpuHourUsd: number
}

export type ReplicaPhase = 'pending-node' | 'image-pull' | 'model-load' | 'ready'

/** When a placed replica goes through each phase. */
export interface ReplicaTimeline {
  replicaId: number
  nodeId: number
  /** The node had to be provisioned for this replica (or was still provisioning). */
  waitedForNode: boolean
  requestedS: number
  /** End of pending-node: the node's GPUs are allocatable. */
  nodeReadyS: number
  /** End of image-pull (equal to nodeReadyS when the image was already there). */
  imageReadyS: number
  readyS: number
}

export type PlacementResult = {placed: true; timeline: ReplicaTimeline} | {placed: false; reason: 'quota'; replicaId: number}

interface NodeState {
  id: number
  requestedS: number
  readyS: number
  usedGpus: number
  /** When the image is (or will be) on the node; undefined: never pulled. */
  imageReadyS: number | undefined
  emptySinceS: number | undefined
  removedS: number | undefined
}

export class GpuNodePool {
  readonly options: Required<Omit<GpuNodePoolOptions, 'quotaGpus'>> & {quotaGpus: number | undefined}
  private readonly nodes: NodeState[] = []
  private readonly replicaNode = new Map<number, number>()
  private readonly waiting: {replicaId: number; requestedS: number}[] = []
  private nextReplicaId = 0
  /** GPU-seconds of nodes already removed. */
  private billedClosedGpuS = 0

  constructor(options: GpuNodePoolOptions) {
    this.options = {initialNodes: 0, scaleDownUnneededS: 600, minNodes: 0, ...options, quotaGpus: options.quotaGpus}
    const {gpusPerNode, gpusPerReplica} = this.options
    if (!(gpusPerReplica > 0 && gpusPerNode >= gpusPerReplica)) {
      throw new RangeError(`a replica needs ${gpusPerReplica} GPUs but a node has ${gpusPerNode}`)
    }
    if (this.options.initialNodes > this.maxNodes) throw new RangeError(`${this.options.initialNodes} initial nodes exceed the GPU quota`)
    for (let i = 0; i < this.options.initialNodes; i++) this.addNode(0, 0)
  }

  /** Nodes the quota allows. */
  get maxNodes(): number {
    const q = this.options.quotaGpus
    return q === undefined ? Infinity : Math.floor(q / this.options.gpusPerNode)
  }

  /** Nodes alive (provisioning or ready) now. */
  get liveNodes(): number {
    let n = 0
    for (const node of this.nodes) if (node.removedS === undefined) n++
    return n
  }

  /** Replicas that could not be placed (quota) and wait for capacity, oldest first. */
  get unschedulable(): readonly {replicaId: number; requestedS: number}[] {
    return this.waiting
  }

  /** Ask for a new replica at `nowS`. */
  requestReplica(nowS: number): PlacementResult {
    const replicaId = this.nextReplicaId++
    const timeline = this.place(replicaId, nowS, nowS)
    if (timeline !== undefined) return {placed: true, timeline}
    this.waiting.push({replicaId, requestedS: nowS})
    return {placed: false, reason: 'quota', replicaId}
  }

  /**
   * A replica is gone (drained, failed) at `nowS`. Its GPUs go to the oldest waiting replica, if
   * any: the placements made are returned (their requestedS is when they first asked).
   */
  releaseReplica(replicaId: number, nowS: number): ReplicaTimeline[] {
    const nodeId = this.replicaNode.get(replicaId)
    if (nodeId === undefined) {
      const i = this.waiting.findIndex((w) => w.replicaId === replicaId)
      if (i >= 0) this.waiting.splice(i, 1)
      return []
    }
    this.replicaNode.delete(replicaId)
    const node = this.nodes[nodeId]
    node.usedGpus -= this.options.gpusPerReplica
    if (node.usedGpus === 0) node.emptySinceS = nowS
    return this.serveWaiting(nowS)
  }

  /** A node fails at `nowS`: it is gone with its replicas (returned), billing stops. */
  loseNode(nodeId: number, nowS: number): number[] {
    const node = this.nodes[nodeId]
    if (node === undefined || node.removedS !== undefined) return []
    const lost: number[] = []
    for (const [replica, n] of this.replicaNode) if (n === nodeId) lost.push(replica)
    for (const r of lost) this.replicaNode.delete(r)
    node.usedGpus = 0
    this.closeNode(node, nowS)
    return lost.sort((a, b) => a - b)
  }

  /**
   * Advance the cluster autoscaler to `nowS`: remove nodes empty for scale-down-unneeded-time.
   * Returns the ids removed. Call it whenever time passes (cheap).
   */
  tick(nowS: number): number[] {
    const removed: number[] = []
    let live = this.liveNodes
    for (const node of this.nodes) {
      if (live > this.options.minNodes && node.removedS === undefined && node.usedGpus === 0 && node.emptySinceS !== undefined && nowS - node.emptySinceS >= this.options.scaleDownUnneededS) {
        this.closeNode(node, node.emptySinceS + this.options.scaleDownUnneededS)
        removed.push(node.id)
        live--
      }
    }
    if (removed.length > 0) this.serveWaiting(nowS)
    return removed
  }

  /** GPU-seconds billed from node provisioning up to `nowS` (all GPUs of every node). */
  billedGpuSeconds(nowS: number): number {
    let s = this.billedClosedGpuS
    for (const node of this.nodes) if (node.removedS === undefined) s += Math.max(0, nowS - node.requestedS) * this.options.gpusPerNode
    return s
  }

  costUsd(nowS: number): number {
    return (this.billedGpuSeconds(nowS) / 3600) * this.options.pricePerGpuHourUsd
  }

  nodeOf(replicaId: number): number | undefined {
    return this.replicaNode.get(replicaId)
  }

  private place(replicaId: number, nowS: number, requestedS: number): ReplicaTimeline | undefined {
    const need = this.options.gpusPerReplica
    const room = (n: NodeState) => n.removedS === undefined && this.options.gpusPerNode - n.usedGpus >= need
    // Ready nodes first (lowest id: bin-packing, deterministic), then nodes still provisioning, then a new node.
    let node = this.nodes.find((n) => room(n) && n.readyS <= nowS)
    node ??= this.nodes.filter((n) => room(n)).sort((a, b) => a.readyS - b.readyS || a.id - b.id)[0]
    if (node === undefined) {
      if (this.liveNodes >= this.maxNodes) return undefined
      node = this.addNode(nowS, nowS + this.options.nodeProvisionS)
    }
    node.usedGpus += need
    node.emptySinceS = undefined
    this.replicaNode.set(replicaId, node.id)
    const nodeReadyS = Math.max(nowS, node.readyS)
    if (node.imageReadyS === undefined) node.imageReadyS = nodeReadyS + this.options.imagePullS
    const imageReadyS = Math.max(nodeReadyS, node.imageReadyS)
    return {
      replicaId,
      nodeId: node.id,
      waitedForNode: node.readyS > nowS,
      requestedS,
      nodeReadyS,
      imageReadyS,
      readyS: imageReadyS + this.options.modelLoadS,
    }
  }

  private serveWaiting(nowS: number): ReplicaTimeline[] {
    const placed: ReplicaTimeline[] = []
    while (this.waiting.length > 0) {
      const w = this.waiting[0]
      const t = this.place(w.replicaId, nowS, w.requestedS)
      if (t === undefined) break
      this.waiting.shift()
      placed.push(t)
    }
    return placed
  }

  private addNode(requestedS: number, readyS: number): NodeState {
    const node: NodeState = {id: this.nodes.length, requestedS, readyS, usedGpus: 0, imageReadyS: undefined, emptySinceS: requestedS, removedS: undefined}
    this.nodes.push(node)
    return node
  }

  private closeNode(node: NodeState, atS: number): void {
    node.removedS = atS
    this.billedClosedGpuS += Math.max(0, atS - node.requestedS) * this.options.gpusPerNode
  }
}

/** The phase of a placed replica at time `tS`. */
export function phaseAt(t: ReplicaTimeline, tS: number): ReplicaPhase {
  if (tS < t.nodeReadyS) return 'pending-node'
  if (tS < t.imageReadyS) return 'image-pull'
  if (tS < t.readyS) return 'model-load'
  return 'ready'
}

/** What a ReplicaSet looks at when it picks pods to delete on scale-down (controller.ActivePods ordering). */
export interface ScaleDownCandidate {
  id: number
  /** Scheduled to a node (pending-node replicas are not). */
  scheduled: boolean
  /** Pod phase: image pull is Pending (ContainerCreating); model load is Running but not Ready. */
  phase: 'Pending' | 'Running'
  ready: boolean
  /** When it became ready (undefined when not ready). */
  readySinceS?: number
  createdS: number
  restarts?: number
}

/**
 * Which replicas a scale-down removes, in the ReplicaSet controller's order (kubernetes
 * pkg/controller/controller_utils.go ActivePods.Less): unscheduled before scheduled, Pending before
 * Running, not ready before ready, ready for less time before more, more restarts before fewer,
 * newer before older; ids break the remaining ties for determinism.
 */
export function pickScaleDownVictims(candidates: readonly ScaleDownCandidate[], count: number): number[] {
  const rank = [...candidates].sort((a, b) => {
    if (a.scheduled !== b.scheduled) return a.scheduled ? 1 : -1
    if (a.phase !== b.phase) return a.phase === 'Pending' ? -1 : 1
    if (a.ready !== b.ready) return a.ready ? 1 : -1
    if (a.ready && b.ready && a.readySinceS !== b.readySinceS) return (b.readySinceS ?? 0) - (a.readySinceS ?? 0)
    if ((a.restarts ?? 0) !== (b.restarts ?? 0)) return (b.restarts ?? 0) - (a.restarts ?? 0)
    if (a.createdS !== b.createdS) return b.createdS - a.createdS
    return b.id - a.id
  })
  return rank.slice(0, Math.max(0, count)).map((c) => c.id)
}

/**
 * A replica leaving: it takes no new work from `nowS` and is gone when its in-flight work is done,
 * or at the termination grace period (terminationGracePeriodSeconds; Kubernetes' default is 30 s,
 * serving deployments set more), when what is still running is killed.
 */
export function drainEndS(nowS: number, lastInflightDoneS: number | undefined, terminationGraceS: number): {goneS: number; killsInflight: boolean} {
  const deadline = nowS + terminationGraceS
  if (lastInflightDoneS === undefined || lastInflightDoneS <= nowS) return {goneS: nowS, killsInflight: false}
  if (lastInflightDoneS <= deadline) return {goneS: lastInflightDoneS, killsInflight: false}
  return {goneS: deadline, killsInflight: true}
}
