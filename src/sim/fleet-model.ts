import type {Rng} from '../engine/random.js'
import {type EventHandler, Simulation} from '../engine/simulation.js'
import {InputError} from '../errors.js'
import type {Task} from '../workload/types.js'
import {Admission} from './admission.js'
import {BatchState} from './batch-state.js'
import {CallFlow} from './call-flow.js'
import {CallTable, TaskTable} from './calls.js'
import {CentralQueue} from './central-queue.js'
import {FleetCounters} from './counters.js'
import {EV_CALL_ISSUE, EV_CONTROL, EV_READY, EV_SAMPLE, EV_SERVICE_DONE, EV_STEP} from './events.js'
import {kvCapacityTokens, KvManager} from './kv-manager.js'
import {LlmBatcher} from './llm-batcher.js'
import {LatencyRecorder} from './metrics.js'
import {PoolBooks, type PoolTotals} from './pool-books.js'
import {PagedPreemption} from './preemption.js'
import {PrefixCache} from './prefix-cache.js'
import {ReplicaLifecycle} from './replica-lifecycle.js'
import {ReplicaTable} from './replica-table.js'
import {Router} from './router.js'
import {SeriesSampler} from './time-series.js'
import {type FleetModelConfig, type PoolConfig, ReplicaState} from './types.js'

export {DROP_DEADLINE, DROP_LOST, DROP_OVERLOAD, DROP_QUEUE_FULL, DROP_TOO_LARGE, DROP_UNSERVED} from './events.js'
export type {PoolTotals} from './pool-books.js'

/**
 * The fleet model: pools of replicas behind one router and one central priority queue, run on the
 * engine's event queue. This class builds the parts, dispatches the engine's events to them, and is
 * what drivers, controllers and reports read and call:
 *
 * - call-flow.ts: a task's calls, from arrival through dispatch to completion;
 * - central-queue.ts: the fleet's priority queue (bounds, deadlines, drops, retries);
 * - router.ts, routing-policies.ts, load-index.ts, admission.ts: which replica takes a call;
 * - llm-batcher.ts, batch-state.ts, preemption.ts, kv-manager.ts: continuous batching and KV per
 *   LLM replica (a generic replica serves `slots` calls at once, each for its serviceTimeS);
 * - replica-lifecycle.ts: cold start, drain, failure, partition;
 * - observers: pool-books.ts (cost, busy time, tokens), time-series.ts, metrics.ts (histograms),
 *   counters.ts (fleet-wide counts).
 *
 * The per-replica, per-call and per-task state lives in typed arrays (replica-table.ts, calls.ts)
 * that the parts share, so the hot path allocates nothing per event.
 */
export class FleetModel implements EventHandler {
  readonly sim = new Simulation(4096)
  readonly latency: LatencyRecorder
  readonly pools: readonly PoolConfig[]
  readonly durationS: number
  readonly sampleIntervalS: number
  readonly seriesColumns: string[]
  readonly series: number[]

  private readonly isLlm: boolean
  private readonly counters = new FleetCounters()
  private readonly replicas: ReplicaTable
  private readonly calls: CallTable
  private readonly tasks: TaskTable
  private readonly kv: KvManager
  private readonly batch: BatchState
  private readonly books: PoolBooks
  private readonly router: Router
  private readonly queue: CentralQueue
  private readonly flow: CallFlow
  private readonly batcher: LlmBatcher
  private readonly lifecycle: ReplicaLifecycle
  private readonly sampler: SeriesSampler
  private readonly controllers: ((now: number, payload: number) => void)[] = []

