/**
 * Candidate fleets for a phase: GPU type × tensor parallelism × replicas, and two-type mixes, each
 * with its price, GPU count and analytic estimate; and the rules that prune them before simulation
 * (capacity, availability limits, budget, dominance).
 */
import {buildProfile, type Catalog, DoesNotFitError, getGpu, type ResolvedProfile, UnsupportedPrecisionError} from '../fleet/profiles/index.js'
import {FleetcapError, InputError} from '../errors.js'
import {checkSlo, type SloCheck} from '../report/report.js'
import type {SloSpec} from '../scenario/schema.js'
import {estimateFleet, type FleetEstimate, type ReplicaCapacity, replicaCapacity} from './analytic.js'
import {availabilityPruneReason, totalReplicas, withoutLargestReplica} from './availability.js'
import type {AvailabilityPolicy, GpuOffer} from './spec.js'
import type {WorkloadStats} from './workload.js'

/** A dominating candidate's TTFT estimate must be at most this fraction of the dominated one's. */
export const DOMINANCE_MARGIN = 0.8

export interface Offer {
  profile: ResolvedProfile
  /** GPU name as in the catalog. */
  gpu: string
  maxGpus?: number
}

export interface CandidatePool {
  /** Stable pool name: `<gpu>-tp<N>` lowercased, e.g. `a100-80gb-tp4`. */
  name: string
  profile: ResolvedProfile
  replicas: number
  taskTypes?: string[]
}

export interface Candidate {
  /** Stable id: pools joined, e.g. `a100-80gb-tp4x3` or `h100-sxm-tp4x8+a100-80gb-tp4x2`. */
  id: string
  origin: 'search' | 'baseline'
  /** Baselines: the label shown beside fleetcap's choice. */
  label?: string
  pools: CandidatePool[]
  gpuCounts: Record<string, number>
  costPerHourUsd: number
  estimate: FleetEstimate
  /** With survive: one-replica-loss, the estimate with the largest replica lost (N+1), and its pool. */
  degraded?: {estimate: FleetEstimate; lost: string}
}

/** A (GPU, TP) pair that could not serve the model at all. */
export interface Unfit {
  gpu: string
  tensorParallel: number
  reason: string
}

/** Build the serving profiles the search may use: every offered GPU at every TP where the model fits. */
export function buildOffers(model: string, gpus: readonly GpuOffer[] | undefined, tps: readonly number[], catalog: Catalog, profileOpts: {engine?: string; precision?: string} = {}): {offers: Offer[]; unfit: Unfit[]} {
  const list: GpuOffer[] = gpus ? [...gpus] : catalog.gpus.map((g) => ({gpu: g.name}))
  const offers: Offer[] = []
  const unfit: Unfit[] = []
  const seen = new Set<string>()
  for (const [i, o] of list.entries()) {
    let gpu: string
    try {
      gpu = getGpu(o.gpu, catalog).name
    } catch (error) {
      if (error instanceof FleetcapError) throw new FleetcapError(`gpus[${i}].gpu: ${error.message}`, {hint: error.hint})
      throw error
    }
    if (seen.has(gpu)) throw new FleetcapError(`gpus[${i}].gpu: ${gpu} is listed twice`)
    seen.add(gpu)
    for (const tp of tps) {
      try {
        const profile = buildProfile({model, gpu, tensorParallel: tp, engine: profileOpts.engine, precision: profileOpts.precision, pricePerGpuHourUsd: o.pricePerGpuHourUsd, catalog})
        offers.push({profile, gpu, maxGpus: o.maxGpus})
      } catch (error) {
        if (error instanceof UnsupportedPrecisionError) {
          // A GPU the user named that cannot run the asked precision is an error; from the whole catalog it is left out.
          if (gpus) throw new InputError({field: `gpus[${i}].gpu`}, `${error.message}; leave ${gpu} out or ask for a precision it runs`)
          unfit.push({gpu, tensorParallel: tp, reason: `not supported: ${error.message}`})
          break
        }
        if (!(error instanceof DoesNotFitError)) throw error
        unfit.push({gpu, tensorParallel: tp, reason: `does not fit: ${error.message.replace(/^.*?: /, '').replace(/; try a larger --tp$/, '')}`})
      }
    }
  }
  return {offers, unfit}
}

export function poolName(profile: ResolvedProfile): string {
  return `${profile.gpu}-tp${profile.tensorParallel}`.toLowerCase().replace(/[^a-z0-9-]/g, '-')
}

