import type {Rng} from '../engine/random.js'
import {type EventHandler, Simulation} from '../engine/simulation.js'
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {PRIORITIES, PRIORITY_RANK, type Task} from '../workload/types.js'
import {heapArgMax, heapPop, heapPush, heapRemoveAt, ringAt} from './batch-queues.js'
import {kvCapacityTokens, KvManager} from './kv-manager.js'
import {PrefixCache} from './prefix-cache.js'
import {LatencyRecorder, R_E2E_CHAIN_CALL, R_E2E_SOLO, R_TASK_E2E_CHAIN, R_TPOT, R_TTFT, R_WAIT} from './metrics.js'
import {PriorityFifo} from './priority-fifo.js'
import {type FleetModelConfig, type LlmPoolConfig, type PoolConfig, ReplicaState, type RoutingPolicy} from './types.js'

// Event kinds (small integers, dispatched in handle()).
const EV_STEP = 1 // LLM replica reaches a step boundary; target = replica, payload = generation
const EV_SERVICE_DONE = 2 // generic slot finishes; target = replica, payload = call slot
const EV_CALL_ISSUE = 3 // an agent task issues its next call; target = task slot
const EV_SAMPLE = 4 // time-series sample
const EV_READY = 5 // a replica added at runtime finishes loading; target = replica
const EV_CONTROL = 6 // a controller (autoscaler, failure injector) wakes up; target = controller, payload = its own

// Phase of an LLM replica.
const PH_IDLE = 0
const PH_PREFILL = 1 // one step that prefills (and decodes the running sequences once)
const PH_DECODE = 2 // a run of decode-only steps jumping to the next completion
const PH_KICK = 3 // woken at `now` to start a step (batches work dispatched at the same instant)
const PH_BOUNDARY = 4 // inside its own step-boundary handler

// Call flags.
const F_RUNNING = 1
const F_DISPATCHED = 2

// Why a call did not complete.
export const DROP_DEADLINE = 0
export const DROP_QUEUE_FULL = 1
export const DROP_TOO_LARGE = 2
/** Still waiting when nothing else could happen (no replica able to take it will ever exist). */
export const DROP_UNSERVED = 3
/** In flight on a replica that failed (or a pool cut off), with no retry left. */
export const DROP_LOST = 4
/** Rejected because the fleet is overloaded: its queue reached LIMITS.queuedCalls waiting calls. */
export const DROP_OVERLOAD = 5
const DROP_REASONS = 6

const CLASSES = PRIORITIES.length
const POLICY_CODE: Record<RoutingPolicy, number> = {
  'round-robin': 0,
  'least-outstanding': 1,
  weighted: 2,
  'power-of-two': 3,
  score: 4,
  'prefix-affinity': 5,
}

/** Per-pool totals kept during a run. */
export interface PoolTotals {
  callsServed: number
  inputTokens: number
  outputTokens: number
  /** Replica-seconds spent stepping (LLM) or busy-slot fraction × seconds (generic). */
  busyReplicaS: number
  /** KV tokens held × seconds (LLM). */
  kvTokenS: number
  /** Replica-seconds the pool existed (ready or not). */
  replicaS: number
  /** Calls in flight × seconds, summed over the pool's replicas. */
  inFlightS: number
  /** Prompt tokens served from the prefix cache instead of prefilled (LLM pools with prefixCache). */
  prefixHitTokens: number
  /** Cached contexts evicted (to make room for new calls) before their task's next call came. */
  prefixEvictions: number
  /** Sequences preempted because the paged KV cache was full (recompute). */
  preemptions: number
  /** KV tokens thrown away by those preemptions (computed again on resume). */
  recomputedTokens: number
}

/**
 * The fleet model: pools of replicas behind one router and one central priority queue.
 *
 * Queueing: tasks wait in a fleet-level priority queue (strict priority, FIFO within a class), as in
 * the seeds' central task router; a call leaves the queue only when some replica can take it now, and
 * the routing policy chooses among the replicas that can. A replica therefore never holds a backlog of
 * its own, so priority and deadlines act on everything that waits.
 *
 * LLM replicas batch at iteration level (as vLLM does). A call is admitted when the batch has a free
 * sequence slot and the KV cache has room: with paged allocation (the default) for its prompt's
 * blocks, more blocks being taken as it decodes and the newest sequence preempted (recompute) when
 * the cache is full (kv-blocks.ts); with `reserve`, for its prompt plus all its output up front, so
 * nothing is ever preempted. Each step decodes one token for every running sequence and, with chunked prefill, spends
 * the rest of maxBatchTokens on waiting prompts in admission order. Steps with prefill are simulated one
 * by one; decode-only stretches are one event that jumps straight to the next completion using the
 * cost model's closed-form decodeRunTimeS. Work that arrives during such a run cuts it at the next step
 * boundary (found by binary search on decodeRunTimeS). TTFT is the end of the step that finishes the
 * prompt (that step emits the first token); TPOT = (e2e − TTFT) / (output − 1).
 *
 * Generic replicas serve `slots` calls at once, each for the task's serviceTimeS (M/M/c, M/D/1, …).
 */
export class FleetModel implements EventHandler {
  readonly sim = new Simulation(4096)
  readonly latency: LatencyRecorder

  // --- pools
  readonly pools: readonly PoolConfig[]
  // Per-pool totals as flat arrays (hot path), exposed as objects by poolTotals.
  private readonly pCalls: Float64Array
  private readonly pIn: Float64Array
  private readonly pOut: Float64Array
  private readonly pBusy: Float64Array
  private readonly pReplicaS: Float64Array
  private readonly pConc: Float64Array // calls in flight × seconds
  private readonly pHit: Float64Array // prompt tokens served from the prefix cache
  private readonly pEvict: Float64Array // cached contexts evicted
  private readonly pPreempt: Float64Array // sequences preempted (paged KV full)
  private readonly pRecomputed: Float64Array // KV tokens those preemptions threw away
  private readonly sPreempt: Float64Array // preemptions since the last sample
  private readonly pCacheOn: Uint8Array
  /** Agent-chain contexts kept on replicas (undefined when no pool caches prefixes). */
  private readonly cache: PrefixCache | undefined
  private readonly isLlm: boolean
  private readonly policy: number
  private readonly rng: Rng
  private readonly deadlineS: Float64Array
  private readonly maxDepth: number
  private readonly scoreW: [number, number, number]
  private readonly ewmaAlpha: number

  // --- replicas (index r across all pools)
  private nRep = 0
  private rPool: Int32Array
  private rState: Uint8Array
  private rCap: Int32Array // max concurrent calls (maxBatchSeqs or slots)
  private rOut: Int32Array // calls assigned (running or about to be admitted)
  private rWeight: Float64Array
  private rSwrr: Float64Array // smooth weighted round-robin current weights
  private rEwma: Float64Array
  private rLevel: Float64Array // busy level now (0..1)
  private rLevelSince: Float64Array
  private rBornAt: Float64Array
  private rGoneAt: Float64Array
  private rBusyS: Float64Array // busy seconds integrated up to rLevelSince (per-replica utilization)
  private rSlow: Float64Array // step / service time multiplier (1 healthy; 1 / throughputFactor degraded)
  // Sum of the dispatch times of the calls running on the replica: with rOut it gives their time in
  // flight so far (rOut·now − rDispSum) without integrating at every dispatch and completion.
  private rDispSum: Float64Array
  // LLM replica step state
  private rPhase: Uint8Array
  private rGen: Int32Array
  private rRunStart: Float64Array
  private rRunK: Float64Array
  private rRunBooked: Float64Array // steps of the current decode run whose tokens a sample has counted
  // Paged KV (kvAllocation: paged): block size, blocks taken at the current decode run's start,
  // and a deque of preempted sequences (at rSeqOff in preRing) waiting to be prefilled again.
  private rPreHead: Int32Array
  private rPreN: Int32Array
  private preRing: Int32Array
  /** Every replica's KV cache: capacity, tokens held, paged blocks. */
  private readonly kv: KvManager
  private admitCount = 0
  private rB: Int32Array // decoding sequences
  private rC: Float64Array // their total context tokens
  private rStepsDone: Float64Array // decode steps since the replica started
  private rMinDone: Float64Array // smallest doneAtStep among decoding sequences
  // Each LLM replica owns maxBatchSeqs entries at rSeqOff in two arrays: a FIFO ring of sequences
  // still prefilling (pfRing, admission order) and a min-heap of decoding sequences keyed by the
  // step at which they finish (decodeHeap, size rB). Finding completions and the next one costs
  // O(log B) instead of a scan of the batch.
  private rSeqOff: Int32Array
  private rPfHead: Int32Array
  private rPfN: Int32Array
  private pfRing: Int32Array
  private decodeHeap: Int32Array
  private seqTop = 0

  // --- calls in flight (slot-indexed, recycled)
  private cCap = 0
  private cFree: Int32Array
  private cFreeN = 0
  private cTask!: Int32Array
  private cPrio!: Uint8Array
  private cIssue!: Float64Array
  private cDispatch!: Float64Array
  private cFirst!: Float64Array
  private cPrompt!: Float64Array
  private cOutput!: Float64Array
  private cPrefillLeft!: Float64Array
  private cChunk!: Float64Array
  private cDoneAt!: Float64Array
  private cService!: Float64Array
  private cDeadline!: Float64Array
  private cShared!: Float64Array // prompt tokens shared with the task's previous call
  private cHit!: Float64Array // of those, found in the replica's prefix cache
  private cCtx!: Float64Array // tokens its prefill computes: the prompt, or prompt + generated when preempted
  private cGen!: Float64Array // output tokens generated so far (as of its last prefill's end)
  private cJoin!: Float64Array // replica step count when it joined the decoding batch
  private cAdmit!: Float64Array // admission order on its replica (the newest is preempted first)
  private cReplica!: Int32Array
  private cFlags!: Uint8Array // F_RUNNING | F_DISPATCHED

