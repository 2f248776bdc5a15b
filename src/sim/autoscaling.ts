/**
 * Autoscaling inside the simulator: each pool with an autoscaler (or a capacity block, or failures)
 * gets a PoolRuntime that plays the parts of a cluster around the fleet model:
 *
 * - the metrics pipeline: every scrape interval the replicas' and the pool's metrics are sampled
 *   into src/autoscale's MetricsPipeline, which makes them visible with the configured lag;
 * - the controller: the HPA syncs every syncPeriodS (KEDA at its own polls and syncs, the threshold
 *   table at its evaluation interval), reading only what the pipeline shows;
 * - the ReplicaSet: the desired count becomes new replicas (a GPU on a free node, or a node the
 *   cluster autoscaler provisions within the pool's GPU quota, then image pull and model load:
 *   GpuNodePool) or drained victims (pickScaleDownVictims; a victim finishes its in-flight work);
 * - billing: GPU-hours and cost count from node provisioning (GpuNodePool), not from readiness.
 *
 * Everything runs on engine events (model.wake), never per token, and is deterministic. The parts:
 * pods.ts (a pod, ready intervals), pod-metrics.ts (the scrape and what the HPA sees),
 * controller-sync.ts (one controller sync), pool-autoscaling-report.ts (the report section).
 */
import {GpuNodePool, pickScaleDownVictims, type ReplicaTimeline, type ScaleDownCandidate} from '../autoscale/provisioning.js'
import type {ScalingEvent} from '../autoscale/scaling-stats.js'
import type {HpaObservation} from '../autoscale/hpa.js'
import type {PoolAutoscalingConfig} from './autoscale-config.js'
import {syncController} from './controller-sync.js'
import type {FleetModel} from './fleet-model.js'
import {PodMetrics} from './pod-metrics.js'
import {type PoolAutoscalingReport, poolAutoscalingReport} from './pool-autoscaling-report.js'
import {DRAINING, GONE, newPod, PLACED, podSeriesColumns, type Rep, readyAt, recoveryTime, WAITING, writePodSeries} from './pods.js'
import {ReplicaState} from './types.js'

export type {PoolAutoscalingReport} from './pool-autoscaling-report.js'
export type {Rep} from './pods.js'

// Wake-up payloads of a pool's controller.
const W_SCRAPE = 0
const W_SYNC = 1
const W_GONE = 2
const W_RECONCILE = 3
const W_GRACE = 4

export class PoolRuntime {
  readonly name: string
  readonly p: number
  readonly nodes: GpuNodePool
  readonly metrics: PodMetrics
  readonly reps: Rep[] = []
  private readonly byR = new Map<number, Rep>()
  /** Every pod's ready interval, a restarted pod's old ones included, in creation order. */
  readonly all: Rep[] = []
  desired: number
  readonly initial: number
  readonly events: ScalingEvent[] = []
  /** [time, desired] at every change of the desired count (the first at 0). */
  readonly desiredChanges: [number, number][] = []
  private ctl = -1
  private model!: FleetModel
  private readonly gonePending: [number, number][] = []
  /** Drained replicas to kill at the end of their grace period: [time, model replica]. */
  private readonly graceEnds: [number, number][] = []
  peakNodes = 0
  provisionedNodes = 0
  private nextName = 0
  private nextScrapeS = 0
  /** Calls still running on drained replicas when their grace period ended. */
  killedCalls = 0
  private scrapedAt = Number.NaN
  /** Failure injection listens to scrapes (to close its observation windows). */
  onScrape?: (now: number) => void

  constructor(
    readonly cfg: PoolAutoscalingConfig,
    readonly gpusPerReplica: number,
    pricePerReplicaHourUsd: number,
    initialReplicas: number,
  ) {
    this.name = cfg.name
    this.p = cfg.pool
    this.initial = initialReplicas
    this.desired = initialReplicas
    const perNode = Math.floor(cfg.nodes.gpusPerNode / gpusPerReplica)
    this.nodes = new GpuNodePool({
      ...cfg.nodes,
      gpusPerReplica,
      initialNodes: Math.ceil(initialReplicas / perNode),
      initialNodesHaveImage: true,
      pricePerGpuHourUsd: gpusPerReplica > 0 ? pricePerReplicaHourUsd / gpusPerReplica : 0,
    })
    this.provisionedNodes = this.peakNodes = this.nodes.liveNodes
    this.metrics = new PodMetrics(cfg)
  }