export function makeCandidate(pools: CandidatePool[], capacities: Map<ResolvedProfile, ReplicaCapacity>, w: WorkloadStats, origin: Candidate['origin'] = 'search', label?: string): Candidate {
  const gpuCounts: Record<string, number> = {}
  let cost = 0
  for (const p of pools) {
    gpuCounts[p.profile.gpu] = (gpuCounts[p.profile.gpu] ?? 0) + p.replicas * p.profile.gpusPerReplica
    cost += p.replicas * p.profile.pricePerHourUsd
  }
  const estimate = estimateFleet(
    pools.map((p) => ({replicas: p.replicas, capacity: capacityOf(p.profile, capacities, w)})),
    w,
  )
  const id = pools.map((p) => `${p.name}x${p.replicas}`).join('+')
  return {id, origin, ...(label === undefined ? {} : {label}), pools, gpuCounts, costPerHourUsd: cost, estimate}
}

export function capacityOf(profile: ResolvedProfile, cache: Map<ResolvedProfile, ReplicaCapacity>, w: WorkloadStats): ReplicaCapacity {
  let c = cache.get(profile)
  if (!c) {
    c = replicaCapacity(profile, w)
    cache.set(profile, c)
  }
  return c
}

/** The analytic estimate checked against the SLOs, as the simulator's report would check it. */
export function analyticChecks(e: FleetEstimate, slo: SloSpec): {pass: boolean; checks: SloCheck[]} {
  const q = (mean: number, p95: number, p99: number) => ({count: 1, meanS: mean, p50S: mean, p90S: p95, p95S: p95, p99S: p99, maxS: p99})
  const feasible = e.utilization < 1
  return checkSlo(
    slo,
    {
      calls: 1,
      queueWaitS: q(e.waitP95S, e.waitP95S, e.waitP95S),
      ttftS: q(e.ttftP95S, e.ttftP95S, e.ttftP95S),
      tpotS: q(e.tpotS, e.tpotS, e.tpotS),
      e2eS: q(e.callE2eS, e.callE2eS, e.callE2eS),
      taskE2eS: q(e.taskE2eS, e.taskE2eP95S, e.taskE2eP95S),
    },
    feasible ? 0 : 1,
  )
}

export interface Enumerated {
  candidates: Candidate[]
  /** Rejected before simulation, with why. */
  pruned: Array<{candidate: Candidate; reason: string}>
}

export interface EnumerateOptions {
  slo: SloSpec
  budgetPerDayUsd?: number
  /** Most replica counts tried per profile beyond the capacity bound. */
  maxExtraReplicas?: number
  /** Profiles (cheapest per unit of capacity) combined pairwise into mixes. */
  mixProfiles?: number
  /** Availability floor (default: none, every fleet size allowed). */
  availability?: AvailabilityPolicy
}