  // --- tasks in flight (slot-indexed, recycled)
  private tCap = 0
  private tFree: Int32Array
  private tFreeN = 0
  private tObj: (Task | undefined)[] = []
  private tNext!: Int32Array
  private tRetries!: Int32Array

  // Least-outstanding index: READY replicas in buckets by outstanding count (intrusive doubly-linked
  // lists), so the policy finds the least-loaded replica without scanning the fleet. A replica
  // enters a bucket at its tail, so ties go to the replica that has waited longest at that load.
  private bHead: Int32Array
  private bTail: Int32Array
  private bNext: Int32Array
  private bPrev: Int32Array
  private bMin = 0
  private readonly useBuckets: boolean

  private readonly queue = new PriorityFifo(CLASSES, 1024)
  private rrCursor = 0
  private maxKvCap = 0
  private typeIds = new Map<string, number>()
  private poolTypeMatch: Uint8Array[] = []
  private curTaskType = 0

  // --- counters
  tasksArrived = 0
  tasksCompleted = 0
  tasksFailed = 0
  callsCompleted = 0
  inputTokens = 0
  outputTokens = 0
  readonly drops = new Float64Array(DROP_REASONS * CLASSES) // [reason * CLASSES + class]
  readonly tasksByClass = new Float64Array(CLASSES)
  readonly failedByClass = new Float64Array(CLASSES)
  private inFlightCalls = 0
  private tasksInSystem = 0
  peakQueueDepth = 0
  /** When the queue first reached LIMITS.queuedCalls (−1: never; the fleet kept up). */
  overloadedAtS = -1
  private queueDepthArea = 0
  private queueDepthSince = 0
  /** Time of the last arrival, step, completion or issue (samples excluded): the run's real end. */
  lastWorkS = 0
  lastArrivalS = 0

  // --- time series (flat rows)
  readonly sampleIntervalS: number
  readonly seriesColumns: string[]
  readonly series: number[] = []
  private sArrivals = 0
  private sCompleted = 0
  private sDropped = 0
  private sOutTokens = 0
  private sPoolBusyPrev: Float64Array
  private sPrevT = 0
  private moreArrivals = true
  readonly durationS: number
  private readonly onSample?: (model: FleetModel, now: number) => void
  private readonly onReplicaGone?: (r: number, now: number) => void
  private readonly onCallComplete?: FleetModelConfig['onCallComplete']
  private readonly extraSeries?: FleetModelConfig['extraSeries']
  private readonly controllers: ((now: number, payload: number) => void)[] = []
  private pBlocked: Uint8Array
  /** Calls sent again after the replica holding them was lost or cut off. */
  callsRetried = 0
  /** Calls lost with their replica and not retried (counted in drops as DROP_LOST). */
  callsLost = 0

  constructor(config: FleetModelConfig, routingRng: Rng) {
    this.pools = config.pools
    this.latency = new LatencyRecorder(config.sloThresholdsS)
    if (this.pools.length === 0) throw new InputError({field: 'fleet.pools'}, 'a fleet needs at least one pool')
    const kinds = new Set(this.pools.map((p) => p.kind))
    if (kinds.size > 1) {
      throw new InputError({field: 'fleet.pools'}, 'a fleet mixes LLM and generic pools; use one kind per scenario')
    }
    this.isLlm = this.pools[0].kind === 'llm'
    this.policy = POLICY_CODE[config.routing.policy]
    this.rng = routingRng
    const w = config.routing.score ?? {typeMatch: 0.5, load: 0.3, performance: 0.2}
    this.scoreW = [w.typeMatch, w.load, w.performance]
    this.ewmaAlpha = config.routing.ewmaAlpha ?? 0.1
    this.deadlineS = new Float64Array(CLASSES).fill(Number.POSITIVE_INFINITY)
    for (const p of PRIORITIES) {
      const d = config.queue.deadlineS?.[p]
      if (d !== undefined) this.deadlineS[PRIORITY_RANK[p]] = d
    }
    this.maxDepth = config.queue.maxDepth ?? Number.POSITIVE_INFINITY
    this.durationS = config.durationS
    this.sampleIntervalS = config.sampleIntervalS
    this.onSample = config.onSample
    this.onReplicaGone = config.onReplicaGone
    this.onCallComplete = config.onCallComplete
    this.extraSeries = config.extraSeries
    this.pBlocked = new Uint8Array(this.pools.length)
    const np = this.pools.length
    this.pCalls = new Float64Array(np)
    this.pIn = new Float64Array(np)
    this.pOut = new Float64Array(np)
    this.pBusy = new Float64Array(np)
    this.pReplicaS = new Float64Array(np)
    this.pConc = new Float64Array(np)
    this.pHit = new Float64Array(np)
    this.pEvict = new Float64Array(np)
    this.pPreempt = new Float64Array(np)
    this.pRecomputed = new Float64Array(np)
    this.sPreempt = new Float64Array(np)
    this.pCacheOn = new Uint8Array(this.pools.map((pool) => (pool.kind === 'llm' && pool.prefixCache === true ? 1 : 0)))
    if (this.policy === 5 && !this.pCacheOn.includes(1)) {
      throw new InputError({field: 'routing.policy'}, 'prefix-affinity routes by cached context: give at least one LLM pool prefixCache: true')
    }

    let total = 0
    let seqTotal = 0
    let maxCap = 1
    for (const p of this.pools) {
      total += p.replicas
      if (p.kind === 'llm') seqTotal += p.replicas * p.serving.maxBatchSeqs
      maxCap = Math.max(maxCap, p.kind === 'llm' ? p.serving.maxBatchSeqs : p.slots)
      // A pool that starts empty (scale to zero) still bounds what fits: a call too large for it is refused.
      if (p.kind === 'llm') this.maxKvCap = Math.max(this.maxKvCap, kvCapacityTokens(p))
    }
    // Least-outstanding, and prefix-affinity's fallback, keep replicas in buckets by outstanding calls.
    this.useBuckets = this.policy === 1 || this.policy === 5
    this.bHead = new Int32Array(maxCap + 1).fill(-1)
    this.bTail = new Int32Array(maxCap + 1).fill(-1)
    this.bNext = new Int32Array(Math.max(1, total)).fill(-1)
    this.bPrev = new Int32Array(Math.max(1, total)).fill(-1)
    const cap = Math.max(1, total)
    this.rPool = new Int32Array(cap)
    this.rState = new Uint8Array(cap)
    this.rCap = new Int32Array(cap)
    this.rOut = new Int32Array(cap)
    this.kv = new KvManager(cap, np)
    this.rWeight = new Float64Array(cap)
    this.rSwrr = new Float64Array(cap)
    this.rEwma = new Float64Array(cap)
    this.rLevel = new Float64Array(cap)
    this.rLevelSince = new Float64Array(cap)
    this.rBornAt = new Float64Array(cap)
    this.rGoneAt = new Float64Array(cap).fill(Number.POSITIVE_INFINITY)
    this.rBusyS = new Float64Array(cap)
    this.rSlow = new Float64Array(cap).fill(1)
    this.rDispSum = new Float64Array(cap)
    this.rPhase = new Uint8Array(cap)
    this.rGen = new Int32Array(cap)
    this.rRunStart = new Float64Array(cap)
    this.rRunK = new Float64Array(cap)
    this.rRunBooked = new Float64Array(cap)
    this.rPreHead = new Int32Array(cap)
    this.rPreN = new Int32Array(cap)
    this.rB = new Int32Array(cap)
    this.rC = new Float64Array(cap)
    this.rStepsDone = new Float64Array(cap)
    this.rMinDone = new Float64Array(cap)
    this.rSeqOff = new Int32Array(cap)
    this.rPfHead = new Int32Array(cap)
    this.rPfN = new Int32Array(cap)
    this.pfRing = new Int32Array(Math.max(1, seqTotal))
    this.decodeHeap = new Int32Array(Math.max(1, seqTotal))
    this.preRing = new Int32Array(Math.max(1, seqTotal))
    let seqOff = 0
    for (let p = 0; p < this.pools.length; p++) {
      const pool = this.pools[p]
      for (let i = 0; i < pool.replicas; i++) {
        const r = this.nRep++
        this.initReplica(r, p, seqOff, ReplicaState.READY)
        if (this.useBuckets) this.bucketIn(r)
        if (pool.kind === 'llm') seqOff += pool.serving.maxBatchSeqs
      }
    }
    this.seqTop = seqOff
    this.cache = this.pCacheOn.includes(1) ? new PrefixCache(1024, cap) : undefined
    this.cFree = new Int32Array(1024)
    this.tFree = new Int32Array(1024)
    this.growCalls(1024)
    this.growTasks(1024)

    this.seriesColumns = ['time_s', 'queue_depth', 'in_flight', 'tasks_in_system', 'arrivals', 'completed', 'dropped', 'throughput_per_s', 'output_tokens_per_s']
    for (const p of this.pools) {
      this.seriesColumns.push(`busy_${p.name}`, `utilization_${p.name}`, `kv_occupancy_${p.name}`)
      if (this.isLlm) this.seriesColumns.push(`preemptions_${p.name}`)
    }
    if (this.extraSeries) this.seriesColumns.push(...this.extraSeries.columns)
    this.sPoolBusyPrev = new Float64Array(this.pools.length)
    if (this.sampleIntervalS > 0) this.sim.schedule(this.sampleIntervalS, EV_SAMPLE, 0, 0)
  }

