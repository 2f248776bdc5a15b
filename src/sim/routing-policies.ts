/**
 * The routing policies: each picks, among the replicas that can take a call now (Admission), the one
 * that gets it. One policy object is made per run (makeRoutePolicy) from the scenario's
 * `routing.policy`; a new policy is a class here and a case in makeRoutePolicy, and its name in
 * scenario/routing.ts (the scenario's vocabulary).
 */
import type {Rng} from '../engine/random.js'
import type {Simulation} from '../engine/simulation.js'
import type {Task} from '../workload/types.js'
import type {Admission} from './admission.js'
import type {CallTable, TaskTable} from './calls.js'
import type {LoadIndex} from './load-index.js'
import type {PrefixCache} from './prefix-cache.js'
import {grown, type ReplicaTable} from './replica-table.js'
import {type PoolConfig, ReplicaState, type RoutingConfig} from './types.js'

export interface RoutePolicy {
  /** The replica this policy picks among those that can take call c now, or -1. */
  pick(c: number): number
  /** Replica r of `pool` was created (its capacity set): keep what the policy needs of it. */
  addReplica(r: number, pool: PoolConfig): void
}

/** What the policies read. */
export interface PolicyContext {
  sim: Simulation
  pools: readonly PoolConfig[]
  isLlm: boolean
  replicas: ReplicaTable
  calls: CallTable
  tasks: TaskTable
  admission: Admission
  /** The least-outstanding index, kept by the router for the policies that need one. */
  index: LoadIndex | undefined
  cache: PrefixCache | undefined
  /** The routing stream of the run's seeded generator (power-of-two's draws). */
  rng: Rng
}

/** Whether a policy needs the least-outstanding index kept. */
export function needsLoadIndex(config: RoutingConfig): boolean {
  return config.policy === 'least-outstanding' || config.policy === 'prefix-affinity'
}

export function makeRoutePolicy(config: RoutingConfig, ctx: PolicyContext): RoutePolicy {
  switch (config.policy) {
    case 'round-robin':
      return new RoundRobin(ctx)
    case 'least-outstanding':
      return new LeastOutstanding(ctx, ctx.index as LoadIndex)
    case 'weighted':
      return new Weighted(ctx)
    case 'power-of-two':
      return new PowerOfTwo(ctx)
    case 'score':
      return new ScorePolicy(ctx, config)
    case 'prefix-affinity':
      return new PrefixAffinity(ctx, new LeastOutstanding(ctx, ctx.index as LoadIndex))
  }
}

abstract class Policy implements RoutePolicy {
  protected readonly replicas: ReplicaTable
  protected readonly admission: Admission
  constructor(ctx: PolicyContext) {
    this.replicas = ctx.replicas
    this.admission = ctx.admission
  }
  abstract pick(c: number): number
  addReplica(_r: number, _pool: PoolConfig): void {
    // Nothing kept per replica by default.
  }
}

/** Round-robin: the next replica after the last one used that can take it. */
class RoundRobin extends Policy {
  private cursor = 0
  pick(c: number): number {
    const n = this.replicas.n
    for (let i = 0; i < n; i++) {
      let r = this.cursor + i
      if (r >= n) r -= n
      if (this.admission.canTake(r, c)) {
        this.cursor = r + 1 === n ? 0 : r + 1
        return r
      }
    }
    return -1
  }
}

/** Least outstanding calls, from the index: ties go to the replica that has waited longest at that load. */
class LeastOutstanding extends Policy {
  constructor(
    ctx: PolicyContext,
    private readonly index: LoadIndex,
  ) {
    super(ctx)
  }
  pick(c: number): number {
    const ix = this.index
    const top = ix.head.length - 1 // replicas in the top bucket are full
    for (let o = ix.min; o < top; o++) {
      for (let r = ix.head[o]; r >= 0; r = ix.next[r]) if (this.admission.canTake(r, c)) return r
    }
    return -1
  }
}

/** Smooth weighted round-robin (as nginx does) over the replicas that can take it. */
class Weighted extends Policy {
  private weight = new Float64Array(16)
  /** Current weights. */
  private current = new Float64Array(16)
  pick(c: number): number {
    const n = this.replicas.n
    let best = -1
    let total = 0
    for (let r = 0; r < n; r++) {
      if (!this.admission.canTake(r, c)) continue
      const w = this.weight[r]
      this.current[r] += w
      total += w
      if (best < 0 || this.current[r] > this.current[best]) best = r
    }
    if (best >= 0) this.current[best] -= total
    return best
  }
  override addReplica(r: number, pool: PoolConfig): void {
    if (r >= this.weight.length) {
      this.weight = grown(this.weight, 2 * r)
      this.current = grown(this.current, 2 * r)
    }
    this.weight[r] = pool.weight ?? this.replicas.cap[r]
  }
}

