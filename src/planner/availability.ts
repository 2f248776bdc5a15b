/**
 * The availability floor: a production service must survive a pod failure, a node drain or a rollout.
 * A fleet needs at least `minReplicas` replicas in total and, with `survive: one-replica-loss`, must
 * still meet the SLOs at the phase's peak with its largest replica lost (N+1). Analytic here (for
 * pruning); the search verifies the reduced fleet by simulation.
 */
import type {ResolvedProfile} from '../fleet/profiles/index.js'
import type {ReplicaCapacity} from './analytic.js'
import {type Candidate, capacityOf, fmt, makeCandidate} from './candidates.js'
import type {AvailabilityPolicy} from './spec.js'
import type {WorkloadStats} from './workload.js'

export function totalReplicas(c: Candidate): number {
  return c.pools.reduce((a, p) => a + p.replicas, 0)
}

/** The pool whose replica carries the most (calls/s, then GPUs, then name): the one whose loss hurts most. */
export function largestReplicaPool(c: Candidate, caps: Map<ResolvedProfile, ReplicaCapacity>, w: WorkloadStats): string | undefined {
  let best: {name: string; rate: number; gpus: number} | undefined
  for (const p of c.pools) {
    if (p.replicas <= 0) continue
    const rate = capacityOf(p.profile, caps, w).callsPerS
    const gpus = p.profile.gpusPerReplica
    if (!best || rate > best.rate || (rate === best.rate && (gpus > best.gpus || (gpus === best.gpus && p.name < best.name)))) best = {name: p.name, rate, gpus}
  }
  return best?.name
}

/** The fleet with its largest replica removed (undefined when that leaves no replica). */
export function withoutLargestReplica(c: Candidate, caps: Map<ResolvedProfile, ReplicaCapacity>, w: WorkloadStats): {fleet: Candidate; lost: string} | undefined {
  const lost = largestReplicaPool(c, caps, w)
  if (lost === undefined || totalReplicas(c) <= 1) return undefined
  const pools = c.pools.map((p) => (p.name === lost ? {...p, replicas: p.replicas - 1} : p)).filter((p) => p.replicas > 0)
  return {fleet: makeCandidate(pools, caps, w, c.origin, c.label), lost}
}

/**
 * Why a fleet breaks the policy before any simulation, or undefined: too few replicas, or (N+1) the
 * fleet minus its largest replica cannot carry the peak at any latency (utilization ≥ 1).
 */
export function availabilityPruneReason(c: Candidate, policy: AvailabilityPolicy, caps: Map<ResolvedProfile, ReplicaCapacity>, w: WorkloadStats): string | undefined {
  const n = totalReplicas(c)
  if (n < policy.minReplicas) return `availability: ${n} replica${n === 1 ? '' : 's'} < minReplicas ${policy.minReplicas}`
  if (policy.survive !== 'one-replica-loss') return undefined
  const reduced = withoutLargestReplica(c, caps, w)
  if (!reduced) return 'N+1: losing its only replica leaves none'
  const capacity = reduced.fleet.pools.reduce((a, p) => a + p.replicas * capacityOf(p.profile, caps, w).callsPerS, 0)
  if (reduced.fleet.estimate.utilization >= 1) {
    return `N+1: with one ${reduced.lost} replica lost, ${fmt(capacity)} calls/s capacity < ${fmt(w.callRatePerS)} calls/s at the peak (utilization ${fmt(reduced.fleet.estimate.utilization)})`
  }
  return undefined
}

/** The policy in words (PLAN.md). */
export function describePolicy(policy: AvailabilityPolicy): string {
  const floor = `at least ${policy.minReplicas} replica${policy.minReplicas === 1 ? '' : 's'} in total at every size (the HPA's minReplicas included)`
  return policy.survive === 'one-replica-loss'
    ? `${floor}, and the SLOs still met at the phase's peak with the fleet's largest replica lost (N+1: a pod failure, node drain or rollout)`
    : `${floor}; losing a replica is not planned for (survive: none)`
}