  private initReplica(r: number, p: number, seqOff: number, state: ReplicaState): void {
    const pool = this.pools[p]
    this.rPool[r] = p
    this.rState[r] = state
    if (pool.kind === 'llm') {
      const s = pool.serving
      if (!(s.maxBatchSeqs >= 1 && s.kvCacheTokens > 0 && s.maxBatchTokens >= 1)) {
        throw new InputError({field: `fleet.pools.${pool.name}`}, 'serving profile needs maxBatchSeqs ≥ 1, kvCacheTokens > 0, maxBatchTokens ≥ 1')
      }
      this.rCap[r] = s.maxBatchSeqs
      this.kv.initReplica(r, pool, this.sim.now)
      if (this.kv.cap[r] > this.maxKvCap) this.maxKvCap = this.kv.cap[r]
    } else {
      if (!(pool.slots >= 1)) throw new InputError({field: `fleet.pools.${pool.name}.slots`}, 'must be at least 1')
      this.rCap[r] = pool.slots
      this.kv.initReplica(r, undefined, this.sim.now)
    }
    this.rWeight[r] = pool.weight ?? this.rCap[r]
    this.rSeqOff[r] = seqOff
    this.rMinDone[r] = Number.POSITIVE_INFINITY
    this.rBornAt[r] = this.sim.now
    this.rLevelSince[r] = this.sim.now
  }

  // ------------------------------------------------------------------ arrivals and calls

  /** A task arrives now (the driver sets sim.now to its arrival time first). */
  arrive(task: Task): void {
    this.tasksArrived++
    this.sArrivals++
    this.lastWorkS = this.sim.now
    this.lastArrivalS = this.sim.now
    const cls = rankOf(task.priority)
    this.tasksByClass[cls]++
    if (this.isLlm ? task.calls.length === 0 || task.serviceTimeS !== undefined : task.serviceTimeS === undefined) this.refuseTask(task)
    if (this.tFreeN === 0) this.growTasks(this.tCap * 2)
    const t = this.tFree[--this.tFreeN]
    this.tObj[t] = task
    this.tNext[t] = 0
    this.tRetries[t] = 0
    this.tasksInSystem++
    this.issueCall(t, task, cls)
  }

  /** A task the fleet cannot serve: say why (off the hot path). */
  private refuseTask(task: Task): never {
    if (task.calls.length === 0 && task.serviceTimeS === undefined) {
      throw new InputError({field: `task ${task.id}`}, 'a task needs at least one call or a serviceTimeS')
    }
    if (!this.isLlm) throw new InputError({field: `task ${task.id}`}, 'a generic pool needs tasks with serviceTimeS')
    if (task.serviceTimeS !== undefined) {
      throw new InputError({field: `task ${task.id}`}, 'service-time work (a service_s column, or workload.service) needs generic pools; an LLM pool serves tokens')
    }
    throw new InputError({field: `task ${task.id}`}, 'an LLM pool needs tasks with at least one call (tokens)')
  }

  /** Issue the task's next call (class cls): route it at once when the queue is empty, else queue it. */
  private issueCall(t: number, task: Task, cls: number): void {
    const now = this.sim.now
    const k = this.tNext[t]++
    if (this.cFreeN === 0) this.growCalls(this.cCap * 2)
    const c = this.cFree[--this.cFreeN]
    this.cTask[c] = t
    this.cPrio[c] = cls
    this.cIssue[c] = now
    // A task's own deadline (from its arrival) bounds when its first call starts; the class deadline
    // bounds how long any call waits in the queue.
    this.cDeadline[c] = k === 0 && task.deadlineS !== undefined ? task.arrivalS + task.deadlineS : now + this.deadlineS[cls]
    if (!this.isLlm) this.cService[c] = task.serviceTimeS as number
    else if (!this.takeTokens(c, task, k)) return
    if (this.policy === 4) this.curTaskType = this.typeId(task.taskType)
    if (this.queue.size === 0) {
      const r = this.pick(c)
      if (r >= 0) {
        this.dispatch(c, r)
        return
      }
    }
    if (this.queue.size >= this.maxDepth) {
      this.dropCall(c, DROP_QUEUE_FULL)
      return
    }
    if (this.queue.size >= LIMITS.queuedCalls) {
      this.overload(c)
      return
    }
    this.noteQueueDepth()
    this.queue.push(cls, c)
    if (this.queue.size > this.peakQueueDepth) this.peakQueueDepth = this.queue.size
    if (this.queue.size > 1) this.drainQueue()
  }

  /**
   * An LLM call's prompt and output tokens into slot c (generic calls keep 0: slots are only ever
   * used by one kind of pool). False, and the call dropped, when no replica could ever hold it.
   */
  private takeTokens(c: number, task: Task, k: number): boolean {
    const call = task.calls[k]
    const prompt = Math.max(1, call.inputTokens)
    const output = Math.max(1, call.outputTokens)
    this.cPrompt[c] = prompt
    this.cOutput[c] = output
    this.cShared[c] = call.sharedPrefixTokens ?? 0
    if (prompt + output > this.maxKvCap) {
      this.dropCall(c, DROP_TOO_LARGE)
      return false
    }
    return true
  }

  /** Dispatch from the head of the queue while some replica can take it; drop expired heads. */
  private drainQueue(): void {
    const q = this.queue
    const now = this.sim.now
    while (q.size > 0) {
      const cls = q.headClass()
      const c = q.peek(cls)
      if (now > this.cDeadline[c]) {
        this.noteQueueDepth()
        q.shift(cls)
        this.dropCall(c, DROP_DEADLINE)
        continue
      }
      if (this.policy === 4) {
        const task = this.tObj[this.cTask[c]] as Task
        this.curTaskType = this.typeId(task.taskType)
      }
      const r = this.pick(c)
      if (r < 0) return
      this.noteQueueDepth()
      q.shift(cls)
      this.dispatch(c, r)
    }
  }

  private noteQueueDepth(): void {
    const now = this.sim.now
    this.queueDepthArea += this.queue.size * (now - this.queueDepthSince)
    this.queueDepthSince = now
  }

  /** Drop expired calls at the heads of the queue (keeps the sampled queue depth honest). */
  private pruneExpired(): void {
    const q = this.queue
    const now = this.sim.now
    for (let cls = 0; cls < CLASSES; cls++) {
      while (q.sizeOf(cls) > 0 && now > this.cDeadline[q.peek(cls)]) {
        this.noteQueueDepth()
        this.dropCall(q.shift(cls), DROP_DEADLINE)
      }
    }
  }

  /** The queue is at its bound: reject call c (its task fails) and remember when overload began. */
  private overload(c: number): void {
    if (this.overloadedAtS < 0) this.overloadedAtS = this.sim.now
    this.dropCall(c, DROP_OVERLOAD)
  }

  private dropCall(c: number, reason: number): void {
    const cls = this.cPrio[c]
    this.drops[reason * CLASSES + cls]++
    this.sDropped++
    const t = this.cTask[c]
    this.freeCall(c)
    // The task fails with its call.
    this.tasksFailed++
    this.failedByClass[cls]++
    this.freeTask(t)
  }

  // ------------------------------------------------------------------ routing

  private canTake(r: number, c: number): boolean {
    if (this.rState[r] !== ReplicaState.READY || this.pBlocked[this.rPool[r]] !== 0 || this.rOut[r] >= this.rCap[r]) return false
    if (!this.isLlm) return true // generic servers hold no KV cache
    const kv = this.kv
    if (kv.paged[r] === 1) return this.pagedHasRoom(r, c)
    return kv.used[r] + this.cPrompt[c] + this.cOutput[c] <= kv.cap[r]
  }

  /**
   * Paged admission (vLLM V1's order): no preempted call waits on r, and the prompt's blocks fit
   * beside the blocks the running sequences take in the next step; the whole call must fit r's cache.
   */
  private pagedHasRoom(r: number, c: number): boolean {
    const kv = this.kv
    if (this.rPreN[r] > 0 || this.cPrompt[c] + this.cOutput[c] > kv.cap[r]) return false
    const free = kv.free(r)
    // Room for the prompt and a new block for every decoding sequence: no need to count phases.
    if (this.cPrompt[c] + kv.blockSize(r) * (this.rB[r] + 1) <= free) return true
    return kv.blockTokensOf(r, this.cPrompt[c]) + kv.nextStepTokens(r, this.rStepsDone[r], this.rB[r]) <= free
  }

  /** The replica the policy picks among those that can take call c now, or -1. */
  private pick(c: number): number {
    switch (this.policy) {
      case 1:
        return this.pickLeastOutstanding(c)
      case 0:
        return this.pickRoundRobin(c)
      case 2:
        return this.pickWeighted(c)
      case 3:
        return this.pickPowerOfTwo(c)
      case 5:
        return this.pickPrefixAffinity(c)
      default:
        return this.pickScore(c)
    }
  }