  constructor(config: FleetModelConfig, routingRng: Rng) {
    const pools = (this.pools = config.pools)
    this.latency = new LatencyRecorder(config.sloThresholdsS)
    if (pools.length === 0) throw new InputError({field: 'fleet.pools'}, 'a fleet needs at least one pool')
    if (new Set(pools.map((p) => p.kind)).size > 1) {
      throw new InputError({field: 'fleet.pools'}, 'a fleet mixes LLM and generic pools; use one kind per scenario')
    }
    const isLlm = (this.isLlm = pools[0].kind === 'llm')
    this.durationS = config.durationS
    this.sampleIntervalS = config.sampleIntervalS
    const poolCaches = new Uint8Array(pools.map((pool) => (pool.kind === 'llm' && pool.prefixCache === true ? 1 : 0)))
    if (config.routing.policy === 'prefix-affinity' && !poolCaches.includes(1)) {
      throw new InputError({field: 'routing.policy'}, 'prefix-affinity routes by cached context: give at least one LLM pool prefixCache: true')
    }
    let total = 0
    let seqTotal = 0
    let maxCap = 1
    let maxKvCap = 0
    for (const p of pools) {
      total += p.replicas
      if (p.kind === 'llm') seqTotal += p.replicas * p.serving.maxBatchSeqs
      maxCap = Math.max(maxCap, p.kind === 'llm' ? p.serving.maxBatchSeqs : p.slots)
      // A pool that starts empty (scale to zero) still bounds what fits: a call too large for it is refused.
      if (p.kind === 'llm') maxKvCap = Math.max(maxKvCap, kvCapacityTokens(p))
    }
    const cap = Math.max(1, total)
    const sim = this.sim
    const replicas = (this.replicas = new ReplicaTable(cap, poolCaches))
    replicas.maxKvCap = maxKvCap
    const cache = poolCaches.includes(1) ? new PrefixCache(1024, cap) : undefined
    const calls = (this.calls = new CallTable(1024))
    const tasks = (this.tasks = new TaskTable(1024, cache))
    const kv = (this.kv = new KvManager(cap, pools.length))
    const batch = (this.batch = new BatchState(cap, seqTotal))
    const books = (this.books = new PoolBooks(pools.length, sim, replicas, calls, kv, isLlm))
    const counters = this.counters
    const admission = new Admission(replicas, calls, kv, batch, isLlm)
    const router = (this.router = new Router(config.routing, {sim, pools, isLlm, replicas, calls, tasks, admission, cache, rng: routingRng}, cap, maxCap))
    const queue = (this.queue = new CentralQueue(config.queue, sim, calls, tasks, counters))
    const flow = (this.flow = new CallFlow(sim, isLlm, replicas, calls, tasks, counters, books, this.latency, cache, config.onCallComplete))
    const paged = new PagedPreemption(sim, replicas, calls, batch, kv, books)
    const batcher = (this.batcher = new LlmBatcher(sim, pools, replicas, calls, batch, kv, paged, books, counters, cache))
    const lifecycle = (this.lifecycle = new ReplicaLifecycle(sim, pools, isLlm, replicas, calls, batch, kv, router, books, counters, cache, config.onReplicaGone))
    router.link(lifecycle)
    queue.link(router, flow)
    flow.link(queue, router, batcher)
    batcher.link(flow, queue, router)
    lifecycle.link(queue, batcher)

    let seqOff = 0
    for (let p = 0; p < pools.length; p++) {
      const pool = pools[p]
      for (let i = 0; i < pool.replicas; i++) {
        const r = replicas.n++
        lifecycle.initReplica(r, p, seqOff, ReplicaState.READY)
        router.replicaReady(r)
        if (pool.kind === 'llm') seqOff += pool.serving.maxBatchSeqs
      }
    }
    batch.seqTop = seqOff
    this.sampler = new SeriesSampler(config, this, sim, pools, isLlm, replicas, tasks, queue, batcher, kv, books, counters)
    this.seriesColumns = this.sampler.columns
    this.series = this.sampler.rows
  }

  // ------------------------------------------------------------------ the driver (run.ts)

  /** A task arrives now (the driver sets sim.now to its arrival time first). */
  arrive(task: Task): void {
    this.flow.arrive(task)
  }

