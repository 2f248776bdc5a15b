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
 * Everything runs on engine events (model.wake), never per token, and is deterministic.
 */
import type * as hdr from 'hdr-histogram-js'

import type {HpaDecision, HpaObservation, PodView} from '../autoscale/hpa.js'
import type {ModelledMetric} from '../autoscale/metric-names.js'
import {MetricsPipeline} from '../autoscale/metrics-lag.js'
import {GpuNodePool, pickScaleDownVictims, type ReplicaTimeline, type ScaleDownCandidate} from '../autoscale/provisioning.js'
import {directionChanges, type ScalingEvent, scalingEventFromHpa, scalingEventFromThresholds} from '../autoscale/scaling-stats.js'
import type {ThresholdSignal} from '../autoscale/thresholds.js'
import {PRIORITIES, PRIORITY_RANK, type Priority} from '../workload/types.js'
import type {PoolAutoscalingConfig} from './autoscale-config.js'
import type {FleetModel} from './fleet-model.js'
import {M_E2E, M_TTFT} from './metrics.js'
import {ReplicaState} from './types.js'

// Wake-up payloads of a pool's controller.
const W_SCRAPE = 0
const W_SYNC = 1
const W_GONE = 2
const W_RECONCILE = 3
const W_GRACE = 4

const WAITING = 0 // no GPU yet (quota): an unschedulable Pending pod
const PLACED = 1 // on a node: pulling, loading or ready
const DRAINING = 2
const GONE = 3

/** One pod of the pool as the cluster sees it. */
export interface Rep {
  /** GpuNodePool replica id (changes when a waiting pod is re-requested). */
  id: number
  /** FleetModel replica index; -1 while waiting for a GPU. */
  r: number
  name: string
  requestedS: number
  nodeReadyS: number
  imageReadyS: number
  readyS: number
  state: number
  /** When it stopped taking work (drain start, loss); +Infinity while it may. */
  readyUntilS: number
  restarts: number
  lastBusyS: number
  lastScrapeS: number
  keys: string[]
}

const POD_METRICS: readonly ModelledMetric[] = ['cpu', 'memory', 'gpu_utilization', 'kv_cache_usage', 'inflight_requests', 'waiting_requests', 'queue_depth']
const POD_CODE: Record<ModelledMetric, number> = {cpu: 0, gpu_utilization: 0, memory: 1, kv_cache_usage: 2, inflight_requests: 3, waiting_requests: 4, queue_depth: 4}

export interface PoolAutoscalingReport {
  name: string
  autoscaler: 'hpa' | 'hpa+schedule' | 'keda' | 'thresholds' | 'thresholds+schedule' | 'none'
  syncPeriodS: number | null
  metrics: {scrapeIntervalS: number; reportDelayS: number; averagingWindowS: number}
  capacity: {gpusPerNode: number; gpuQuota: number | null; nodeProvisioningS: number; imagePullS: number; modelLoadS: number}
  replicas: {initial: number; final: number; minDesired: number; maxDesired: number; peakReady: number}
  scaleUps: number
  scaleDowns: number
  /** Times the desired count turned around (up then down, or down then up). */
  flapping: number
  nodes: {provisioned: number; peak: number}
  /** Billed from node provisioning until the node is removed (every GPU of the node). */
  gpuHours: number
  costUsd: number
  /** GPU-hours of replicas while ready: the difference is cold starts, drains and idle nodes. */
  readyGpuHours: number
  /** Calls still running on a drained replica when its termination grace period ended (retried or failed). */
  callsKilledOnScaleDown: number
  /** [timeS, desired, ready] at every change. */
  trajectory: [number, number, number][]
}