  /** Round-robin: the next replica after the last one used that can take it. */
  private pickRoundRobin(c: number): number {
    const n = this.nRep
    for (let i = 0; i < n; i++) {
      let r = this.rrCursor + i
      if (r >= n) r -= n
      if (this.canTake(r, c)) {
        this.rrCursor = r + 1 === n ? 0 : r + 1
        return r
      }
    }
    return -1
  }

  /** Smooth weighted round-robin (as nginx does) over the replicas that can take it. */
  private pickWeighted(c: number): number {
    const n = this.nRep
    let best = -1
    let total = 0
    for (let r = 0; r < n; r++) {
      if (!this.canTake(r, c)) continue
      const w = this.rWeight[r]
      this.rSwrr[r] += w
      total += w
      if (best < 0 || this.rSwrr[r] > this.rSwrr[best]) best = r
    }
    if (best >= 0) this.rSwrr[best] -= total
    return best
  }

  /** Power of two choices: two random replicas that can take it; the one with fewer outstanding. */
  private pickPowerOfTwo(c: number): number {
    const n = this.nRep
    let a = -1
    let b = -1
    for (let tries = 0; tries < 16 && b < 0; tries++) {
      const r = this.rng.int(n)
      if (r === a || !this.canTake(r, c)) continue
      if (a < 0) a = r
      else b = r
    }
    if (a < 0) return this.pickLeastOutstanding(c)
    if (b < 0) return a
    return this.rOut[b] < this.rOut[a] ? b : a
  }

  /**
   * Prefix affinity (session-sticky routing, as LLM routers do to keep prefix-cache hits): the replica
   * that holds the task's context when it can take the call now, else the least outstanding.
   */
  private pickPrefixAffinity(c: number): number {
    const r = (this.cache as PrefixCache).replicaOf(this.cTask[c])
    if (r >= 0 && this.canTake(r, c)) return r
    return this.pickLeastOutstanding(c)
  }

  private pickLeastOutstanding(c: number): number {
    if (this.useBuckets) {
      // Bucket maxCap holds replicas that are full at the largest capacity in the fleet: none can take.
      const top = this.bHead.length - 1
      for (let o = this.bMin; o < top; o++) {
        for (let r = this.bHead[o]; r >= 0; r = this.bNext[r]) if (this.canTake(r, c)) return r
      }
      return -1
    }
    // Without the index (power-of-two fallback): scan, starting after the last pick so ties rotate.
    const n = this.nRep
    let best = -1
    let bestOut = 0
    for (let i = 0; i < n; i++) {
      let r = this.rrCursor + i
      if (r >= n) r -= n
      if (!this.canTake(r, c)) continue
      const o = this.rOut[r]
      if (best < 0 || o < bestOut) {
        best = r
        bestOut = o
        if (o === 0) break
      }
    }
    if (best >= 0) this.rrCursor = best + 1 === n ? 0 : best + 1
    return best
  }

  /** Put a READY replica at the tail of the bucket of its outstanding count. */
  private bucketIn(r: number): void {
    const o = this.rOut[r]
    const t = this.bTail[o]
    this.bPrev[r] = t
    this.bNext[r] = -1
    if (t >= 0) this.bNext[t] = r
    else this.bHead[o] = r
    this.bTail[o] = r
    if (o < this.bMin) this.bMin = o
  }

  private bucketOut(r: number): void {
    const o = this.rOut[r]
    const p = this.bPrev[r]
    const n = this.bNext[r]
    if (p >= 0) this.bNext[p] = n
    else this.bHead[o] = n
    if (n >= 0) this.bPrev[n] = p
    else this.bTail[o] = p
    if (o === this.bMin && this.bHead[o] < 0) {
      const top = this.bHead.length
      let m = o + 1
      while (m < top && this.bHead[m] < 0) m++
      this.bMin = m
    }
  }

  /** Change a replica's outstanding count by ±1, keeping the least-outstanding index. */
  private addOutstanding(r: number, delta: number): void {
    if (this.useBuckets && this.rState[r] === ReplicaState.READY) {
      this.bucketOut(r)
      this.rOut[r] += delta
      this.bucketIn(r)
      if (this.rOut[r] === 0) this.rDispSum[r] = 0 // no rounding drift carried past an empty replica
    } else {
      this.rOut[r] += delta
      if (this.rOut[r] === 0) {
        this.rDispSum[r] = 0
        if (this.rState[r] === ReplicaState.DRAINING) this.retire(r)
      }
    }
  }

  /**
   * Call c leaves replica r now (it completed, or was taken back): book its time in flight to the
   * pool and, on a generic replica (busy = calls running / slots), its share of busy time.
   */
  private bookCall(c: number, r: number): void {
    const d = this.cDispatch[c]
    const inFlight = this.sim.now - d
    const p = this.rPool[r]
    this.pConc[p] += inFlight
    this.rDispSum[r] -= d
    if (!this.isLlm) {
      const busy = inFlight / this.rCap[r]
      this.pBusy[p] += busy
      this.rBusyS[r] += busy
    }
  }

  /** Seconds in flight so far of the calls running on replica r, not booked yet. */
  private unbookedS(r: number): number {
    return this.rOut[r] * this.sim.now - this.rDispSum[r]
  }

  // ------------------------------------------------------------------ replica lifecycle
  // provisioning → loading → ready → draining → gone. Replicas bill from creation to gone.

  /**
   * Add a replica to pool `p` now; it takes work after `readyAfterS` seconds (node provisioning,
   * image pull and model load, as the caller models them). Returns the replica index.
   */
  addReplica(p: number, readyAfterS: number): number {
    const pool = this.pools[p]
    if (pool === undefined) throw new RangeError(`no pool ${p}`)
    const r = this.nRep
    if (r === this.rPool.length) this.growReplicas(r * 2)
    let seqOff = 0
    if (pool.kind === 'llm') {
      seqOff = this.seqTop
      const need = seqOff + pool.serving.maxBatchSeqs
      if (need > this.pfRing.length) {
        const size = Math.max(need, this.pfRing.length * 2)
        const g = new Int32Array(size)
        g.set(this.pfRing)
        this.pfRing = g
        const h = new Int32Array(size)
        h.set(this.decodeHeap)
        this.decodeHeap = h
        const q = new Int32Array(size)
        q.set(this.preRing)
        this.preRing = q
      }
      this.seqTop = need
      if (pool.serving.maxBatchSeqs >= this.bHead.length) this.growBuckets(pool.serving.maxBatchSeqs + 1)
    } else if (pool.slots >= this.bHead.length) {
      this.growBuckets(pool.slots + 1)
    }
    this.nRep++
    this.initReplica(r, p, seqOff, readyAfterS > 0 ? ReplicaState.LOADING : ReplicaState.READY)
    if (readyAfterS > 0) this.sim.schedule(this.sim.now + readyAfterS, EV_READY, r, 0)
    else {
      if (this.useBuckets) this.bucketIn(r)
      if (this.queue.size > 0) this.drainQueue()
    }
    return r
  }

  /** Stop sending work to replica r; it finishes what it holds, then is gone (billing stops). */
  drainReplica(r: number): void {
    const st = this.rState[r]
    if (st === ReplicaState.GONE || st === ReplicaState.DRAINING) return
    if (st === ReplicaState.READY && this.useBuckets) this.bucketOut(r)
    this.rState[r] = ReplicaState.DRAINING
    if (this.rOut[r] === 0) this.retire(r)
  }

  replicaState(r: number): ReplicaState {
    return this.rState[r] as ReplicaState
  }

  /** Empty an LLM replica's batch: its KV, prefill ring and decode state; its pending step event is void. */
  private clearBatch(r: number): void {
    this.kv.clear(r, this.rPool[r], this.sim.now)
    this.rGen[r]++
    this.rPhase[r] = PH_IDLE
    this.rPfN[r] = 0
    this.rPfHead[r] = 0
    this.rPreN[r] = 0
    this.rPreHead[r] = 0
    this.rB[r] = 0
    this.rC[r] = 0
    this.rMinDone[r] = Number.POSITIVE_INFINITY
  }

  private retire(r: number): void {
    this.rState[r] = ReplicaState.GONE
    if (this.cache !== undefined) this.cache.clearReplica(r)
    this.setLevel(r, 0)
    this.rGoneAt[r] = this.sim.now
    if (this.onReplicaGone) this.onReplicaGone(r, this.sim.now)
  }

