/**
 * The search for one phase: candidates cheapest first, each verified by simulation on the first seed
 * and, once it passes, on the others; the first to pass every seed is the choice. Baselines (the
 * seeds' own fleets) are simulated under the same load and SLOs. Everything rejected keeps its reason.
 */
import type {ResolvedProfile} from '../fleet/profiles/index.js'
import type {ReplicaCapacity} from './analytic.js'
import {availabilityPruneReason, withoutLargestReplica} from './availability.js'
import {analyticChecks, byCost, type Candidate, enumerateCandidates, fmt, type Offer} from './candidates.js'
import type {AvailabilityPolicy} from './spec.js'
import {countPeak, type SeedOutcome, type SimContext, simulateCandidate, worstRatio} from './verify.js'

export type Verdict =
  | {status: 'pruned'; reason: string}
  | {status: 'failed'; reason: string; outcomes: SeedOutcome[]}
  | {status: 'passed'; outcomes: SeedOutcome[]}
  | {status: 'estimated'; pass: boolean; reason: string}
  | {status: 'not-simulated'; reason: string}

/** The availability policy's verdict on a fleet (N+1: simulated with its largest replica lost). */
export interface AvailabilityVerdict {
  pass: boolean
  /** Why it fails, or what was checked. */
  reason: string
  /** Pool one replica was removed from (N+1). */
  lost?: string
  /** Simulations of the fleet minus that replica, per seed (absent when decided without simulating). */
  outcomes?: SeedOutcome[]
  /** With --fast: the analytic estimate of the reduced fleet. */
  estimated?: boolean
}

export interface Evaluated {
  candidate: Candidate
  verdict: Verdict
  /** Judged under the availability policy (search candidates that reached simulation, baselines). */
  availability?: AvailabilityVerdict
}

export interface PhaseSearch {
  chosen?: Evaluated
  /** Nothing passed: the candidate that came closest (smallest worst actual/target). */
  closest?: Evaluated
  evaluated: Evaluated[]
  baselines: Evaluated[]
  /** Simulated candidates not beaten on both cost and latency (p95). */
  pareto: Evaluated[]
  pruned: number
  simulated: number
}

export interface SearchOptions {
  seeds: readonly number[]
  fast: boolean
  budgetPerDayUsd?: number
  /** Most candidates simulated per phase before giving up. */
  maxCandidates?: number
  availability?: AvailabilityPolicy
}

