/**
 * A replica's life: loading → ready → draining → gone (replicas bill from creation to gone).
 * Replicas are created at the start and at runtime (autoscalers: addReplica, cold start via
 * EV_READY), drained (they finish what they hold), lost (a failure: their calls are retried or
 * fail), cut off with their pool (a partition) or slowed down (a degraded GPU).
 */
import type {Simulation} from '../engine/simulation.js'
import {InputError} from '../errors.js'
import type {BatchState} from './batch-state.js'
import type {CallTable} from './calls.js'
import type {CentralQueue} from './central-queue.js'
import type {FleetCounters} from './counters.js'
import {EV_READY, F_RUNNING} from './events.js'
import type {KvManager} from './kv-manager.js'
import type {LlmBatcher} from './llm-batcher.js'
import type {PoolBooks} from './pool-books.js'
import type {PrefixCache} from './prefix-cache.js'
import type {ReplicaTable} from './replica-table.js'
import type {Router} from './router.js'
import {type PoolConfig, ReplicaState} from './types.js'

export class ReplicaLifecycle {
  private queue!: CentralQueue
  private batcher!: LlmBatcher

  constructor(
    private readonly sim: Simulation,
    private readonly pools: readonly PoolConfig[],
    private readonly isLlm: boolean,
    private readonly replicas: ReplicaTable,
    private readonly calls: CallTable,
    private readonly batch: BatchState,
    private readonly kv: KvManager,
    private readonly router: Router,
    private readonly books: PoolBooks,
    private readonly counters: FleetCounters,
    private readonly cache: PrefixCache | undefined,
    private readonly onReplicaGone: ((r: number, now: number) => void) | undefined,
  ) {}

  link(queue: CentralQueue, batcher: LlmBatcher): void {
    this.queue = queue
    this.batcher = batcher
  }

  /** Replica r of pool p starts now, empty, in `state`; its batch's ring entries are at seqOff. */
  initReplica(r: number, p: number, seqOff: number, state: ReplicaState): void {
    const R = this.replicas
    const pool = this.pools[p]
    R.pool[r] = p
    R.state[r] = state
    if (pool.kind === 'llm') {
      const s = pool.serving
      if (!(s.maxBatchSeqs >= 1 && s.kvCacheTokens > 0 && s.maxBatchTokens >= 1)) {
        throw new InputError({field: `fleet.pools.${pool.name}`}, 'serving profile needs maxBatchSeqs ≥ 1, kvCacheTokens > 0, maxBatchTokens ≥ 1')
      }
      R.cap[r] = s.maxBatchSeqs
      this.kv.initReplica(r, pool, this.sim.now)
      if (this.kv.cap[r] > R.maxKvCap) R.maxKvCap = this.kv.cap[r]
    } else {
      if (!(pool.slots >= 1)) throw new InputError({field: `fleet.pools.${pool.name}.slots`}, 'must be at least 1')
      R.cap[r] = pool.slots
      this.kv.initReplica(r, undefined, this.sim.now)
    }
    this.router.addReplica(r, pool)
    this.batch.initReplica(r, seqOff)
    R.bornAt[r] = this.sim.now
    R.levelSince[r] = this.sim.now
  }

  /**
   * Add a replica to pool `p` now; it takes work after `readyAfterS` seconds (node provisioning,
   * image pull and model load, as the caller models them). Returns the replica index.
   */
  addReplica(p: number, readyAfterS: number): number {
    const pool = this.pools[p]
    if (pool === undefined) throw new RangeError(`no pool ${p}`)
    const R = this.replicas
    const r = R.n
    if (r === R.pool.length) this.grow(r * 2)
    let seqOff = 0
    if (pool.kind === 'llm') {
      seqOff = this.batch.reserveSeqs(pool.serving.maxBatchSeqs)
      this.router.grow(R.pool.length, pool.serving.maxBatchSeqs)
    } else {
      this.router.grow(R.pool.length, pool.slots)
    }
    R.n++
    this.initReplica(r, p, seqOff, readyAfterS > 0 ? ReplicaState.LOADING : ReplicaState.READY)
    if (readyAfterS > 0) this.sim.schedule(this.sim.now + readyAfterS, EV_READY, r, 0)
    else {
      this.router.replicaReady(r)
      if (this.queue.size > 0) this.queue.drain()
    }
    return r
  }

