/**
 * Sizing against the serving profiles' uncertainty: under `risk: pessimistic` every candidate is
 * sized and verified with its step times × its profile's band.slow; under `nominal`, as fitted.
 * Also the band of a chosen fleet's headline figures (the fleet re-simulated with its step times at
 * each edge) and what to measure before buying a pool that rests on an unmeasured profile.
 */
import type {ResolvedProfile} from '../fleet/profiles/index.js'
import {scaleStepTimes, stepTimeFactorOf} from '../fleet/step-scale.js'
import type {Candidate, CandidatePool, Offer} from './candidates.js'
import type {ResolvedRequest} from './spec.js'
import {countPeak, type SeedOutcome, type SimContext, simulateCandidate} from './verify.js'
import type {WorkloadStats} from './workload.js'

export type RiskMode = 'nominal' | 'pessimistic'

/** The step-time factor a risk mode applies to a profile. */
export function riskFactor(profile: ResolvedProfile, risk: RiskMode): number {
  return risk === 'pessimistic' ? profile.band.slow : 1
}

/** The profile as the planner sizes it under `risk` (always from the nominal profile). */
export function atRisk(profile: ResolvedProfile, risk: RiskMode): ResolvedProfile {
  const nominal = nominalProfile(profile)
  const f = riskFactor(nominal, risk)
  return f === 1 ? nominal : scaleStepTimes(nominal, f)
}

/** The unscaled profile behind a scaled view. */
export function nominalProfile(profile: ResolvedProfile): ResolvedProfile {
  let p = profile
  while (stepTimeFactorOf(p) !== 1) p = Object.getPrototypeOf(p) as ResolvedProfile
  return p
}

export function offersAtRisk(offers: readonly Offer[], risk: RiskMode): Offer[] {
  return offers.map((o) => ({...o, profile: atRisk(o.profile, risk)}))
}

/** One edge of a phase's band: the chosen fleet re-simulated with every pool's step times × factor. */
export interface BandRun {
  edge: 'fast' | 'nominal' | 'slow'
  ttftP95S: number | null
  taskP95S: number | null
  /** Highest pool utilization at the peak. */
  utilization: number
  errorRate: number
  sloMet: boolean
}

/** The chosen fleet's headline figures at band.fast, nominal and band.slow (seed 1 of the plan). */
export async function phaseBand(chosen: Candidate, ctx: SimContext, seed: number): Promise<BandRun[]> {
  const edges = ['fast', 'nominal', 'slow'] as const
  const outcomes = await Promise.all(
    edges.map((edge) => {
      const pools: CandidatePool[] = chosen.pools.map((p) => {
        const nominal = nominalProfile(p.profile)
        const f = edge === 'nominal' ? 1 : nominal.band[edge]
        return {...p, profile: f === 1 ? nominal : scaleStepTimes(nominal, f)}
      })
      return simulateCandidate({...chosen, pools}, seed, ctx)
    }),
  )
  countPeak(ctx, outcomes.length)
  return outcomes.map((o: SeedOutcome, k) => ({
    edge: edges[k],
    ttftP95S: o.ttftP95S,
    taskP95S: o.taskP95S,
    utilization: Math.max(0, ...Object.values(o.utilization)),
    errorRate: o.errorRate,
    sloMet: o.pass,
  }))
}

/** What a pool's figures rest on, as plan.yaml and PLAN.md state it. */
export interface PoolBasis {
  pool: string
  profile: string
  status: ResolvedProfile['status']
  statusBasis: string
  band: ResolvedProfile['band']
  /** Step-time factor the plan sized this pool with. */
  sizedWith: number
}

export function poolBasis(pool: CandidatePool): PoolBasis {
  const nominal = nominalProfile(pool.profile)
  return {pool: pool.name, profile: nominal.id, status: nominal.status, statusBasis: nominal.statusBasis, band: nominal.band, sizedWith: stepTimeFactorOf(pool.profile)}
}

/**
 * The commands that measure one replica of a pool at its share of the phase's peak before buying:
 * a constant-rate k6 test at the calls/s one replica carries, then `fleetcap calibrate` against the
 * profile (docs/k6.md). REPLICA_URL is the one thing the reader fills in.
 */
export function measureCommands(phase: string, pool: CandidatePool, callsPerReplicaS: number, w: WorkloadStats, request: ResolvedRequest): string[] {
  const dir = `measure/${phase}-${pool.name}`
  const rate = Number(Math.max(0.001, callsPerReplicaS).toPrecision(3))
  const profile = nominalProfile(pool.profile)
  return [
    `fleetcap k6 export --rate ${rate} --duration 10m --tokens ${Math.round(w.meanInputTokens)}:${Math.round(w.meanOutputTokens)} --url REPLICA_URL --model ${request.model} --slo-from plan.yaml --out ${dir}`,
    `fleetcap k6 run ${dir} --k6-json ${dir}/samples.json`,
    `fleetcap calibrate --k6-json ${dir}/samples.json --load ${dir} --profile ${profile.id} --replicas 1 --write-profile ${dir}/measured.yaml`,
  ]
}