export async function searchPhase(offers: readonly Offer[], baselines: readonly Candidate[], ctx: SimContext, options: SearchOptions): Promise<PhaseSearch> {
  const w = ctx.load.stats
  const slo = ctx.request.slo
  const policy = options.availability
  const {candidates, pruned} = enumerateCandidates(offers, w, {slo, budgetPerDayUsd: options.budgetPerDayUsd, availability: policy})
  const caps = new Map<ResolvedProfile, ReplicaCapacity>()
  const judge = (c: Candidate, seeds: readonly number[], allSeeds = false) => verify(c, ctx, seeds, allSeeds, policy, caps)
  const evaluated: Evaluated[] = pruned.map((p) => ({candidate: p.candidate, verdict: {status: 'pruned', reason: p.reason}}))
  const before = ctx.counter.simulations
  let chosen: Evaluated | undefined
  const max = options.maxCandidates ?? 40
  let tried = 0
  // Verified cheapest first. With W threads the next W candidates are simulated at once and taken in
  // cost order up to the first that passes; what was simulated past it is dropped (not counted, not
  // shown), so the plan is the same whatever W.
  const width = Math.max(1, ctx.executor.parallel)
  let i = 0
  while (i < candidates.length) {
    const c = candidates[i]
    if (chosen) {
      evaluated.push({candidate: c, verdict: {status: 'not-simulated', reason: `costs more than the choice ${chosen.candidate.id} ($${fmt(c.costPerHourUsd)}/h vs $${fmt(chosen.candidate.costPerHourUsd)}/h)`}})
      i++
      continue
    }
    if (options.fast) {
      const a = analyticChecks(c.estimate, slo)
      const misses = a.checks.filter((k) => !k.pass).map((k) => `${k.objective} ${k.actual === null ? 'no data' : fmt(k.actual)} > ${k.target} (estimated)`)
      const av = policy ? estimatedAvailability(c, policy, caps, ctx) : undefined
      if (a.pass && av && !av.pass) misses.push(av.reason)
      const pass = a.pass && (av?.pass ?? true)
      const e: Evaluated = {candidate: c, verdict: {status: 'estimated', pass, reason: pass ? 'meets every SLO (analytic estimate)' : misses.join('; ')}, ...(av ? {availability: av} : {})}
      evaluated.push(e)
      if (pass) chosen = e
      i++
      continue
    }
    if (tried >= max) {
      evaluated.push({candidate: c, verdict: {status: 'not-simulated', reason: `search stopped after ${max} simulated candidates`}})
      i++
      continue
    }
    const batch = candidates.slice(i, i + Math.min(width, max - tried))
    const results = await Promise.all(batch.map((b) => judge(b, options.seeds)))
    for (const e of results) {
      if (chosen) break
      tried++
      i++
      countPeak(ctx, simulationsOf(e))
      evaluated.push(e)
      if (e.verdict.status === 'passed') chosen = e
    }
  }
  const baselineResults: Evaluated[] = []
  if (options.fast) {
    for (const b of baselines) {
      const a = analyticChecks(b.estimate, slo)
      const av = policy ? estimatedAvailability(b, policy, caps, ctx) : undefined
      baselineResults.push({candidate: b, verdict: {status: 'estimated', pass: a.pass, reason: a.pass ? 'meets every SLO (analytic estimate)' : a.checks.filter((k) => !k.pass).map((k) => k.objective).join(', ')}, ...(av ? {availability: av} : {})})
    }
  } else {
    // A baseline's verdict is its SLOs at full size; the availability policy is judged beside it.
    for (const e of await Promise.all(baselines.map((b) => judge(b, options.seeds, true)))) {
      countPeak(ctx, simulationsOf(e))
      baselineResults.push(e)
    }
  }
  if (chosen && !options.fast) {
    // Two larger fleets of the chosen shape show what more money buys (the Pareto front's upper end).
    const shape = chosen.candidate
    const bigger = [1, 2].map((extra) => evaluated.find((e) => e.verdict.status === 'not-simulated' && e.candidate.pools.length === shape.pools.length && sameShape(e.candidate, shape, extra)))
    const judged = await Promise.all(bigger.map((b) => (b ? judge(b.candidate, options.seeds.slice(0, 1), true) : Promise.resolve(undefined))))
    bigger.forEach((b, k) => {
      const r = judged[k]
      if (!b || !r) return
      countPeak(ctx, simulationsOf(r))
      b.verdict = r.verdict
      if (r.availability) b.availability = r.availability
    })
  }
  const simulatedAll = [...evaluated, ...baselineResults].filter((e) => e.verdict.status === 'passed' || e.verdict.status === 'failed')
  let closest: Evaluated | undefined
  if (!chosen) {
    const pool = options.fast ? evaluated.filter((e) => e.verdict.status === 'estimated') : simulatedAll.filter((e) => e.candidate.origin === 'search')
    closest = pool.sort((a, b) => closeness(a) - closeness(b) || byCost(a.candidate, b.candidate))[0]
    // Nothing got as far as simulation: the cheapest fleet only the limits or the budget ruled out
    // (it would carry the load), else the cheapest rejected one.
    const outOfBounds = (e: Evaluated): number => (e.verdict.status === 'pruned' && /^(budget|limit):/.test(e.verdict.reason) ? 0 : 1)
    closest ??= [...evaluated].sort((a, b) => outOfBounds(a) - outOfBounds(b) || byCost(a.candidate, b.candidate))[0]
  }
  evaluated.sort((a, b) => byCost(a.candidate, b.candidate))
  return {
    chosen,
    closest,
    evaluated,
    baselines: baselineResults,
    pareto: paretoFront(simulatedAll),
    pruned: pruned.length,
    simulated: ctx.counter.simulations - before,
  }
}

/**
 * Simulate on the seeds in order, stopping at the first that fails (all seeds for baselines); then,
 * under the availability policy, the fleet minus its largest replica on the same seeds. A search
 * candidate that breaks the policy fails with the policy's reason; a baseline keeps its full-size
 * verdict and carries the policy's beside it (`allSeeds`).
 */
async function verify(c: Candidate, ctx: SimContext, seeds: readonly number[], allSeeds: boolean, policy: AvailabilityPolicy | undefined, caps: Map<ResolvedProfile, ReplicaCapacity>): Promise<Evaluated> {
  const outcomes = await simulateSeeds(c, ctx, seeds, allSeeds)
  const failed = outcomes.find((o) => !o.pass)
  if (failed) {
    const e: Evaluated = {candidate: c, verdict: {status: 'failed', reason: `seed ${failed.seed}: ${failed.misses.join('; ')}`, outcomes}}
    // A baseline that misses at full size is still judged against the floor (no N+1 simulation).
    if (policy && allSeeds) e.availability = floorOnly(c, policy, caps, ctx) ?? {pass: false, reason: 'N+1: not checked (misses the SLOs at full size)'}
    return e
  }
  const availability = policy ? await simulatedAvailability(c, policy, caps, ctx, seeds, allSeeds) : undefined
  if (availability && !availability.pass && c.origin === 'search') {
    return {candidate: c, verdict: {status: 'failed', reason: availability.reason, outcomes}, availability}
  }
  return {candidate: c, verdict: {status: 'passed', outcomes}, ...(availability ? {availability} : {})}
}

/** Peak-window simulations behind a verdict: the fleet's seeds and, under N+1, the reduced fleet's. */
function simulationsOf(e: Evaluated): number {
  const full = e.verdict.status === 'passed' || e.verdict.status === 'failed' ? e.verdict.outcomes.length : 0
  return full + (e.availability?.outcomes?.length ?? 0)
}

