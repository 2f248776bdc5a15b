/**
 * The router: one policy object per run (routing-policies.ts) picks the replica for a call; the
 * router keeps what every policy relies on in step with the fleet: each replica's outstanding calls
 * and, for the policies that use it, the least-outstanding index over READY replicas.
 */
import {LoadIndex} from './load-index.js'
import type {ReplicaLifecycle} from './replica-lifecycle.js'
import type {ReplicaTable} from './replica-table.js'
import {makeRoutePolicy, needsLoadIndex, type PolicyContext, type RoutePolicy, ScorePolicy} from './routing-policies.js'
import {type PoolConfig, ReplicaState, type RoutingConfig} from './types.js'

export class Router {
  readonly policy: RoutePolicy
  /** The least-outstanding index (least-outstanding and prefix-affinity's fallback walk it). */
  private readonly index: LoadIndex | undefined
  /** The score policy learns from completions; undefined for the others. */
  private readonly score: ScorePolicy | undefined
  private readonly replicas: ReplicaTable
  private lifecycle!: ReplicaLifecycle

  /** maxCap: the largest capacity (maxBatchSeqs or slots) of any pool. */
  constructor(config: RoutingConfig, ctx: Omit<PolicyContext, 'index'>, replicaSlots: number, maxCap: number) {
    this.replicas = ctx.replicas
    this.index = needsLoadIndex(config) ? new LoadIndex(ctx.replicas, replicaSlots, maxCap) : undefined
    this.policy = makeRoutePolicy(config, {...ctx, index: this.index})
    this.score = this.policy instanceof ScorePolicy ? this.policy : undefined
  }

  link(lifecycle: ReplicaLifecycle): void {
    this.lifecycle = lifecycle
  }

  /** The replica the policy picks among those that can take call c now, or -1. */
  pick(c: number): number {
    return this.policy.pick(c)
  }

  /** Replica r of `pool` was created (its capacity set). */
  addReplica(r: number, pool: PoolConfig): void {
    this.policy.addReplica(r, pool)
  }

  /** Replica r became READY: it may take work. */
  replicaReady(r: number): void {
    if (this.index !== undefined) this.index.add(r)
  }

  /** Replica r (READY until now) stops taking work. */
  replicaUnready(r: number): void {
    if (this.index !== undefined) this.index.remove(r)
  }

  /** Change a replica's outstanding count by ±1, keeping the index; a draining replica that empties is gone. */
  addOutstanding(r: number, delta: number): void {
    const R = this.replicas
    if (this.index !== undefined && R.state[r] === ReplicaState.READY) {
      this.index.remove(r)
      R.out[r] += delta
      this.index.add(r)
      if (R.out[r] === 0) R.dispSum[r] = 0 // no rounding drift carried past an empty replica
    } else {
      R.out[r] += delta
      if (R.out[r] === 0) {
        R.dispSum[r] = 0
        if (R.state[r] === ReplicaState.DRAINING) this.lifecycle.retire(r)
      }
    }
  }

  /** Call c finished on replica r (the score policy's recent performance). */
  noteCompletion(c: number, r: number): void {
    if (this.score !== undefined) this.score.notePerformance(c, r)
  }

  /** Room for `replicas` replicas of capacity up to `maxCap`. */
  grow(replicas: number, maxCap: number): void {
    if (this.index !== undefined) this.index.grow(replicas, maxCap)
  }
}