  /** Take over the pool's replicas of the model (all ready at t = 0) and start the controller. */
  attach(model: FleetModel): void {
    this.model = model
    this.ctl = model.registerController((now, payload) => this.wake(now, payload))
    for (let r = 0; r < model.replicaCount; r++) {
      if (model.replicaPool(r) !== this.p) continue
      const placed = this.nodes.requestReplica(0)
      if (!placed.placed) throw new Error('initial replicas exceed the node pool') // checked at config time
      const rep = this.newRep(placed.timeline.replicaId, 0)
      Object.assign(rep, {r, state: PLACED, nodeReadyS: 0, imageReadyS: 0, readyS: 0})
      this.byR.set(r, rep)
    }
    this.desiredChanges.push([0, this.desired])
    model.wake(0, this.ctl, W_SCRAPE)
    if (this.cfg.controller.kind !== 'none') model.wake(0, this.ctl, W_SYNC)
  }

  private newRep(id: number, nowS: number): Rep {
    const n = this.nextName++
    const rep = newPod(id, `${this.name}-${n}`, nowS, this.metrics.keysOf(n))
    this.reps.push(rep)
    this.all.push(rep)
    return rep
  }

  // ------------------------------------------------------------------ events

  private wake(now: number, payload: number): void {
    switch (payload) {
      case W_SCRAPE:
        if (this.scrapedAt !== now) this.scrape(now)
        this.nextScrapeS = now + this.metrics.pipeline.options.scrapeIntervalS
        if (this.model.isOpenAt(this.nextScrapeS)) this.model.wake(this.nextScrapeS, this.ctl, W_SCRAPE)
        break
      case W_SYNC: {
        // A scrape due at this instant comes first: the controller reads samples taken up to now.
        if (this.nextScrapeS === now && this.scrapedAt !== now) this.scrape(now)
        const next = syncController(this, now)
        if (this.model.isOpenAt(next)) this.model.wake(next, this.ctl, W_SYNC)
        break
      }
      case W_GONE:
        this.processGone()
        break
      case W_RECONCILE:
        this.reconcileCount(now)
        break
      case W_GRACE:
        this.killAfterGrace(now)
        break
    }
  }

  /** The model says replica r is gone (drained or lost); act on it outside the model's handler. */
  replicaGone(r: number, now: number): void {
    if (!this.byR.has(r)) return
    this.gonePending.push([r, now])
    this.model.wake(now, this.ctl, W_GONE)
  }

  private processGone(): void {
    for (const [r, at] of this.gonePending.splice(0)) {
      const rep = this.byR.get(r)
      if (rep === undefined) continue
      this.byR.delete(r)
      this.retireRep(rep, at)
      const before = this.nodes.liveNodes
      const placed = this.nodes.releaseReplica(rep.id, at)
      this.provisionedNodes += Math.max(0, this.nodes.liveNodes - before)
      this.placeAll(placed, at)
    }
  }

  private retireRep(rep: Rep, at: number): void {
    rep.state = GONE
    if (rep.readyUntilS > at) rep.readyUntilS = at
    const i = this.reps.indexOf(rep)
    if (i >= 0) this.reps.splice(i, 1)
    for (const k of rep.keys) this.metrics.pipeline.drop(k)
  }

  /** Waiting pods that got a GPU: start them in the model. */
  private placeAll(timelines: readonly ReplicaTimeline[], now: number): void {
    for (const t of timelines) {
      const rep = this.reps.find((x) => x.id === t.replicaId && x.state === WAITING)
      if (rep !== undefined) this.start(rep, t, now)
    }
    this.noteNodes()
  }

  private start(rep: Rep, t: ReplicaTimeline, now: number): void {
    rep.state = PLACED
    rep.nodeReadyS = t.nodeReadyS
    rep.imageReadyS = t.imageReadyS
    rep.readyS = t.readyS
    rep.r = this.model.addReplica(this.p, t.readyS - now)
    this.byR.set(rep.r, rep)
  }