export class PoolRuntime {
  readonly name: string
  readonly p: number
  readonly nodes: GpuNodePool
  readonly pipeline: MetricsPipeline
  readonly reps: Rep[] = []
  private readonly byR = new Map<number, Rep>()
  private readonly all: Rep[] = []
  desired: number
  private readonly initial: number
  readonly events: ScalingEvent[] = []
  private readonly desiredChanges: [number, number][] = []
  private ctl = -1
  private model!: FleetModel
  private readonly podMetrics: ModelledMetric[]
  /** podMetrics as small integers for the scrape loop: 0 busy %, 1 KV %, 2 KV fraction, 3 in flight, 4 queue share. */
  private readonly podCodes: Uint8Array
  private readonly poolKeys: string[]
  private readonly gonePending: [number, number][] = []
  /** Drained replicas to kill at the end of their grace period: [time, model replica]. */
  private readonly graceEnds: [number, number][] = []
  private peakNodes = 0
  private provisionedNodes = 0
  // Threshold signals over the last scrape interval.
  private window: hdr.Histogram | undefined
  private lastArrived = 0
  private lastFailed = 0
  private nextName = 0
  private nextScrapeS = 0
  /** Calls still running on drained replicas when their grace period ended. */
  private killedCalls = 0
  private scrapedAt = Number.NaN
  /** Failure injection listens to scrapes (to close its observation windows). */
  onScrape?: (now: number) => void

  constructor(
    readonly cfg: PoolAutoscalingConfig,
    private readonly gpusPerReplica: number,
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
    this.pipeline = new MetricsPipeline(cfg.metrics)
    const {pod, pool} = neededMetrics(cfg)
    this.podMetrics = pod
    this.podCodes = Uint8Array.from(pod, (m) => POD_CODE[m])
    this.poolKeys = pool
  }

  get controller(): PoolAutoscalingConfig['controller'] {
    return this.cfg.controller
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
    const rep: Rep = {
      id,
      r: -1,
      name: `${this.name}-${this.nextName++}`,
      requestedS: nowS,
      nodeReadyS: Number.POSITIVE_INFINITY,
      imageReadyS: Number.POSITIVE_INFINITY,
      readyS: Number.POSITIVE_INFINITY,
      state: WAITING,
      readyUntilS: Number.POSITIVE_INFINITY,
      restarts: 0,
      lastBusyS: 0,
      lastScrapeS: 0,
      keys: this.podMetrics.map((m) => `${this.nextName - 1}/${m}`),
    }
    this.reps.push(rep)
    this.all.push(rep)
    return rep
  }

  // ------------------------------------------------------------------ events

