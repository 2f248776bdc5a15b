/**
 * A candidate fleet as a plain scenario: what `fleetcap simulate` would run for it. The planner
 * verifies every fleet by simulating such a scenario (the phase's peak window, or the whole day with
 * the pools' HPAs as `autoscaler:` blocks), so its verdicts are what a user gets from `simulate`.
 *
 * The one thing a scenario file cannot say is the risk mode's step-time factor (the profiles' band):
 * it travels beside the scenario, per pool, and is applied to the catalog's profile when the pool is
 * built (as `simulate --band` applies an edge).
 */
import type {Catalog} from '../fleet/profiles/index.js'
import type {ServingProfile} from '../fleet/types.js'
import {scaleStepTimes, stepTimeFactorOf} from '../fleet/step-scale.js'
import type {AutoscalerInput} from '../scenario/autoscale-schema.js'
import type {LlmPoolSpec, Scenario, SloSpec} from '../scenario/schema.js'
import {catalogResolver} from '../sim/simulate.js'
import type {SyntheticWorkloadSpec} from '../workload/spec.js'
import type {CandidatePool} from './candidates.js'
import type {ResolvedRequest} from './spec.js'

/** A scenario to simulate and the step-time factor of each of its LLM pools (1 when absent). */
export interface PlanScenario {
  scenario: Scenario
  stepTimeFactors: Record<string, number>
}

export interface ScenarioParts {
  name: string
  seed: number
  durationS: number
  workload: SyntheticWorkloadSpec
  /** Replicas at t = 0 per pool, instead of the candidate's (a day that starts at the HPA's floor). */
  initialReplicas?: Record<string, number>
  /** The pools' autoscalers, as a scenario states them. */
  autoscalers?: Record<string, AutoscalerInput>
  sampleIntervalS?: number
}

export function candidateScenario(pools: readonly CandidatePool[], request: ResolvedRequest, parts: ScenarioParts): PlanScenario {
  const stepTimeFactors: Record<string, number> = {}
  const specs = pools.map((p): LlmPoolSpec => {
    const f = stepTimeFactorOf(p.profile)
    if (f !== 1) stepTimeFactors[p.name] = f
    const autoscaler = parts.autoscalers?.[p.name]
    return {
      name: p.name,
      gpu: p.profile.gpu,
      model: p.profile.model,
      tensorParallel: p.profile.tensorParallel,
      engine: p.profile.engine,
      precision: p.profile.precision,
      replicas: parts.initialReplicas?.[p.name] ?? p.replicas,
      // The price the plan priced it at (an offer's or a baseline's override, else the catalog's).
      priceOverride: p.profile.details.price.perGpuUsd,
      ...(p.taskTypes ? {taskTypes: p.taskTypes} : {}),
      ...(request.prefixCache ? {prefixCache: true} : {}),
      ...(autoscaler ? {autoscaler} : {}),
    }
  })
  return {
    scenario: {
      apiVersion: 'fleetcap.dev/v1',
      kind: 'Scenario',
      name: parts.name,
      seed: parts.seed,
      durationS: parts.durationS,
      workload: parts.workload,
      fleet: {pools: specs},
      routing: request.routing,
      queue: {deadlines: request.queueDeadlines},
      slo: request.slo as SloSpec,
      report: {sampleIntervalS: parts.sampleIntervalS ?? 300},
    },
    stepTimeFactors,
  }
}

/** The catalog's profile for a scenario pool, at the step-time factor the plan sized it with; `cache` may outlive one run (a thread's jobs share it). */
export function planResolver(catalog: Catalog, stepTimeFactors: Readonly<Record<string, number>>, cache = new Map<string, ServingProfile>()): (p: LlmPoolSpec) => ServingProfile {
  const resolve = catalogResolver(catalog)
  return (p) => {
    const key = JSON.stringify([p.model, p.gpu, p.tensorParallel, p.engine, p.precision, p.priceOverride, stepTimeFactors[p.name] ?? 1])
    let profile = cache.get(key)
    if (profile === undefined) {
      const base = resolve(p)
      const f = stepTimeFactors[p.name] ?? 1
      profile = f === 1 ? base : scaleStepTimes(base, f)
      cache.set(key, profile)
    }
    return profile
  }
}