/** Every candidate for a phase, pruned by capacity, limits, budget and dominance. */
export function enumerateCandidates(offers: readonly Offer[], w: WorkloadStats, options: EnumerateOptions): Enumerated {
  const caps = new Map<ResolvedProfile, ReplicaCapacity>()
  const limitOf = new Map<string, number | undefined>(offers.map((o) => [o.gpu, o.maxGpus]))
  const lambda = w.callRatePerS
  const all: Candidate[] = []
  const pruned: Enumerated['pruned'] = []
  const policy = options.availability
  const nPlusOne = policy?.survive === 'one-replica-loss'
  // With N+1 every candidate carries the estimate of itself minus its largest replica.
  const withDegraded = (c: Candidate): Candidate => {
    if (!nPlusOne) return c
    const r = withoutLargestReplica(c, caps, w)
    return {...c, degraded: r ? {estimate: r.fleet.estimate, lost: r.lost} : {estimate: estimateFleet([], w), lost: c.pools[0]?.name ?? ''}}
  }
  const single = (o: Offer, n: number): Candidate => withDegraded(makeCandidate([{name: poolName(o.profile), profile: o.profile, replicas: n}], caps, w))
  // The search range ends where the estimate says the fleet meets the SLOs under the policy.
  const meets = (c: Candidate): boolean =>
    analyticChecks(c.estimate, options.slo).pass &&
    (policy === undefined || totalReplicas(c) >= policy.minReplicas) &&
    (c.degraded === undefined || analyticChecks(c.degraded.estimate, options.slo).pass)
  const lowerBound = new Map<Offer, number>()
  for (const o of offers) {
    const cap = capacityOf(o.profile, caps, w)
    // Utilization must stay below 1: fewer replicas cannot carry the peak at any latency.
    const nLb = Math.max(1, Math.floor(lambda / cap.callsPerS) + 1)
    lowerBound.set(o, nLb)
    if (nLb > 1) {
      const c = single(o, nLb - 1)
      pruned.push({candidate: c, reason: `capacity: ${nLb - 1} replica(s) complete at most ${fmt((nLb - 1) * cap.callsPerS)} calls/s < ${fmt(lambda)} calls/s at the peak (utilization ${fmt(c.estimate.utilization)})`})
    }
    let nSlo = nLb
    const cap0 = nLb * 4 + 8
    while (nSlo < cap0 && !meets(single(o, nSlo))) nSlo++
    const last = Math.min(nSlo + (options.maxExtraReplicas ?? 1), cap0)
    for (let n = nLb; n <= last; n++) all.push(single(o, n))
  }
  // Two-type mixes of the profiles with the most capacity per dollar, as the seeds' fleets mix types.
  const ranked = [...offers].sort((a, b) => costPerCapacity(a, caps, w) - costPerCapacity(b, caps, w) || cmp(a.profile.id, b.profile.id))
  const top = ranked.slice(0, options.mixProfiles ?? 4)
  for (let i = 0; i < top.length; i++) {
    for (let j = 0; j < top.length; j++) {
      const a = top[i]
      const b = top[j]
      if (i === j || a.gpu === b.gpu) continue
      const nA = lowerBound.get(a) ?? 1
      for (let na = 1; na < nA && na <= 16; na++) {
        const capB = capacityOf(b.profile, caps, w)
        const capA = capacityOf(a.profile, caps, w)
        let nb = Math.max(1, Math.floor((lambda - na * capA.callsPerS) / capB.callsPerS) + 1)
        const mk = (k: number) =>
          withDegraded(makeCandidate(
            [
              {name: poolName(a.profile), profile: a.profile, replicas: na},
              {name: poolName(b.profile), profile: b.profile, replicas: k},
            ],
            caps,
            w,
          ))
        let c = mk(nb)
        const stop = nb * 4 + 8
        while (nb < stop && !meets(c)) c = mk(++nb)
        all.push(c)
      }
    }
  }
  // Limits and budget.
  const kept: Candidate[] = []
  const seen = new Set<string>()
  for (const c of all) {
    if (seen.has(canonicalKey(c))) continue
    seen.add(canonicalKey(c))
    const over = Object.entries(c.gpuCounts).find(([g, n]) => {
      const lim = limitOf.get(g)
      return lim !== undefined && n > lim
    })
    if (over) {
      pruned.push({candidate: c, reason: `limit: needs ${over[1]} ${over[0]} GPUs, ${limitOf.get(over[0])} available`})
      continue
    }
    if (options.budgetPerDayUsd !== undefined && c.costPerHourUsd * 24 > options.budgetPerDayUsd) {
      pruned.push({candidate: c, reason: `budget: $${fmt(c.costPerHourUsd * 24)}/day > $${fmt(options.budgetPerDayUsd)}/day`})
      continue
    }
    const unavailable = policy ? availabilityPruneReason(c, policy, caps, w) : undefined
    if (unavailable) {
      pruned.push({candidate: c, reason: unavailable})
      continue
    }
    kept.push(c)
  }
  kept.sort(byCost)
  // Dominance: a candidate that costs at least as much as another with no less capacity and a clearly
  // lower latency estimate is never the answer. "Clearly": the estimate is rough near saturation, so
  // it must be lower by a margin (DOMINANCE_MARGIN), not by noise.
  const candidates: Candidate[] = []
  for (const c of kept) {
    const by = candidates.find(
      (d) =>
        d.costPerHourUsd <= c.costPerHourUsd &&
        d.estimate.utilization <= c.estimate.utilization &&
        d.estimate.ttftP95S <= c.estimate.ttftP95S * DOMINANCE_MARGIN &&
        d.estimate.taskE2eP95S <= c.estimate.taskE2eP95S &&
        // Under N+1 it must also be no worse with its largest replica lost.
        (d.degraded === undefined || c.degraded === undefined || (d.degraded.estimate.utilization <= c.degraded.estimate.utilization && d.degraded.estimate.ttftP95S <= c.degraded.estimate.ttftP95S)),
    )
    if (by) pruned.push({candidate: c, reason: `dominated: ${by.id} costs no more ($${fmt(by.costPerHourUsd)}/h) and is estimated faster (TTFT p95 ${fmt(by.estimate.ttftP95S)} s vs ${fmt(c.estimate.ttftP95S)} s)`})
    else candidates.push(c)
  }
  return {candidates, pruned}
}

function canonicalKey(c: Candidate): string {
  return c.pools
    .map((p) => `${p.name}x${p.replicas}`)
    .sort()
    .join('+')
}

function costPerCapacity(o: Offer, caps: Map<ResolvedProfile, ReplicaCapacity>, w: WorkloadStats): number {
  return o.profile.pricePerHourUsd / capacityOf(o.profile, caps, w).callsPerS
}

export function byCost(a: Candidate, b: Candidate): number {
  return a.costPerHourUsd - b.costPerHourUsd || a.estimate.ttftP95S - b.estimate.ttftP95S || cmp(a.id, b.id)
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  return Number(x.toPrecision(3)).toString()
}