  private noteNodes(): void {
    const live = this.nodes.liveNodes
    if (live > this.peakNodes) this.peakNodes = live
  }

  // ------------------------------------------------------------------ the ReplicaSet

  /** Set the desired count (the controller's decision) and make the pods follow it. */
  setDesired(n: number, now: number): void {
    if (n !== this.desired) this.desiredChanges.push([now, n])
    this.desired = n
    this.reconcileCount(now)
  }

  /** Create or delete pods until the live (not deleting) ones match the desired count. */
  reconcileCount(now: number): void {
    let n = 0
    for (const r of this.reps) if (r.state === WAITING || r.state === PLACED) n++
    if (n === this.desired) return // the common case at a sync: nothing to do, nothing allocated
    const live = this.reps.filter((r) => r.state === WAITING || r.state === PLACED)
    if (live.length < this.desired) {
      for (let k = live.length; k < this.desired; k++) this.request(now)
      this.noteNodes()
    } else if (live.length > this.desired) {
      const model = this.model
      const candidates: ScaleDownCandidate[] = live.map((rep) => {
        const ready = rep.state === PLACED && model.replicaState(rep.r) === ReplicaState.READY
        return {
          id: rep.id,
          scheduled: rep.state === PLACED,
          phase: rep.state === WAITING || now < rep.imageReadyS ? 'Pending' : 'Running',
          ready,
          readySinceS: ready ? rep.readyS : undefined,
          createdS: rep.requestedS,
          restarts: rep.restarts,
        }
      })
      for (const id of pickScaleDownVictims(candidates, live.length - this.desired)) {
        const rep = live.find((x) => x.id === id)!
        this.remove(rep, now)
      }
    }
  }

  private request(now: number): void {
    const before = this.nodes.liveNodes
    const res = this.nodes.requestReplica(now)
    this.provisionedNodes += Math.max(0, this.nodes.liveNodes - before)
    const rep = this.newRep(res.placed ? res.timeline.replicaId : res.replicaId, now)
    if (res.placed) this.start(rep, res.timeline, now)
  }

  private remove(rep: Rep, now: number): void {
    if (rep.state === WAITING) {
      this.nodes.releaseReplica(rep.id, now)
      this.retireRep(rep, now)
      return
    }
    rep.state = DRAINING
    if (rep.readyUntilS > now) rep.readyUntilS = now
    // A draining replica finishes what it holds; the model calls back when it is gone.
    this.model.drainReplica(rep.r)
    const grace = this.cfg.terminationGraceS
    if (grace !== undefined && this.model.replicaState(rep.r) !== ReplicaState.GONE) {
      this.graceEnds.push([now + grace, rep.r])
      this.model.wake(now + grace, this.ctl, W_GRACE)
    }
  }

  /** The grace period of a draining replica is over: what it still runs is killed (retried or failed). */
  private killAfterGrace(now: number): void {
    let w = 0
    for (const [at, r] of this.graceEnds) {
      if (at > now) {
        this.graceEnds[w++] = [at, r]
        continue
      }
      if (this.byR.has(r) && this.model.replicaState(r) === ReplicaState.DRAINING) {
        const res = this.model.loseReplica(r, this.cfg.lostWork.retry, this.cfg.lostWork.maxRetries)
        this.killedCalls += res.retried + res.lost
      }
    }
    this.graceEnds.length = w
  }

  // ------------------------------------------------------------------ failures (called by FailureInjector)

  /** Live pods with a GPU, in creation order (targets of replica failures). */
  placedReps(): Rep[] {
    return this.reps.filter((r) => r.state === PLACED)
  }

  /** Replicas ready now. */
  readyCount(): number {
    let n = 0
    for (const rep of this.reps) if (rep.state === PLACED && this.model.replicaState(rep.r) === ReplicaState.READY) n++
    return n
  }