  handle(kind: number, target: number, payload: number): void {
    switch (kind) {
      case EV_STEP:
        if (payload === this.batch.gen[target]) this.batcher.stepBoundary(target)
        break
      case EV_SERVICE_DONE:
        this.flow.serviceDone(target, payload)
        break
      case EV_CALL_ISSUE:
        this.flow.issueNext(target)
        break
      case EV_SAMPLE:
        this.sampler.sample()
        break
      case EV_CONTROL:
        this.controllers[target](this.sim.now, payload)
        return
      case EV_READY:
        this.lifecycle.markReady(target)
        break
      default:
        throw new Error(`unknown event kind ${kind}`)
    }
    if (kind !== EV_SAMPLE) this.counters.lastWorkS = this.sim.now
  }

  /** Called by the driver when the workload has no more tasks. */
  endOfArrivals(): void {
    this.counters.moreArrivals = false
  }

  /** True while anything is waiting, running or scheduled to issue. */
  get busy(): boolean {
    return this.tasks.live > 0
  }

  /** Close the books at the end of the run: time-weighted accumulators up to `end`. */
  finish(end: number): void {
    // The run ends at `end` (its last work, or the arrival window's end): an idle sample or controller
    // wake-up after it must not stretch the replicas' billed time.
    this.sim.now = end
    this.queue.noteDepth()
    this.queue.dropUnserved()
    if (this.sampleIntervalS > 0) this.sampler.write(this.sim.now)
    this.books.close()
  }

  // ------------------------------------------------------------------ controllers and failures
  // What autoscalers and failure injection (autoscaling.ts, failures.ts) read and do.

  /** Register a controller; wake it with wake(). Its events are not work (they do not extend the run). */
  registerController(onWake: (now: number, payload: number) => void): number {
    this.controllers.push(onWake)
    return this.controllers.length - 1
  }

  /** Schedule controller `id` to wake at `time` (≥ now) with an integer payload. */
  wake(time: number, id: number, payload = 0): void {
    this.sim.schedule(time, EV_CONTROL, id, payload)
  }

  /**
   * Whether a controller should still wake at `time`: while tasks may arrive, the arrival window is
   * not over, or tasks are in the system, unless nothing has happened for a day after the arrivals
   * (tasks stuck in a queue no replica will ever serve must not keep a periodic controller alive).
   */
  isOpenAt(time: number): boolean {
    const c = this.counters
    if (c.moreArrivals || (Number.isFinite(this.durationS) && time <= this.durationS)) return true
    return this.tasks.live > 0 && (c.inFlightCalls > 0 || time <= c.lastWorkS + 86_400)
  }

  /**
   * Add a replica to pool `p` now; it takes work after `readyAfterS` seconds (node provisioning,
   * image pull and model load, as the caller models them). Returns the replica index.
   */
  addReplica(p: number, readyAfterS: number): number {
    return this.lifecycle.addReplica(p, readyAfterS)
  }

  /** Stop sending work to replica r; it finishes what it holds, then is gone (billing stops). */
  drainReplica(r: number): void {
    this.lifecycle.drainReplica(r)
  }

  /** Replica r fails now; its calls are retried (while `retry` and retries are left) or lost. See ReplicaLifecycle. */
  loseReplica(r: number, retry: boolean, maxRetries: number): {retried: number; lost: number} {
    return this.lifecycle.loseReplica(r, retry, maxRetries)
  }

  /** loseReplica with a lost-work policy; returns how many calls the replica held. */
  failReplica(r: number, onLostWork: 'retry' | 'fail' = 'retry', maxRetries = 2): number {
    const {retried, lost} = this.lifecycle.loseReplica(r, onLostWork === 'retry', maxRetries)
    return retried + lost
  }

  /** Take back every call running on replica r (its pool was cut off); the replica stays, idle. */
  abortReplicaCalls(r: number, retry: boolean, maxRetries: number): {retried: number; lost: number} {
    return this.lifecycle.abortReplicaCalls(r, retry, maxRetries)
  }

  /** Cut pool p off from the router (a partition) or reconnect it. */
  setPoolBlocked(p: number, blocked: boolean): void {
    this.lifecycle.setPoolBlocked(p, blocked)
  }