  private wake(now: number, payload: number): void {
    switch (payload) {
      case W_SCRAPE:
        if (this.scrapedAt !== now) this.scrape(now)
        this.nextScrapeS = now + this.pipeline.options.scrapeIntervalS
        if (this.model.isOpenAt(this.nextScrapeS)) this.model.wake(this.nextScrapeS, this.ctl, W_SCRAPE)
        break
      case W_SYNC: {
        // A scrape due at this instant comes first: the controller reads samples taken up to now.
        if (this.nextScrapeS === now && this.scrapedAt !== now) this.scrape(now)
        const next = this.sync(now)
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
    for (const k of rep.keys) this.pipeline.drop(k)
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
    for (const k of rep.keys) this.pipeline.drop(k)
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
    let n = 0
    for (const rep of this.all) if (rep.r >= 0 && rep.readyS <= t && t < rep.readyUntilS) n++
    return n
  }

  /** Seconds from `fromS` until the ready count is at least `baseline` again; undefined if never (before endS). */
  recoveryTime(fromS: number, baseline: number, endS: number): number | undefined {
    const times = new Set<number>()
    for (const rep of this.all) {
      if (rep.r < 0) continue
      if (rep.readyS >= fromS && rep.readyS <= endS) times.add(rep.readyS)
      if (rep.readyUntilS >= fromS && rep.readyUntilS <= endS) times.add(rep.readyUntilS)
    }
    times.add(fromS)
    let dipped = false
    for (const t of [...times].sort((a, b) => a - b)) {
      const n = this.readyAt(t)
      if (n < baseline) dipped = true
      else if (dipped) return t - fromS
    }
    return dipped ? undefined : 0
  }

  // ------------------------------------------------------------------ metrics

  private scrape(now: number): void {
    const model = this.model
    this.scrapedAt = now
    this.nodes.tick(now)
    const ready: Rep[] = []
    for (const rep of this.reps) if (rep.state === PLACED && model.replicaState(rep.r) === ReplicaState.READY) ready.push(rep)
    const q = model.queueDepth
    const n = ready.length
    let cpuSum = 0
    let kvSum = 0
    let inflight = 0
    for (let i = 0; i < n; i++) {
      const rep = ready[i]
      const busy = model.replicaBusyS(rep.r)
      const since = Math.max(rep.readyS, rep.lastScrapeS)
      const dt = now - since
      const cpu = dt > 0 ? (100 * (busy - rep.lastBusyS)) / dt : Number.NaN
      rep.lastBusyS = busy
      rep.lastScrapeS = now
      const kv = model.replicaKvFraction(rep.r)
      const out = model.replicaOutstanding(rep.r)
      if (!Number.isNaN(cpu)) cpuSum += cpu
      kvSum += kv
      inflight += out
      const share = Math.floor(q / n) + (i < q % n ? 1 : 0)
      const codes = this.podCodes
      for (let k = 0; k < codes.length; k++) {
        const code = codes[k]
        const v = code === 0 ? cpu : code === 1 ? 100 * kv : code === 2 ? kv : code === 3 ? out : share
        // A replica ready at this very instant has no CPU sample yet: a missing pod to the HPA.
        if (!Number.isNaN(v)) this.pipeline.record(rep.keys[k], now, v)
      }
    }
    for (const key of this.poolKeys) {
      let v: number
      switch (key) {
        case 'queue_depth':
        case 'waiting_requests':
        case 'queue_pending':
          v = q
          break
        case 'inflight_requests':
          v = inflight
          break
        case 'cpu':
        case 'gpu_utilization':
          v = n > 0 ? cpuSum / n : 0
          break
        case 'memory':
          v = n > 0 ? (100 * kvSum) / n : 0
          break
        case 'kv_cache_usage':
          v = n > 0 ? kvSum / n : 0
          break
        case 'p95_latency_ms': {
          // p95 of the calls finished since the last scrape (fleet-wide). "Response time" is the time
          // to first token of an LLM call, a generic job's e2e.
          this.window ??= model.latency.tap(model.pools[this.p].kind === 'llm' ? M_TTFT : M_E2E)
          v = this.window.totalCount > 0 ? this.window.getValueAtPercentile(95) / 1000 : Number.NaN
          this.window.reset()
          break
        }
        case 'error_rate_percent': {
          const arrived = model.tasksArrived - this.lastArrived
          const failed = model.tasksFailed - this.lastFailed
          this.lastArrived = model.tasksArrived
          this.lastFailed = model.tasksFailed
          v = arrived > 0 ? (100 * failed) / arrived : 0
          break
        }
        default: {
          const m = /^queue_depth\{priority=(\w+)\}$/.exec(key)
          v = m !== null && (PRIORITIES as readonly string[]).includes(m[1]) ? model.queueDepthOf(PRIORITY_RANK[m[1] as Priority]) : q
        }
      }
      if (!Number.isNaN(v)) this.pipeline.record(`@${key}`, now, v)
    }
    if (this.onScrape) this.onScrape(now)
  }

  private poolValues(now: number): Record<string, number | undefined> {
    const out: Record<string, number | undefined> = {}
    for (const key of this.poolKeys) out[key] = this.pipeline.read(`@${key}`, now)?.value
    return out
  }

  private observation(now: number): HpaObservation {
    const pods: PodView[] = []
    const model = this.model
    for (const rep of this.reps) {
      if (rep.state === WAITING) {
        pods.push({name: rep.name, phase: 'Pending', ready: false, metrics: {}})
        continue
      }
      const ready = rep.state !== WAITING && model.replicaState(rep.r) === ReplicaState.READY
      const started = now >= rep.nodeReadyS
      const metrics: PodView['metrics'] = {}
      let ts: number | undefined
      for (let k = 0; k < this.podMetrics.length; k++) {
        const s = this.pipeline.read(rep.keys[k], now)
        if (s === undefined) continue
        metrics[this.podMetrics[k]] = s.value
        ts = s.timestampS
      }
      pods.push({
        name: rep.name,
        phase: now < rep.imageReadyS ? 'Pending' : 'Running',
        deleting: rep.state === DRAINING,
        ready,
        startTimeS: started ? rep.nodeReadyS : undefined,
        readyTransitionS: ready ? rep.readyS : started ? rep.nodeReadyS : undefined,
        metrics,
        metricTimestampS: ts,
      })
    }
    const values = this.poolValues(now)
    let existing = 0
    for (const p of pods) if (p.deleting !== true) existing++
    return {currentReplicas: this.desired, statusReplicas: existing, pods, objectMetrics: values, externalMetrics: values}
  }

  /** One controller sync; returns when the next is due. */
  private sync(now: number): number {
    const c = this.cfg.controller
    const from = this.desired
    switch (c.kind) {
      case 'hpa': {
        const d = c.hpa.reconcile(now, this.observation(now))
        this.noteHpa(d, 'hpa')
        this.setDesired(d.desiredReplicas, now)
        return now + c.hpa.syncPeriodS
      }
      case 'scheduled-hpa': {
        const d = c.hpa.reconcile(now, this.observation(now))
        const bySchedule = d.limitedBy.includes('minReplicas') && d.effectiveMinReplicas > c.hpa.hpa.spec.minReplicas && d.desiredReplicas > from
        this.noteHpa(d, bySchedule ? 'schedule' : 'hpa', bySchedule ? `schedule raised minReplicas to ${d.effectiveMinReplicas}` : undefined)
        this.setDesired(d.desiredReplicas, now)
        return now + c.hpa.hpa.syncPeriodS
      }
      case 'keda': {
        const step = c.keda.reconcile(now, this.observation(now))
        const poll = step.poll
        if (poll !== undefined && poll.desiredReplicas !== from) {
          const triggers = c.keda.spec.triggers
          this.events.push({
            timeS: now,
            pool: this.name,
            autoscaler: 'keda',
            from,
            to: poll.desiredReplicas,
            metric: triggers.map((t) => t.metricName).join(','),
            limitedBy: [],
            reason: `${poll.reason}: ${poll.action} (${triggers.map((t, i) => `${t.metricName}=${poll.values[i]}, activation ${t.activation}`).join('; ')})`,
          })
        }
        if (step.hpa !== undefined) this.noteHpa(step.hpa, 'keda')
        this.setDesired(step.desiredReplicas, now)
        return Math.max(now + 1e-9, c.keda.nextWakeS())
      }
      case 'thresholds': {
        // Signals as a dashboard shows them (4 significant digits), so reasons read "cpu 86.25 > 70".
        const values: Partial<Record<ThresholdSignal, number>> = {}
        for (const [k, v] of Object.entries(this.poolValues(now))) if (v !== undefined) values[k as ThresholdSignal] = Number(v.toPrecision(4))
        const d = c.thresholds.evaluate(now, from, values)
        const ev = scalingEventFromThresholds(this.name, d)
        let to = d.desiredReplicas
        const floor = c.schedule?.minReplicasAt(now)
        if (floor !== undefined && to < Math.min(floor, c.thresholds.spec.maxReplicas)) {
          to = Math.min(floor, c.thresholds.spec.maxReplicas)
          this.events.push({timeS: now, pool: this.name, autoscaler: 'schedule', from, to, limitedBy: ['minReplicas'], reason: `schedule raised minReplicas to ${to}`})
        } else if (ev !== undefined) this.events.push(ev)
        this.setDesired(to, now)
        return now + c.thresholds.evaluationIntervalS
      }
      default:
        return Number.POSITIVE_INFINITY
    }
  }

  private noteHpa(d: HpaDecision, who: ScalingEvent['autoscaler'], reason?: string): void {
    const ev = scalingEventFromHpa(this.name, d, who)
    if (ev === undefined) return
    if (reason !== undefined) ev.reason = reason
    this.events.push(ev)
  }

  // ------------------------------------------------------------------ time series and report

  static readonly SERIES = ['desired', 'ready', 'starting', 'draining', 'nodes'] as const

  seriesColumns(): string[] {
    return PoolRuntime.SERIES.map((s) => (s === 'nodes' ? `nodes_${this.name}` : `replicas_${s}_${this.name}`))
  }

  writeSeries(row: number[]): void {
    let ready = 0
    let starting = 0
    let draining = 0
    for (const rep of this.reps) {
      if (rep.state === DRAINING) draining++
      else if (rep.state === WAITING) starting++
      else if (this.model.replicaState(rep.r) === ReplicaState.READY) ready++
      else starting++
    }
    row.push(this.desired, ready, starting, draining, this.nodes.liveNodes)
  }

  report(endS: number): PoolAutoscalingReport {
    const c = this.cfg.controller
    const kind: PoolAutoscalingReport['autoscaler'] =
      c.kind === 'scheduled-hpa' ? 'hpa+schedule' : c.kind === 'thresholds' && c.schedule !== undefined ? 'thresholds+schedule' : c.kind
    const sync = c.kind === 'hpa' ? c.hpa.syncPeriodS : c.kind === 'scheduled-hpa' ? c.hpa.hpa.syncPeriodS : c.kind === 'keda' ? c.keda.hpa.syncPeriodS : c.kind === 'thresholds' ? c.thresholds.evaluationIntervalS : null
    const desired = this.desiredChanges.map(([, n]) => n)
    let up = 0
    let down = 0
    for (const e of this.events) {
      if (e.to > e.from) up++
      else if (e.to < e.from) down++
    }
    // Ready GPU-hours and the trajectory from the pods' ready intervals.
    let readyS = 0
    const changes = new Set<number>([0])
    for (const rep of this.all) {
      if (rep.r < 0 || !(rep.readyS < Number.POSITIVE_INFINITY)) continue
      const until = Math.min(rep.readyUntilS, endS)
      if (until > rep.readyS) readyS += until - rep.readyS
      if (rep.readyS <= endS) changes.add(rep.readyS)
      if (rep.readyUntilS <= endS) changes.add(rep.readyUntilS)
    }
    for (const [t] of this.desiredChanges) changes.add(t)
    const trajectory: [number, number, number][] = []
    let di = 0
    let cur = this.initial
    let peakReady = 0
    for (const t of [...changes].sort((a, b) => a - b)) {
      while (di < this.desiredChanges.length && this.desiredChanges[di][0] <= t) cur = this.desiredChanges[di++][1]
      const ready = this.readyAt(t)
      if (ready > peakReady) peakReady = ready
      const last = trajectory.at(-1)
      if (last !== undefined && last[1] === cur && last[2] === ready) continue
      if (last !== undefined && last[0] === t) trajectory.pop()
      trajectory.push([t, cur, ready])
    }
    const o = this.nodes.options
    return {
      name: this.name,
      autoscaler: kind,
      syncPeriodS: sync,
      metrics: {scrapeIntervalS: this.pipeline.options.scrapeIntervalS, reportDelayS: this.pipeline.options.reportDelayS, averagingWindowS: this.pipeline.options.averagingWindowS},
      capacity: {gpusPerNode: o.gpusPerNode, gpuQuota: o.quotaGpus ?? null, nodeProvisioningS: o.nodeProvisionS, imagePullS: o.imagePullS, modelLoadS: o.modelLoadS},
      replicas: {initial: this.initial, final: this.desired, minDesired: Math.min(...desired), maxDesired: Math.max(...desired), peakReady},
      scaleUps: up,
      scaleDowns: down,
      flapping: directionChanges(desired),
      nodes: {provisioned: this.provisionedNodes, peak: this.peakNodes},
      gpuHours: this.nodes.billedGpuSeconds(endS) / 3600,
      costUsd: this.nodes.costUsd(endS),
      readyGpuHours: (readyS * this.gpusPerReplica) / 3600,
      callsKilledOnScaleDown: this.killedCalls,
      trajectory,
    }
  }
}

/** What a pool's controller reads: per-pod quantities and pool-level series keys. */
function neededMetrics(cfg: PoolAutoscalingConfig): {pod: ModelledMetric[]; pool: string[]} {
  const pod = new Set<ModelledMetric>()
  const pool = new Set<string>()
  const c = cfg.controller
  const hpa = c.kind === 'hpa' ? c.hpa.spec : c.kind === 'scheduled-hpa' ? c.hpa.hpa.spec : undefined
  if (hpa !== undefined) {
    for (const m of hpa.metrics) {
      if (m.sourceType === 'Object' || m.sourceType === 'External') {
        pool.add(m.reads)
        if (m.seriesKey !== undefined) pool.add(m.seriesKey)
      } else pod.add(m.reads)
    }
  }
  if (c.kind === 'keda') for (const t of c.keda.spec.triggers) pool.add(t.reads)
  if (c.kind === 'thresholds') for (const r of c.thresholds.spec.rules) pool.add(r.metric)
  return {pod: POD_METRICS.filter((m) => pod.has(m)), pool: [...pool].sort()}
}
