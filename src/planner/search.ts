/**
 * The search for one phase: candidates cheapest first, each verified by simulation on the first seed
 * and, once it passes, on the others; the first to pass every seed is the choice. Baselines (the
 * seeds' own fleets) are simulated under the same load and SLOs. Everything rejected keeps its reason.
 */
import {analyticChecks, byCost, type Candidate, enumerateCandidates, fmt, type Offer} from './candidates.js'
import {type SeedOutcome, type SimContext, simulateCandidate, worstRatio} from './verify.js'

export type Verdict =
  | {status: 'pruned'; reason: string}
  | {status: 'failed'; reason: string; outcomes: SeedOutcome[]}
  | {status: 'passed'; outcomes: SeedOutcome[]}
  | {status: 'estimated'; pass: boolean; reason: string}
  | {status: 'not-simulated'; reason: string}

export interface Evaluated {
  candidate: Candidate
  verdict: Verdict
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
}

export async function searchPhase(offers: readonly Offer[], baselines: readonly Candidate[], ctx: SimContext, options: SearchOptions): Promise<PhaseSearch> {
  const w = ctx.load.stats
  const slo = ctx.request.slo
  const {candidates, pruned} = enumerateCandidates(offers, w, {slo, budgetPerDayUsd: options.budgetPerDayUsd})
  const evaluated: Evaluated[] = pruned.map((p) => ({candidate: p.candidate, verdict: {status: 'pruned', reason: p.reason}}))
  const before = ctx.counter.simulations
  let chosen: Evaluated | undefined
  const max = options.maxCandidates ?? 40
  let tried = 0
  for (const c of candidates) {
    if (chosen) {
      evaluated.push({candidate: c, verdict: {status: 'not-simulated', reason: `costs more than the choice ${chosen.candidate.id} ($${fmt(c.costPerHourUsd)}/h vs $${fmt(chosen.candidate.costPerHourUsd)}/h)`}})
      continue
    }
    if (options.fast) {
      const a = analyticChecks(c.estimate, slo)
      const misses = a.checks.filter((k) => !k.pass).map((k) => `${k.objective} ${k.actual === null ? 'no data' : fmt(k.actual)} > ${k.target} (estimated)`)
      const e: Evaluated = {candidate: c, verdict: {status: 'estimated', pass: a.pass, reason: a.pass ? 'meets every SLO (analytic estimate)' : misses.join('; ')}}
      evaluated.push(e)
      if (a.pass) chosen = e
      continue
    }
    if (tried >= max) {
      evaluated.push({candidate: c, verdict: {status: 'not-simulated', reason: `search stopped after ${max} simulated candidates`}})
      continue
    }
    tried++
    const e = await verify(c, ctx, options.seeds)
    evaluated.push(e)
    if (e.verdict.status === 'passed') chosen = e
  }
  const baselineResults: Evaluated[] = []
  for (const b of baselines) {
    if (options.fast) {
      const a = analyticChecks(b.estimate, slo)
      baselineResults.push({candidate: b, verdict: {status: 'estimated', pass: a.pass, reason: a.pass ? 'meets every SLO (analytic estimate)' : a.checks.filter((k) => !k.pass).map((k) => k.objective).join(', ')}})
    } else {
      baselineResults.push(await verify(b, ctx, options.seeds, true))
    }
  }
  if (chosen && !options.fast) {
    // Two larger fleets of the chosen shape show what more money buys (the Pareto front's upper end).
    for (const extra of [1, 2]) {
      const bigger = evaluated.find((e) => e.verdict.status === 'not-simulated' && e.candidate.pools.length === chosen.candidate.pools.length && sameShape(e.candidate, chosen.candidate, extra))
      if (bigger) {
        const r = await verify(bigger.candidate, ctx, options.seeds.slice(0, 1), true)
        bigger.verdict = r.verdict
      }
    }
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

/** Simulate on the seeds in order, stopping at the first that fails (all seeds for baselines). */
async function verify(c: Candidate, ctx: SimContext, seeds: readonly number[], allSeeds = false): Promise<Evaluated> {
  const outcomes: SeedOutcome[] = []
  for (const seed of seeds) {
    const o = await simulateCandidate(c, seed, ctx)
    outcomes.push(o)
    if (!o.pass && !allSeeds) break
  }
  const failed = outcomes.find((o) => !o.pass)
  if (failed) return {candidate: c, verdict: {status: 'failed', reason: `seed ${failed.seed}: ${failed.misses.join('; ')}`, outcomes}}
  return {candidate: c, verdict: {status: 'passed', outcomes}}
}

function sameShape(a: Candidate, b: Candidate, extra: number): boolean {
  return a.pools.every((p, i) => p.name === b.pools[i].name && p.replicas === b.pools[i].replicas + (i === 0 ? extra : 0))
}

function closeness(e: Evaluated): number {
  if (e.verdict.status === 'failed' || e.verdict.status === 'passed') return Math.max(...e.verdict.outcomes.map((o) => worstRatio(o.checks)))
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