  /** Degrade replica r: its steps (or services) take 1 / throughputFactor as long, from its next step. */
  setReplicaThroughput(r: number, throughputFactor: number): void {
    this.replicas.slow[r] = 1 / throughputFactor
  }

  replicaState(r: number): ReplicaState {
    return this.replicas.state[r] as ReplicaState
  }

  replicaPool(r: number): number {
    return this.replicas.pool[r]
  }

  /** Calls running on replica r. */
  replicaOutstanding(r: number): number {
    return this.replicas.out[r]
  }

  /** Seconds replica r has spent busy (stepping, or slot-fraction busy) up to now. */
  replicaBusyS(r: number): number {
    return this.books.replicaBusyS(r)
  }

  /** Fraction of replica r's KV cache reserved now (0 for generic replicas). */
  replicaKvFraction(r: number): number {
    return this.isLlm ? this.kv.used[r] / this.kv.cap[r] : 0
  }

  /** Calls waiting in the central queue in priority class `cls` (PRIORITY_RANK). */
  queueDepthOf(cls: number): number {
    return this.queue.sizeOf(cls)
  }

  /** Replicas ever created (indices 0…replicaCount−1, gone ones included). */
  get replicaCount(): number {
    return this.replicas.n
  }

  replicasOf(p: number): number {
    const R = this.replicas
    let n = 0
    for (let r = 0; r < R.n; r++) if (R.pool[r] === p && R.state[r] !== ReplicaState.GONE) n++
    return n
  }

  kvCapacityOf(p: number): number {
    let s = 0
    for (let r = 0; r < this.replicas.n; r++) if (this.replicas.pool[r] === p) s += this.kv.cap[r]
    return s
  }

  // ------------------------------------------------------------------ what the report reads

  get tasksArrived(): number {
    return this.counters.tasksArrived
  }
  get tasksCompleted(): number {
    return this.counters.tasksCompleted
  }
  get tasksFailed(): number {
    return this.counters.tasksFailed
  }
  get callsCompleted(): number {
    return this.counters.callsCompleted
  }
  get inputTokens(): number {
    return this.counters.inputTokens
  }
  get outputTokens(): number {
    return this.counters.outputTokens
  }
  /** Dropped calls, [reason * CLASSES + class] (DROP_* reasons, PRIORITY_RANK classes). */
  get drops(): Float64Array {
    return this.counters.drops
  }
  get tasksByClass(): Float64Array {
    return this.counters.tasksByClass
  }
  get failedByClass(): Float64Array {
    return this.counters.failedByClass
  }
  /** Calls sent again after the replica holding them was lost or cut off. */
  get callsRetried(): number {
    return this.counters.callsRetried
  }
  /** Calls lost with their replica and not retried (counted in drops as DROP_LOST). */
  get callsLost(): number {
    return this.counters.callsLost
  }
  /** Time of the last arrival, step, completion or issue (samples excluded): the run's real end. */
  get lastWorkS(): number {
    return this.counters.lastWorkS
  }
  get lastArrivalS(): number {
    return this.counters.lastArrivalS
  }
  get peakQueueDepth(): number {
    return this.queue.peakDepth
  }
  /** When the queue first reached LIMITS.queuedCalls (−1: never; the fleet kept up). */
  get overloadedAtS(): number {
    return this.queue.overloadedAtS
  }
  get meanQueueDepth(): number {
    return this.queue.meanDepth()
  }
  /** Calls waiting in the central queue now. */
  get queueDepth(): number {
    return this.queue.size
  }
  /** Calls dispatched to replicas and not yet finished. */
  get inFlight(): number {
    return this.counters.inFlightCalls
  }
  /** Per-pool totals so far (replicaS is filled in by finish()). */
  get poolTotals(): PoolTotals[] {
    return this.books.totals()
  }
  /** Events handled: every arrival plus every event scheduled on the engine's heap. */
  get events(): number {
    return this.counters.tasksArrived + this.sim.queue.scheduledCount
  }
}