  // ------------------------------------------------------------------ controllers and failures
  // What autoscalers and failure injection (src/sim/autoscaling.ts, failures.ts) read and do.

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
    if (this.moreArrivals || (Number.isFinite(this.durationS) && time <= this.durationS)) return true
    return this.tasksInSystem > 0 && (this.inFlightCalls > 0 || time <= this.lastWorkS + 86_400)
  }

  replicaPool(r: number): number {
    return this.rPool[r]
  }

  /** Calls running on replica r. */
  replicaOutstanding(r: number): number {
    return this.rOut[r]
  }

  /** Seconds replica r has spent busy (stepping, or slot-fraction busy) up to now. */
  replicaBusyS(r: number): number {
    if (!this.isLlm) return this.rBusyS[r] + this.unbookedS(r) / this.rCap[r]
    return this.rBusyS[r] + this.rLevel[r] * (this.sim.now - this.rLevelSince[r])
  }

  /** Fraction of replica r's KV cache reserved now (0 for generic replicas). */
  replicaKvFraction(r: number): number {
    return this.isLlm ? this.kv.used[r] / this.kv.cap[r] : 0
  }

  /** Calls waiting in the central queue in priority class `cls` (PRIORITY_RANK). */
  queueDepthOf(cls: number): number {
    return this.queue.sizeOf(cls)
  }

  /** Cut pool p off from the router (a partition) or reconnect it. */
  setPoolBlocked(p: number, blocked: boolean): void {
    this.pBlocked[p] = blocked ? 1 : 0
    if (!blocked && this.queue.size > 0) this.drainQueue()
  }

  /** Degrade replica r: its steps (or services) take 1 / throughputFactor as long, from its next step. */
  setReplicaThroughput(r: number, throughputFactor: number): void {
    this.rSlow[r] = 1 / throughputFactor
  }

  /**
   * Replica r fails now: it is gone at once (billing stops), and the calls it was serving are sent
   * again from the head of the queue (their queue wait is not recorded twice; TTFT and e2e keep
   * counting from the original issue) while their task has retries left and `retry` is set, or fail
   * (DROP_LOST). Returns the calls retried and lost.
   */
  loseReplica(r: number, retry: boolean, maxRetries: number): {retried: number; lost: number} {
    const st = this.rState[r]
    if (st === ReplicaState.GONE) return {retried: 0, lost: 0}
    if (st === ReplicaState.READY && this.useBuckets) this.bucketOut(r)
    const taken = this.takeBackCalls(r)
    this.retire(r)
    const res = this.requeueOrDrop(taken, retry, maxRetries)
    if (this.queue.size > 0) this.drainQueue()
    return res
  }

  /** loseReplica with a lost-work policy; returns how many calls the replica held. */
  failReplica(r: number, onLostWork: 'retry' | 'fail' = 'retry', maxRetries = 2): number {
    const {retried, lost} = this.loseReplica(r, onLostWork === 'retry', maxRetries)
    return retried + lost
  }

  /**
   * Take back every call running on replica r (its pool was cut off): each is sent again or its task
   * fails, as loseReplica does, but the replica stays: idle and empty (and gone if it was draining).
   * Returns the calls retried and lost.
   */
  abortReplicaCalls(r: number, retry: boolean, maxRetries: number): {retried: number; lost: number} {
    const inBucket = this.useBuckets && this.rState[r] === ReplicaState.READY
    if (inBucket) this.bucketOut(r)
    const taken = this.takeBackCalls(r)
    if (inBucket) this.bucketIn(r)
    this.setLevel(r, 0)
    const res = this.requeueOrDrop(taken, retry, maxRetries)
    if (this.rState[r] === ReplicaState.DRAINING) this.retire(r)
    if (this.queue.size > 0) this.drainQueue()
    return res
  }

  /**
   * Empty replica r of the calls running on it (their time in flight booked, its batch cleared) and
   * return them oldest last: put back at the queue's head in that order, the oldest ends up first.
   * The caller takes the replica out of (and back into) the least-outstanding index around this.
   */
  private takeBackCalls(r: number): number[] {
    const taken: number[] = []
    for (let c = 0; c < this.cCap; c++) if ((this.cFlags[c] & F_RUNNING) !== 0 && this.cReplica[c] === r) taken.push(c)
    taken.sort((a, b) => this.cIssue[b] - this.cIssue[a] || b - a)
    for (const c of taken) this.bookCall(c, r)
    this.rOut[r] = 0
    this.rDispSum[r] = 0
    if (this.isLlm) this.clearBatch(r)
    this.inFlightCalls -= taken.length
    return taken
  }

  /** Send taken-back calls again from the head of their class (retry, while retries are left) or drop them (DROP_LOST). */
  private requeueOrDrop(taken: readonly number[], retry: boolean, maxRetries: number): {retried: number; lost: number} {
    let retried = 0
    let lost = 0
    for (const c of taken) {
      this.cReplica[c] = -1
      const t = this.cTask[c]
      if (retry && this.tRetries[t] < maxRetries) {
        this.tRetries[t]++
        retried++
        this.cFlags[c] = F_DISPATCHED
        this.noteQueueDepth()
        this.queue.unshift(this.cPrio[c], c)
        if (this.queue.size > this.peakQueueDepth) this.peakQueueDepth = this.queue.size
      } else {
        lost++
        this.dropCall(c, DROP_LOST)
      }
    }
    this.callsRetried += retried
    this.callsLost += lost
    return {retried, lost}
  }

  private growReplicas(cap: number): void {
    const self = this as unknown as Record<string, Int32Array | Float64Array | Uint8Array>
    for (const key of REPLICA_ARRAYS) {
      const old = self[key]
      const g = new (old.constructor as Int32ArrayConstructor)(cap)
      g.set(old)
      if (key === 'rGoneAt') g.fill(Number.POSITIVE_INFINITY, old.length)
      if (key === 'rSlow') g.fill(1, old.length)
      if (key === 'bNext' || key === 'bPrev') g.fill(-1, old.length)
      self[key] = g
    }
    this.kv.grow(cap)
    if (this.cache !== undefined) this.cache.growReplicas(cap)
  }

  private growBuckets(size: number): void {
    const h = new Int32Array(size).fill(-1)
    h.set(this.bHead)
    this.bHead = h
    const t = new Int32Array(size).fill(-1)
    t.set(this.bTail)
    this.bTail = t
  }

  /** The seeds' load balancer: typeMatch·w1 + 1/(1+load)·w2 + performance·w3, highest wins. */
  private pickScore(c: number): number {
    const n = this.nRep
    let bestEwma = Number.POSITIVE_INFINITY
    for (let r = 0; r < n; r++) {
      const e = this.rEwma[r]
      if (e > 0 && e < bestEwma && this.rState[r] === ReplicaState.READY) bestEwma = e
    }
    const [wType, wLoad, wPerf] = this.scoreW
    const tt = this.curTaskType
    let best = -1
    let bestScore = 0
    for (let i = 0; i < n; i++) {
      let r = this.rrCursor + i
      if (r >= n) r -= n
      if (!this.canTake(r, c)) continue
      const e = this.rEwma[r]
      const perf = e > 0 && bestEwma < Number.POSITIVE_INFINITY ? bestEwma / e : 1
      const match = this.poolTypeMatch[this.rPool[r]][tt] * 0.5
      const s = wType * match + wLoad / (1 + this.rOut[r]) + wPerf * perf
      if (best < 0 || s > bestScore) {
        best = r
        bestScore = s
      }
    }
    if (best >= 0) this.rrCursor = best + 1 === n ? 0 : best + 1
    return best
  }

  private typeId(type: string): number {
    let id = this.typeIds.get(type)
    if (id === undefined) {
      id = this.typeIds.size
      this.typeIds.set(type, id)
      for (let p = 0; p < this.pools.length; p++) {
        const types = this.pools[p].taskTypes
        let m = this.poolTypeMatch[p]
        if (m === undefined || m.length <= id) {
          const g = new Uint8Array(Math.max(16, (id + 1) * 2))
          if (m !== undefined) g.set(m)
          this.poolTypeMatch[p] = m = g
        }
        // 1: the pool is specialised for this type; ½: a generalist pool (no list); 0: specialised elsewhere.
        m[id] = types === undefined ? 1 : types.includes(type) ? 2 : 0
      }
    }
    return id
  }

  // ------------------------------------------------------------------ dispatch and service

  private dispatch(c: number, r: number): void {
    const now = this.sim.now
    const cls = this.cPrio[c]
    this.cDispatch[c] = now
    this.cReplica[c] = r
    // A call sent again after its replica failed has had its queue wait recorded already.
    if ((this.cFlags[c] & F_DISPATCHED) === 0) this.latency.record(R_WAIT, cls, now - this.cIssue[c])
    this.cFlags[c] = F_RUNNING | F_DISPATCHED
    this.addOutstanding(r, 1)
    this.rDispSum[r] += now
    this.inFlightCalls++
    if (!this.isLlm) {
      // cDoneAt tells a stale completion (the call was taken back from a lost replica) from the real one.
      const done = now + this.cService[c] * this.rSlow[r]
      this.cDoneAt[c] = done
      this.sim.schedule(done, EV_SERVICE_DONE, r, c)
    } else {
      this.admitSequence(c, r)
    }
  }

  /** Put LLM call c into replica r's batch: allocate (or reserve) its KV, queue its prompt, wake the replica. */
  private admitSequence(c: number, r: number): void {
    const now = this.sim.now
    this.cCtx[c] = this.cPrompt[c]
    this.cGen[c] = 0
    this.cPrefillLeft[c] = this.cPrompt[c]
    this.cHit[c] = 0
    this.cChunk[c] = 0
    this.cDoneAt[c] = Number.POSITIVE_INFINITY
    if (this.kv.paged[r] === 1) {
      // Paged: blocks for the prompt now, one more per block of output as it is generated.
      this.enqueuePrefill(c, r)
    } else {
      this.kv.take(r, this.rPool[r], now, this.cPrompt[c] + this.cOutput[c])
      const at = ringAt(this.rPfHead[r], this.rPfN[r]++, this.rCap[r])
      this.pfRing[this.rSeqOff[r] + at] = c
    }
    if (this.cache !== undefined) this.usePrefixCache(c, r, this.cache)
    switch (this.rPhase[r]) {
      case PH_IDLE:
        this.rPhase[r] = PH_KICK
        this.sim.schedule(now, EV_STEP, r, ++this.rGen[r])
        break
      case PH_DECODE:
        this.cutDecodeRun(r)
        break
      default:
        // PH_PREFILL, PH_KICK, PH_BOUNDARY: the new sequence joins at the next boundary anyway.
        break
    }
  }

  /**
   * Call c was admitted to replica r: take its task's cached context (a hit when it is on r and the
   * pool caches prefixes; at least the prompt's last token is always computed), then evict idle
   * contexts until what r reserves and what it keeps idle fit its KV cache.
   */
  private usePrefixCache(c: number, r: number, cache: PrefixCache): void {
    const cached = cache.take(this.cTask[c], r)
    const p = this.rPool[r]
    if (cached > 0 && this.pCacheOn[p] === 1) {
      const prompt = this.cPrompt[c]
      let hit = this.cShared[c] < cached ? this.cShared[c] : cached
      if (hit > prompt - 1) hit = prompt - 1
      this.cHit[c] = hit
      this.cPrefillLeft[c] = prompt - hit
      this.pHit[p] += hit
    }
    this.pEvict[p] += cache.evictTo(r, this.kv.free(r))
  }

  /** Cut the replica's decode-only run at the first step boundary at or after now. */
  private cutDecodeRun(r: number): void {
    const serving = (this.pools[this.rPool[r]] as LlmPoolConfig).serving
    const elapsed = this.sim.now - this.rRunStart[r]
    const B = this.rB[r]
    const C = this.rC[r]
    let lo = 1
    let hi = this.rRunK[r]
    // Smallest j in [1, k] with decodeRunTimeS(j) ≥ elapsed.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (serving.decodeRunTimeS(mid, B, C) * this.rSlow[r] >= elapsed) hi = mid
      else lo = mid + 1
    }
    if (lo === this.rRunK[r]) return
    this.rRunK[r] = lo
    // Paged: the run's blocks were taken at its start; give back those of the steps it no longer makes.
    if (this.kv.paged[r] === 1) this.kv.cutRun(r, this.rPool[r], this.sim.now, this.rStepsDone[r], lo, B)
    // max(): runStart + T(j) can round to a hair before now although T(j) ≥ now − runStart.
    const at = this.rRunStart[r] + serving.decodeRunTimeS(lo, B, C) * this.rSlow[r]
    this.sim.schedule(at > this.sim.now ? at : this.sim.now, EV_STEP, r, ++this.rGen[r])
  }

  handle(kind: number, target: number, payload: number): void {
    switch (kind) {
      case EV_STEP:
        if (payload === this.rGen[target]) this.stepBoundary(target)
        break
      case EV_SERVICE_DONE:
        this.serviceDone(target, payload)
        break
      case EV_CALL_ISSUE: {
        const task = this.tObj[target] as Task
        this.issueCall(target, task, rankOf(task.priority))
        break
      }
      case EV_SAMPLE:
        this.sample()
        break
      case EV_CONTROL:
        this.controllers[target](this.sim.now, payload)
        return
      case EV_READY:
        if (this.rState[target] !== ReplicaState.LOADING) break // drained before it was ready
        this.rState[target] = ReplicaState.READY
        if (this.useBuckets) this.bucketIn(target)
        if (this.queue.size > 0) this.drainQueue()
        break
      default:
        throw new Error(`unknown event kind ${kind}`)
    }
    if (kind !== EV_SAMPLE) this.lastWorkS = this.sim.now
  }

  private serviceDone(r: number, c: number): void {
    if (this.rState[r] === ReplicaState.GONE) return // the replica failed; its calls were handled then
    if (this.cReplica[c] !== r || this.cDoneAt[c] !== this.sim.now) return // taken back (a partition) and sent again
    this.bookCall(c, r)
    this.addOutstanding(r, -1)
    this.completeCall(c, r)
    if (this.queue.size > 0) this.drainQueue()
  }

  /** An LLM replica finished a step (or a decode run), or was kicked awake. */
  private stepBoundary(r: number): void {
    const pool = this.pools[this.rPool[r]] as LlmPoolConfig
    const phase = this.rPhase[r]
    this.rPhase[r] = PH_BOUNDARY
    const off = this.rSeqOff[r]
    if (phase === PH_DECODE) {
      const k = this.rRunK[r]
      this.rStepsDone[r] += k
      this.rC[r] += this.rB[r] * k
      this.outputTokens += this.rB[r] * k
      // Samples inside the run counted the tokens of the steps done by then.
      this.sOutTokens += this.rB[r] * (k - this.rRunBooked[r])
    } else if (phase === PH_PREFILL) {
      const now = this.sim.now
      this.rStepsDone[r] += 1
      this.rC[r] += this.rB[r]
      this.outputTokens += this.rB[r]
      this.sOutTokens += this.rB[r]
      const done = this.rStepsDone[r]
      const cap = this.rCap[r]
      // The step prefilled a prefix of the ring (FIFO); all but possibly its last entry finished.
      while (this.rPfN[r] > 0) {
        const head = this.rPfHead[r]
        const c = this.pfRing[off + head]
        const chunk = this.cChunk[c]
        if (chunk === 0) break
        this.cChunk[c] = 0
        if ((this.cPrefillLeft[c] -= chunk) > 0) break
        this.rPfHead[r] = head + 1 === cap ? 0 : head + 1
        this.rPfN[r]--
        // Prompt finished: this step emitted a token (the first, unless a preempted call was recomputed).
        if (this.cGen[c]++ === 0) this.cFirst[c] = now
        this.outputTokens++
        this.sOutTokens++
        this.cJoin[c] = done
        this.cDoneAt[c] = done + this.cOutput[c] - this.cGen[c]
        this.rB[r] = heapPush(this.decodeHeap, off, this.rB[r], c, this.cDoneAt)
        if (this.kv.paged[r] === 1) this.kv.index.add(r, this.cCtx[c], done)
        this.rC[r] += this.cCtx[c] + 1
      }
      this.rMinDone[r] = this.rB[r] > 0 ? this.cDoneAt[this.decodeHeap[off]] : Number.POSITIVE_INFINITY
    }
    if (phase !== PH_KICK && this.rMinDone[r] <= this.rStepsDone[r]) this.completeFinished(r)
    if (this.queue.size > 0) this.drainQueue()
    this.startStep(r, pool)
  }

  /** Finish the sequences whose last token was produced (the heap's top while it is due). */
  private completeFinished(r: number): void {
    const off = this.rSeqOff[r]
    const done = this.rStepsDone[r]
    const kv = this.kv
    const p = this.rPool[r]
    const now = this.sim.now
    while (this.rB[r] > 0) {
      const c = this.decodeHeap[off]
      if (this.cDoneAt[c] > done) break
      this.rB[r] = heapPop(this.decodeHeap, off, this.rB[r], this.cDoneAt)
      this.rC[r] -= this.cPrompt[c] + this.cOutput[c]
      if (kv.paged[r] === 1) {
        // Its KV holds its context at the last decode step: what it was prefilled with, one per step.
        kv.index.remove(r, this.cCtx[c], this.cJoin[c])
        kv.give(r, p, now, kv.blockTokensOf(r, this.cCtx[c] + done - this.cJoin[c]))
      } else {
        kv.give(r, p, now, this.cPrompt[c] + this.cOutput[c])
      }
      this.bookCall(c, r)
      this.addOutstanding(r, -1)
      this.completeCall(c, r)
    }
    this.rMinDone[r] = this.rB[r] > 0 ? this.cDoneAt[this.decodeHeap[off]] : Number.POSITIVE_INFINITY
  }

  /** Start the replica's next step: a prefill step if prompts wait, else a decode run, else idle. */
  private startStep(r: number, pool: LlmPoolConfig): void {
    const now = this.sim.now
    const s = pool.serving
    // Paged KV: make room for the next step's new blocks (preempting), then take back preempted calls.
    let stepTokens = 0
    if (this.kv.paged[r] === 1) stepTokens = this.makeRoomForStep(r)
    const n = this.rPfN[r]
    const B = this.rB[r]
    if (n > 0) {
      // Chunked prefill: decoding sequences take one token each of the step's token budget; the
      // rest goes to prompts in admission order.
      let budget = s.maxBatchTokens - B
      if (budget < 1) budget = 1
      let prefill = 0
      const off = this.rSeqOff[r]
      const cap = this.rCap[r]
      let at = this.rPfHead[r]
      // A prompt whose start came from the prefix cache attends to it: its cached and already
      // prefilled tokens are read like a decoding sequence's context.
      let cachedContext = 0
      for (let i = 0; i < n && budget > 0; i++) {
        const c = this.pfRing[off + at]
        if (++at === cap) at = 0
        const left = this.cPrefillLeft[c]
        const chunk = left < budget ? left : budget
        this.cChunk[c] = chunk
        budget -= chunk
        prefill += chunk
        if (this.cHit[c] > 0) cachedContext += this.cCtx[c] - left
      }
      if (stepTokens > 0) this.kv.take(r, this.rPool[r], now, stepTokens)
      this.setLevel(r, 1)
      this.rPhase[r] = PH_PREFILL
      this.sim.schedule(now + s.stepTimeS(prefill, B, this.rC[r] + cachedContext) * this.rSlow[r], EV_STEP, r, ++this.rGen[r])
    } else if (B > 0) {
      let k = this.rMinDone[r] - this.rStepsDone[r]
      // Paged: run only as far as the free blocks last; the boundary there preempts.
      if (this.kv.paged[r] === 1) k = this.kv.startRun(r, this.rPool[r], now, this.rStepsDone[r], k, B)
      this.setLevel(r, 1)
      this.rPhase[r] = PH_DECODE
      this.rRunStart[r] = now
      this.rRunK[r] = k
      this.rRunBooked[r] = 0
      this.sim.schedule(now + s.decodeRunTimeS(k, B, this.rC[r]) * this.rSlow[r], EV_STEP, r, ++this.rGen[r])
    } else {
      this.setLevel(r, 0)
      this.rPhase[r] = PH_IDLE
    }
  }

  // ------------------------------------------------------------------ paged KV and preemption

  /**
   * Before a step of paged replica r: preempt the newest admitted sequences until the decoding
   * sequences' new blocks for the step fit (vLLM V1: running requests are served first, by preempting
   * the last one), then, if none was preempted, take back preempted calls (oldest first) while their
   * recompute fits. Returns the blocks the step's decoding takes (allocated by the caller).
   */
  private makeRoomForStep(r: number): number {
    const kv = this.kv
    const done = this.rStepsDone[r]
    let need = kv.nextStepTokens(r, done, this.rB[r])
    let preempted = false
    while (need > kv.free(r) && this.preemptNewest(r)) {
      preempted = true
      need = kv.nextStepTokens(r, done, this.rB[r])
    }
    // As vLLM, no call is taken back in a step that preempted, unless nothing else is left to run.
    if (!preempted || (this.rB[r] === 0 && this.rPfN[r] === 0)) {
      while (this.rPreN[r] > 0) {
        const c = this.preRing[this.rSeqOff[r] + this.rPreHead[r]]
        if (kv.blockTokensOf(r, this.cCtx[c]) + need > kv.free(r)) break
        this.rPreHead[r] = ringAt(this.rPreHead[r], 1, this.rCap[r])
        this.rPreN[r]--
        this.enqueuePrefill(c, r)
      }
    }
    return need
  }

  /** Give call c (admitted, or preempted and taken back) its prompt's blocks and queue its prefill. */
  private enqueuePrefill(c: number, r: number): void {
    this.kv.take(r, this.rPool[r], this.sim.now, this.kv.blockTokensOf(r, this.cCtx[c]))
    this.cAdmit[c] = ++this.admitCount
    const at = ringAt(this.rPfHead[r], this.rPfN[r]++, this.rCap[r])
    this.pfRing[this.rSeqOff[r] + at] = c
  }

  /**
   * Preempt (recompute) the newest admitted sequence holding blocks on replica r: its blocks are
   * freed and it waits at the front of the replica's preempted queue to be prefilled again with its
   * prompt and the tokens it generated. False when no sequence holds blocks.
   */
  private preemptNewest(r: number): boolean {
    const off = this.rSeqOff[r]
    const cap = this.rCap[r]
    const nPf = this.rPfN[r]
    const tail = nPf > 0 ? this.pfRing[off + ringAt(this.rPfHead[r], nPf - 1, cap)] : -1
    const hi = this.rB[r] > 0 ? heapArgMax(this.decodeHeap, off, this.rB[r], this.cAdmit) : -1
    const dc = hi >= 0 ? this.decodeHeap[off + hi] : -1
    if (tail < 0 && dc < 0) return false
    let c: number
    let lost: number
    if (dc >= 0 && (tail < 0 || this.cAdmit[dc] > this.cAdmit[tail])) {
      c = dc
      const steps = this.rStepsDone[r] - this.cJoin[c]
      lost = this.cCtx[c] + steps // tokens in its KV
      this.rB[r] = heapRemoveAt(this.decodeHeap, off, this.rB[r], hi, this.cDoneAt)
      this.rMinDone[r] = this.rB[r] > 0 ? this.cDoneAt[this.decodeHeap[off]] : Number.POSITIVE_INFINITY
      this.kv.index.remove(r, this.cCtx[c], this.cJoin[c])
      this.rC[r] -= lost + 1
      this.kv.give(r, this.rPool[r], this.sim.now, this.kv.blockTokensOf(r, lost))
      this.cGen[c] += steps
      this.cCtx[c] = this.cPrompt[c] + this.cGen[c]
    } else {
      c = tail
      lost = this.cCtx[c] - this.cPrefillLeft[c]
      this.rPfN[r]--
      this.kv.give(r, this.rPool[r], this.sim.now, this.kv.blockTokensOf(r, this.cCtx[c]))
    }
    this.cPrefillLeft[c] = this.cCtx[c]
    this.cHit[c] = 0
    this.cChunk[c] = 0
    this.rPreHead[r] = ringAt(this.rPreHead[r], cap - 1, cap)
    this.rPreN[r]++
    this.preRing[off + this.rPreHead[r]] = c
    const p = this.rPool[r]
    this.pPreempt[p]++
    this.pRecomputed[p] += lost
    this.sPreempt[p]++
    return true
  }

  private completeCall(c: number, r: number): void {
    const now = this.sim.now
    const cls = this.cPrio[c]
    const p = this.rPool[r]
    const e2e = now - this.cIssue[c]
    this.callsCompleted++
    this.inFlightCalls--
    this.pCalls[p]++
    if (this.isLlm) this.completeTokens(c, p, cls, e2e)
    // Recent performance, for the score policy only.
    if (this.policy === 4) this.notePerformance(c, r)
    const t = this.cTask[c]
    const context = this.cPrompt[c] + this.cOutput[c]
    const task = this.tObj[t] as Task
    const next = this.tNext[t]
    if (this.onCallComplete) this.onCallComplete(task, next - 1, this.cIssue[c], this.isLlm ? this.cFirst[c] : this.cIssue[c], now)
    this.freeCall(c)
    const chain = task.calls.length > 1
    this.latency.record(chain ? R_E2E_CHAIN_CALL : R_E2E_SOLO, cls, e2e)
    if (next < task.calls.length) {
      // The context stays in the replica's cache (idle, evictable) for the task's next call.
      if (this.pCacheOn[p] === 1 && this.rState[r] === ReplicaState.READY) (this.cache as PrefixCache).put(t, r, context)
      this.sim.schedule(now + task.calls[next].delayS, EV_CALL_ISSUE, t, 0)
      return
    }
    this.tasksCompleted++
    this.sCompleted++
    if (chain) this.latency.record(R_TASK_E2E_CHAIN, cls, now - task.arrivalS)
    this.freeTask(t)
  }

  /** An LLM call's TTFT, TPOT and token counts. */
  private completeTokens(c: number, p: number, cls: number, e2e: number): void {
    const out = this.cOutput[c]
    const ttft = this.cFirst[c] - this.cIssue[c]
    this.latency.record(R_TTFT, cls, ttft)
    if (out > 1) this.latency.record(R_TPOT, cls, (e2e - ttft) / (out - 1))
    this.pIn[p] += this.cPrompt[c]
    this.pOut[p] += out
    this.inputTokens += this.cPrompt[c]
  }

  /** The score policy's view of replica r: an EWMA of service time (per output token for LLM calls). */
  private notePerformance(c: number, r: number): void {
    const service = this.sim.now - this.cDispatch[c]
    const perUnit = this.isLlm ? service / this.cOutput[c] : service
    const e = this.rEwma[r]
    this.rEwma[r] = e === 0 ? perUnit : e + this.ewmaAlpha * (perUnit - e)
  }

  // ------------------------------------------------------------------ accounting

  private setLevel(r: number, level: number): void {
    const now = this.sim.now
    const busy = this.rLevel[r] * (now - this.rLevelSince[r])
    this.pBusy[this.rPool[r]] += busy
    this.rBusyS[r] += busy
    this.rLevel[r] = level
    this.rLevelSince[r] = now
  }


  /** Called by the driver when the workload has no more tasks. */
  endOfArrivals(): void {
    this.moreArrivals = false
  }

  /** True while anything is waiting, running or scheduled to issue. */
  get busy(): boolean {
    return this.tasksInSystem > 0
  }

  private sample(): void {
    const now = this.sim.now
    // A sample due after the run's last work (nothing left to arrive, run or issue, the arrival window
    // over) is not written: finish() closes the books at the run's end, not at the next sample time.
    const windowEnd = Number.isFinite(this.durationS) ? this.durationS : 0
    if (!this.moreArrivals && this.tasksInSystem === 0 && this.sim.queue.size === 0 && now > windowEnd) return
    this.pruneExpired()
    this.writeSample(now)
    // Controllers (autoscalers) look at the fleet here and may add or drain replicas.
    if (this.onSample) this.onSample(this, now)
    const next = now + this.sampleIntervalS
    // Keep sampling while work can still happen: arrivals to come, events pending (the heap holds only
    // this sample when nothing else is scheduled), or the arrival window not over yet.
    const pending = this.sim.queue.size > 0
    if (this.moreArrivals || pending || (Number.isFinite(this.durationS) && next <= this.durationS)) {
      this.sim.schedule(next, EV_SAMPLE, 0, 0)
    }
  }

  private writeSample(now: number): void {
    const dt = now - this.sPrevT
    if (dt <= 0) return
    if (this.series.length >= LIMITS.seriesRows * this.seriesColumns.length) {
      throw new InputError(
        {field: 'report.sampleIntervalS'},
        `the run reached ${now.toExponential(3)} s of simulated time: more than ${LIMITS.seriesRows.toLocaleString('en-US')} time-series samples of ${this.sampleIntervalS} s`,
        {hint: 'give the scenario a duration, or a longer report.sampleIntervalS; check the trace for a far-off timestamp'},
      )
    }
    if (this.isLlm) for (let r = 0; r < this.nRep; r++) if (this.rPhase[r] === PH_DECODE) this.bookRunTokens(r, now)
    const row = this.series
    row.push(now, this.queue.size, this.inFlightCalls, this.tasksInSystem, this.sArrivals, this.sCompleted, this.sDropped, this.sCompleted / dt, this.sOutTokens / dt)
    for (let p = 0; p < this.pools.length; p++) {
      let busyNow = 0
      let kv = 0
      let kvCap = 0
      let reps = 0
      let unbooked = 0 // generic: busy time so far of the calls still running
      for (let r = 0; r < this.nRep; r++) {
        if (this.rPool[r] !== p) continue
        if (this.isLlm) {
          this.setLevel(r, this.rLevel[r])
          if (this.rLevel[r] > 0) busyNow++
        } else {
          if (this.rOut[r] > 0) busyNow++
          unbooked += this.unbookedS(r) / this.rCap[r]
        }
        if (this.rState[r] !== ReplicaState.GONE) reps++
        kv += this.kv.used[r]
        kvCap += this.kv.cap[r]
      }
      const busyTotal = this.pBusy[p] + unbooked
      const util = reps > 0 ? (busyTotal - this.sPoolBusyPrev[p]) / (reps * dt) : 0
      this.sPoolBusyPrev[p] = busyTotal
      row.push(busyNow, util, this.isLlm && kvCap > 0 ? kv / kvCap : 0)
      if (this.isLlm) {
        row.push(this.sPreempt[p])
        this.sPreempt[p] = 0
      }
    }
    if (this.extraSeries) this.extraSeries.write(now, row)
    this.sArrivals = 0
    this.sCompleted = 0
    this.sDropped = 0
    this.sOutTokens = 0
    this.sPrevT = now
  }

  /** Count, in this sample, the tokens of the steps of r's decode run done by `now` (not when the run ends). */
  private bookRunTokens(r: number, now: number): void {
    const serving = (this.pools[this.rPool[r]] as LlmPoolConfig).serving
    const elapsed = now - this.rRunStart[r]
    const B = this.rB[r]
    const C = this.rC[r]
    // Largest j in [booked, k] with decodeRunTimeS(j) ≤ elapsed.
    let lo = this.rRunBooked[r]
    let hi = this.rRunK[r]
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2)
      if (serving.decodeRunTimeS(mid, B, C) * this.rSlow[r] <= elapsed) lo = mid
      else hi = mid - 1
    }
    this.sOutTokens += B * (lo - this.rRunBooked[r])
    this.rRunBooked[r] = lo
  }

  /** Close the books at the end of the run: time-weighted accumulators up to `end`. */
  finish(end: number): void {
    // The run ends at `end` (its last work, or the arrival window's end): an idle sample or controller
    // wake-up after it must not stretch the replicas' billed time.
    this.sim.now = end
    this.noteQueueDepth()
    // Calls still queued can never be served (no replica is or will be able to take them).
    const q = this.queue
    for (let cls = 0; cls < CLASSES; cls++) while (q.sizeOf(cls) > 0) this.dropCall(q.shift(cls), DROP_UNSERVED)
    if (this.sampleIntervalS > 0) this.writeSample(this.sim.now)
    for (let r = 0; r < this.nRep; r++) {
      this.setLevel(r, this.rLevel[r])
      if (this.isLlm) this.kv.note(r, this.rPool[r], this.sim.now)
      // Calls still running (a run cut at its duration): book their time so far.
      const p = this.rPool[r]
      const unbooked = this.unbookedS(r)
      this.pConc[p] += unbooked
      if (!this.isLlm) {
        this.pBusy[p] += unbooked / this.rCap[r]
        this.rBusyS[r] += unbooked / this.rCap[r]
      }
      this.rDispSum[r] = this.rOut[r] * this.sim.now
      this.pReplicaS[this.rPool[r]] += Math.min(this.sim.now, this.rGoneAt[r]) - this.rBornAt[r]
    }
  }

  get meanQueueDepth(): number {
    return this.sim.now > 0 ? this.queueDepthArea / this.sim.now : 0
  }

  /** Per-pool totals so far (replicaS is filled in by finish()). */
  get poolTotals(): PoolTotals[] {
    return this.pools.map((_, p) => ({
      callsServed: this.pCalls[p],
      inputTokens: this.pIn[p],
      outputTokens: this.pOut[p],
      busyReplicaS: this.pBusy[p],
      kvTokenS: this.kv.poolTokenS[p],
      replicaS: this.pReplicaS[p],
      inFlightS: this.pConc[p],
      prefixHitTokens: this.pHit[p],
      prefixEvictions: this.pEvict[p],
      preemptions: this.pPreempt[p],
      recomputedTokens: this.pRecomputed[p],
    }))
  }

  /** Events handled: every arrival plus every event scheduled on the engine's heap. */
  get events(): number {
    return this.tasksArrived + this.sim.queue.scheduledCount
  }

  /** Calls waiting in the central queue now. */
  get queueDepth(): number {
    return this.queue.size
  }

  /** Calls dispatched to replicas and not yet finished. */
  get inFlight(): number {
    return this.inFlightCalls
  }

  /** Replicas ever created (indices 0…replicaCount−1, gone ones included). */
  get replicaCount(): number {
    return this.nRep
  }

  replicasOf(p: number): number {
    let n = 0
    for (let r = 0; r < this.nRep; r++) if (this.rPool[r] === p && this.rState[r] !== ReplicaState.GONE) n++
    return n
  }

  kvCapacityOf(p: number): number {
    let s = 0
    for (let r = 0; r < this.nRep; r++) if (this.rPool[r] === p) s += this.kv.cap[r]
    return s
  }

  // ------------------------------------------------------------------ slot tables

  private freeCall(c: number): void {
    this.cReplica[c] = -1
    this.cFlags[c] = 0
    this.cFree[this.cFreeN++] = c
  }

  private freeTask(t: number): void {
    if (this.cache !== undefined) this.cache.forget(t)
    this.tObj[t] = undefined
    this.tFree[this.tFreeN++] = t
    this.tasksInSystem--
  }

  private growCalls(cap: number): void {
    const old = this.cCap
    const f64 = (a: Float64Array | undefined): Float64Array => {
      const b = new Float64Array(cap)
      if (a) b.set(a)
      return b
    }
    this.cTask = growI32(this.cTask, cap)
    this.cReplica = growI32(this.cReplica, cap)
    this.cReplica.fill(-1, old)
    const p = new Uint8Array(cap)
    if (this.cPrio) p.set(this.cPrio)
    this.cPrio = p
    const f = new Uint8Array(cap)
    if (this.cFlags) f.set(this.cFlags)
    this.cFlags = f
    this.cIssue = f64(this.cIssue)
    this.cDispatch = f64(this.cDispatch)
    this.cFirst = f64(this.cFirst)
    this.cPrompt = f64(this.cPrompt)
    this.cOutput = f64(this.cOutput)
    this.cPrefillLeft = f64(this.cPrefillLeft)
    this.cChunk = f64(this.cChunk)
    this.cDoneAt = f64(this.cDoneAt)
    this.cService = f64(this.cService)
    this.cDeadline = f64(this.cDeadline)
    this.cShared = f64(this.cShared)
    this.cHit = f64(this.cHit)
    this.cCtx = f64(this.cCtx)
    this.cGen = f64(this.cGen)
    this.cJoin = f64(this.cJoin)
    this.cAdmit = f64(this.cAdmit)
    if (this.cFree.length < cap) this.cFree = growI32(this.cFree, cap)
    // New slots are pushed so that the lowest index is handed out first.
    for (let i = cap - 1; i >= old; i--) this.cFree[this.cFreeN++] = i
    this.cCap = cap
  }

  private growTasks(cap: number): void {
    const old = this.tCap
    this.tNext = growI32(this.tNext, cap)
    this.tRetries = growI32(this.tRetries, cap)
    if (this.tFree.length < cap) this.tFree = growI32(this.tFree, cap)
    for (let i = cap - 1; i >= old; i--) this.tFree[this.tFreeN++] = i
    this.tObj.length = cap
    this.tCap = cap
    if (this.cache !== undefined) this.cache.growTasks(cap)
  }
}

/** PRIORITY_RANK without a keyed property lookup on the hot path (interned strings compare by pointer). */
function rankOf(p: Task['priority']): number {
  if (p === 'normal') return 2
  if (p === 'high') return 1
  if (p === 'critical') return 0
  if (p === 'low') return 3
  throw new InputError({field: 'priority'}, `unknown priority "${String(p)}"`)
}

/** Per-replica arrays, grown together when replicas are added at runtime. */
const REPLICA_ARRAYS = [
  'rPool', 'rState', 'rCap', 'rOut', 'rWeight', 'rSwrr', 'rEwma', 'rLevel', 'rLevelSince',
  'rBornAt', 'rGoneAt', 'rBusyS', 'rSlow', 'rDispSum', 'rPhase', 'rGen', 'rRunStart', 'rRunK', 'rRunBooked', 'rPreHead', 'rPreN', 'rB', 'rC', 'rStepsDone', 'rMinDone', 'rSeqOff', 'rPfHead', 'rPfN',
  'bNext', 'bPrev',
] as const

function growI32(a: Int32Array | undefined, cap: number): Int32Array {
  const b = new Int32Array(cap)
  if (a) b.set(a.subarray(0, Math.min(a.length, cap)))
  return b
}