async function simulateSeeds(c: Candidate, ctx: SimContext, seeds: readonly number[], allSeeds: boolean): Promise<SeedOutcome[]> {
  const outcomes: SeedOutcome[] = []
  for (const seed of seeds) {
    const o = await simulateCandidate(c, seed, ctx)
    outcomes.push(o)
    if (!o.pass && !allSeeds) break
  }
  return outcomes
}

/** The replica floor and the N+1 capacity bound, without simulating; undefined when both hold. */
function floorOnly(c: Candidate, policy: AvailabilityPolicy, caps: Map<ResolvedProfile, ReplicaCapacity>, ctx: SimContext): AvailabilityVerdict | undefined {
  const reason = availabilityPruneReason(c, policy, caps, ctx.load.stats)
  return reason ? {pass: false, reason} : undefined
}

async function simulatedAvailability(c: Candidate, policy: AvailabilityPolicy, caps: Map<ResolvedProfile, ReplicaCapacity>, ctx: SimContext, seeds: readonly number[], allSeeds: boolean): Promise<AvailabilityVerdict> {
  const floor = floorOnly(c, policy, caps, ctx)
  if (floor) return floor
  if (policy.survive !== 'one-replica-loss') return {pass: true, reason: floorMet(c, policy)}
  const reduced = withoutLargestReplica(c, caps, ctx.load.stats)
  if (!reduced) return {pass: false, reason: 'N+1: losing its only replica leaves none'}
  const outcomes = await simulateSeeds(reduced.fleet, ctx, seeds, allSeeds)
  const failed = outcomes.find((o) => !o.pass)
  if (failed) return {pass: false, lost: reduced.lost, outcomes, reason: `N+1: seed ${failed.seed}: ${failed.misses.join('; ')} with one ${reduced.lost} replica lost`}
  const worst = Math.max(...outcomes.map((o) => o.ttftP95S ?? Number.POSITIVE_INFINITY))
  return {pass: true, lost: reduced.lost, outcomes, reason: `N+1: meets every SLO with one ${reduced.lost} replica lost (worst TTFT p95 ${fmt(worst)} s, seeds ${outcomes.map((o) => o.seed).join(', ')})`}
}

function floorMet(c: Candidate, policy: AvailabilityPolicy): string {
  const n = c.pools.reduce((a, p) => a + p.replicas, 0)
  return `${n} replica${n === 1 ? '' : 's'} ≥ minReplicas ${policy.minReplicas}; losing a replica not checked (survive: none)`
}

/** --fast: the policy judged on the analytic estimate of the fleet minus its largest replica. */
function estimatedAvailability(c: Candidate, policy: AvailabilityPolicy, caps: Map<ResolvedProfile, ReplicaCapacity>, ctx: SimContext): AvailabilityVerdict {
  const floor = floorOnly(c, policy, caps, ctx)
  if (floor) return {...floor, estimated: true}
  if (policy.survive !== 'one-replica-loss') return {pass: true, reason: floorMet(c, policy), estimated: true}
  const reduced = withoutLargestReplica(c, caps, ctx.load.stats)
  if (!reduced) return {pass: false, reason: 'N+1: losing its only replica leaves none', estimated: true}
  const a = analyticChecks(reduced.fleet.estimate, ctx.request.slo)
  const misses = a.checks.filter((k) => !k.pass).map((k) => `${k.objective} ${k.actual === null ? 'no data' : fmt(k.actual)} > ${k.target}`)
  return a.pass
    ? {pass: true, lost: reduced.lost, estimated: true, reason: `N+1: estimated to meet every SLO with one ${reduced.lost} replica lost (TTFT p95 ${fmt(reduced.fleet.estimate.ttftP95S)} s)`}
    : {pass: false, lost: reduced.lost, estimated: true, reason: `N+1: ${misses.join('; ')} with one ${reduced.lost} replica lost (estimated)`}
}

function sameShape(a: Candidate, b: Candidate, extra: number): boolean {
  return a.pools.every((p, i) => p.name === b.pools[i].name && p.replicas === b.pools[i].replicas + (i === 0 ? extra : 0))
}

function closeness(e: Evaluated): number {
  if (e.verdict.status === 'failed' || e.verdict.status === 'passed') return Math.max(...[...e.verdict.outcomes, ...(e.availability?.outcomes ?? [])].map((o) => worstRatio(o.checks)))
  return e.candidate.estimate.ttftP95S
}

/** The latency the front is drawn against: the worst seed's p95 TTFT. */
export function p95Of(e: Evaluated): number {
  if (e.verdict.status !== 'passed' && e.verdict.status !== 'failed') return e.candidate.estimate.ttftP95S
  return Math.max(...e.verdict.outcomes.map((o) => o.ttftP95S ?? Number.POSITIVE_INFINITY))
}

function paretoFront(list: readonly Evaluated[]): Evaluated[] {
  const sorted = [...list].sort((a, b) => a.candidate.costPerHourUsd - b.candidate.costPerHourUsd || p95Of(a) - p95Of(b))
  const front: Evaluated[] = []
  let best = Number.POSITIVE_INFINITY
  for (const e of sorted) {
    const p = p95Of(e)
    if (p < best) {
      front.push(e)
      best = p
    }
  }
  return front
}