/** Power of two choices: two random replicas that can take it; the one with fewer outstanding. */
class PowerOfTwo extends Policy {
  private readonly rng: Rng
  private cursor = 0
  constructor(ctx: PolicyContext) {
    super(ctx)
    this.rng = ctx.rng
  }
  pick(c: number): number {
    const n = this.replicas.n
    let a = -1
    let b = -1
    for (let tries = 0; tries < 16 && b < 0; tries++) {
      const r = this.rng.int(n)
      if (r === a || !this.admission.canTake(r, c)) continue
      if (a < 0) a = r
      else b = r
    }
    if (a < 0) return this.scanLeastOutstanding(c)
    if (b < 0) return a
    const out = this.replicas.out
    return out[b] < out[a] ? b : a
  }
  /** The draws found none: the least outstanding by a scan, starting after the last pick so ties rotate. */
  private scanLeastOutstanding(c: number): number {
    const n = this.replicas.n
    const out = this.replicas.out
    let best = -1
    let bestOut = 0
    for (let i = 0; i < n; i++) {
      let r = this.cursor + i
      if (r >= n) r -= n
      if (!this.admission.canTake(r, c)) continue
      const o = out[r]
      if (best < 0 || o < bestOut) {
        best = r
        bestOut = o
        if (o === 0) break
      }
    }
    if (best >= 0) this.cursor = best + 1 === n ? 0 : best + 1
    return best
  }
}

/**
 * Prefix affinity (session-sticky routing, as LLM routers do to keep prefix-cache hits): the replica
 * that holds the task's context when it can take the call now, else the least outstanding.
 */
class PrefixAffinity extends Policy {
  private readonly cache: PrefixCache
  private readonly calls: CallTable
  constructor(
    ctx: PolicyContext,
    private readonly fallback: LeastOutstanding,
  ) {
    super(ctx)
    this.cache = ctx.cache as PrefixCache
    this.calls = ctx.calls
  }
  pick(c: number): number {
    const r = this.cache.replicaOf(this.calls.task[c])
    if (r >= 0 && this.admission.canTake(r, c)) return r
    return this.fallback.pick(c)
  }
}

/** The seeds' load balancer: typeMatch·w1 + 1/(1+load)·w2 + performance·w3, highest wins. */
export class ScorePolicy extends Policy {
  private readonly wType: number
  private readonly wLoad: number
  private readonly wPerf: number
  private readonly alpha: number
  /** Per replica: EWMA of service time (per output token for LLM calls); 0 before its first completion. */
  private ewma = new Float64Array(16)
  private cursor = 0
  private readonly typeIds = new Map<string, number>()
  /** Per pool, per task type id: 2 the pool is specialised for it, 1 a generalist pool, 0 specialised elsewhere. */
  private readonly poolTypeMatch: Uint8Array[] = []
  private readonly ctx: PolicyContext

  constructor(ctx: PolicyContext, config: RoutingConfig) {
    super(ctx)
    this.ctx = ctx
    const w = config.score ?? {typeMatch: 0.5, load: 0.3, performance: 0.2}
    this.wType = w.typeMatch
    this.wLoad = w.load
    this.wPerf = w.performance
    this.alpha = config.ewmaAlpha ?? 0.1
  }

  pick(c: number): number {
    const R = this.replicas
    const n = R.n
    const task = this.ctx.tasks.obj[this.ctx.calls.task[c]] as Task
    const tt = this.typeId(task.taskType)
    let bestEwma = Number.POSITIVE_INFINITY
    for (let r = 0; r < n; r++) {
      const e = this.ewma[r]
      if (e > 0 && e < bestEwma && R.state[r] === ReplicaState.READY) bestEwma = e
    }
    let best = -1
    let bestScore = 0
    for (let i = 0; i < n; i++) {
      let r = this.cursor + i
      if (r >= n) r -= n
      if (!this.admission.canTake(r, c)) continue
      const e = this.ewma[r]
      const perf = e > 0 && bestEwma < Number.POSITIVE_INFINITY ? bestEwma / e : 1
      const match = this.poolTypeMatch[R.pool[r]][tt] * 0.5
      const s = this.wType * match + this.wLoad / (1 + R.out[r]) + this.wPerf * perf
      if (best < 0 || s > bestScore) {
        best = r
        bestScore = s
      }
    }
    if (best >= 0) this.cursor = best + 1 === n ? 0 : best + 1
    return best
  }

  /** Call c finished on replica r: update r's recent performance. */
  notePerformance(c: number, r: number): void {
    const service = this.ctx.sim.now - this.ctx.calls.dispatchS[c]
    const perUnit = this.ctx.isLlm ? service / this.ctx.calls.output[c] : service
    const e = this.ewma[r]
    this.ewma[r] = e === 0 ? perUnit : e + this.alpha * (perUnit - e)
  }

  override addReplica(r: number): void {
    if (r >= this.ewma.length) this.ewma = grown(this.ewma, 2 * r)
  }

  private typeId(type: string): number {
    let id = this.typeIds.get(type)
    if (id === undefined) {
      id = this.typeIds.size
      this.typeIds.set(type, id)
      const pools = this.ctx.pools
      for (let p = 0; p < pools.length; p++) {
        const types = pools[p].taskTypes
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
}