  /** A replica added at runtime finished loading (EV_READY). */
  markReady(r: number): void {
    if (this.replicas.state[r] !== ReplicaState.LOADING) return // drained before it was ready
    this.replicas.state[r] = ReplicaState.READY
    this.router.replicaReady(r)
    if (this.queue.size > 0) this.queue.drain()
  }

  /** Stop sending work to replica r; it finishes what it holds, then is gone (billing stops). */
  drainReplica(r: number): void {
    const R = this.replicas
    const st = R.state[r]
    if (st === ReplicaState.GONE || st === ReplicaState.DRAINING) return
    if (st === ReplicaState.READY) this.router.replicaUnready(r)
    R.state[r] = ReplicaState.DRAINING
    if (R.out[r] === 0) this.retire(r)
  }

  retire(r: number): void {
    this.replicas.state[r] = ReplicaState.GONE
    if (this.cache !== undefined) this.cache.clearReplica(r)
    this.books.setLevel(r, 0)
    this.replicas.goneAt[r] = this.sim.now
    if (this.onReplicaGone) this.onReplicaGone(r, this.sim.now)
  }

  /** Cut pool p off from the router (a partition) or reconnect it. */
  setPoolBlocked(p: number, blocked: boolean): void {
    this.replicas.poolBlocked[p] = blocked ? 1 : 0
    if (!blocked && this.queue.size > 0) this.queue.drain()
  }

  /**
   * Replica r fails now: it is gone at once (billing stops), and the calls it was serving are sent
   * again from the head of the queue (their queue wait is not recorded twice; TTFT and e2e keep
   * counting from the original issue) while their task has retries left and `retry` is set, or fail
   * (DROP_LOST). Returns the calls retried and lost.
   */
  loseReplica(r: number, retry: boolean, maxRetries: number): {retried: number; lost: number} {
    const st = this.replicas.state[r]
    if (st === ReplicaState.GONE) return {retried: 0, lost: 0}
    if (st === ReplicaState.READY) this.router.replicaUnready(r)
    const taken = this.takeBackCalls(r)
    this.retire(r)
    const res = this.queue.requeueOrDrop(taken, retry, maxRetries)
    if (this.queue.size > 0) this.queue.drain()
    return res
  }

  /**
   * Take back every call running on replica r (its pool was cut off): each is sent again or its task
   * fails, as loseReplica does, but the replica stays: idle and empty (and gone if it was draining).
   * Returns the calls retried and lost.
   */
  abortReplicaCalls(r: number, retry: boolean, maxRetries: number): {retried: number; lost: number} {
    const ready = this.replicas.state[r] === ReplicaState.READY
    if (ready) this.router.replicaUnready(r)
    const taken = this.takeBackCalls(r)
    if (ready) this.router.replicaReady(r)
    this.books.setLevel(r, 0)
    const res = this.queue.requeueOrDrop(taken, retry, maxRetries)
    if (this.replicas.state[r] === ReplicaState.DRAINING) this.retire(r)
    if (this.queue.size > 0) this.queue.drain()
    return res
  }

  /**
   * Empty replica r of the calls running on it (their time in flight booked, its batch cleared) and
   * return them oldest last: put back at the queue's head in that order, the oldest ends up first.
   * The caller takes the replica out of (and back into) the router's index around this.
   */
  private takeBackCalls(r: number): number[] {
    const C = this.calls
    const taken: number[] = []
    for (let c = 0; c < C.cap; c++) if ((C.flags[c] & F_RUNNING) !== 0 && C.replica[c] === r) taken.push(c)
    taken.sort((a, b) => C.issueS[b] - C.issueS[a] || b - a)
    for (const c of taken) this.books.bookCall(c, r)
    this.replicas.out[r] = 0
    this.replicas.dispSum[r] = 0
    if (this.isLlm) this.batcher.clear(r)
    this.counters.inFlightCalls -= taken.length
    return taken
  }

  private grow(cap: number): void {
    this.replicas.grow(cap)
    this.batch.grow(cap)
    this.kv.grow(cap)
    if (this.cache !== undefined) this.cache.growReplicas(cap)
  }
}