  /**
   * The replica's process dies: its calls are retried or lost; the container restarts on the same
   * GPU and is ready again `recoveryS` later (restart and model load).
   */
  crashReplica(rep: Rep, now: number, recoveryS: number, retry: boolean, maxRetries: number): {retried: number; lost: number} {
    this.byR.delete(rep.r)
    const res = this.model.loseReplica(rep.r, retry, maxRetries)
    rep.restarts++
    // The ready interval of the old process ends here; the restarted one is a new interval.
    const old: Rep = {...rep, state: GONE, readyUntilS: Math.min(rep.readyUntilS, now), keys: []}
    this.all.push(old)
    for (const k of rep.keys) this.metrics.pipeline.drop(k)
    rep.readyS = now + recoveryS
    rep.nodeReadyS = Math.min(rep.nodeReadyS, now)
    rep.imageReadyS = Math.min(rep.imageReadyS, now)
    rep.readyUntilS = Number.POSITIVE_INFINITY
    rep.lastBusyS = 0
    rep.r = this.model.addReplica(this.p, recoveryS)
    this.byR.set(rep.r, rep)
    const i = this.all.indexOf(rep)
    // Keep `all` in creation order of intervals: the restarted process goes last.
    this.all.splice(i, 1)
    this.all.push(rep)
    return res
  }

  /** Node ids hosting this pool's placed replicas, ascending (targets of node failures). */
  nodeIds(): number[] {
    const ids = new Set<number>()
    for (const rep of this.reps) {
      if (rep.state !== PLACED) continue
      const n = this.nodes.nodeOf(rep.id)
      if (n !== undefined) ids.add(n)
    }
    return [...ids].sort((a, b) => a - b)
  }

  /** A node is lost: its replicas with it (calls retried or lost). The ReplicaSet replaces them after `replaceAfterS`. */
  loseNode(nodeId: number, now: number, replaceAfterS: number, retry: boolean, maxRetries: number): {replicas: number; retried: number; lost: number} {
    const lostIds = new Set(this.nodes.loseNode(nodeId, now))
    let retried = 0
    let lost = 0
    let replicas = 0
    for (const rep of [...this.reps]) {
      if (!lostIds.has(rep.id)) continue
      replicas++
      if (rep.state === PLACED || rep.state === DRAINING) {
        this.byR.delete(rep.r)
        const res = this.model.loseReplica(rep.r, retry, maxRetries)
        retried += res.retried
        lost += res.lost
      }
      this.retireRep(rep, now)
    }
    // Pods waiting for quota may fit now that the node's quota is free: they ask again at once.
    for (const rep of this.reps.filter((r) => r.state === WAITING)) {
      this.nodes.releaseReplica(rep.id, now)
      const before = this.nodes.liveNodes
      const res = this.nodes.requestReplica(now)
      this.provisionedNodes += Math.max(0, this.nodes.liveNodes - before)
      rep.id = res.placed ? res.timeline.replicaId : res.replicaId
      if (res.placed) this.start(rep, res.timeline, now)
    }
    this.noteNodes()
    this.model.wake(now + replaceAfterS, this.ctl, W_RECONCILE)
    return {replicas, retried, lost}
  }

  /** Ready count at `t` from the pods' ready intervals. */
  readyAt(t: number): number {
    return readyAt(this.all, t)
  }

  /** Seconds from `fromS` until the ready count is at least `baseline` again; undefined if never (before endS). */
  recoveryTime(fromS: number, baseline: number, endS: number): number | undefined {
    return recoveryTime(this.all, fromS, baseline, endS)
  }

  // ------------------------------------------------------------------ metrics

  private scrape(now: number): void {
    this.scrapedAt = now
    this.nodes.tick(now)
    this.metrics.scrape(this.model, this.p, this.reps, now)
    if (this.onScrape) this.onScrape(now)
  }

  /** The pool-level series as the controller sees them at `now`. */
  poolValues(now: number): Record<string, number | undefined> {
    return this.metrics.poolValues(now)
  }

  /** What an HPA sees of the pool at `now`. */
  observation(now: number): HpaObservation {
    return this.metrics.observation(this.model, this.reps, this.desired, now)
  }

  // ------------------------------------------------------------------ time series and report

  /** Its time-series columns: desired, ready, starting, draining replicas and nodes. */
  seriesColumns(): string[] {
    return podSeriesColumns(this.name)
  }

  writeSeries(row: number[]): void {
    writePodSeries(this.model, this.reps, this.desired, this.nodes.liveNodes, row)
  }

  report(endS: number): PoolAutoscalingReport {
    return poolAutoscalingReport(this, endS)
  }
}
