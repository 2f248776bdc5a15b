/**
 * The chosen fleet's whole forecast day with its autoscalers, as a scenario: the phase's workload
 * (target tasks/day on its daily curve, from midnight) arrives at the pools, each carrying the HPA
 * object the plan writes (and its predictive minReplicas schedule) as its `autoscaler:` block, and
 * starting at that HPA's floor. The simulator runs it like any scenario (src/sim/autoscaling.ts: the
 * exact HPA controller reading each ready replica's in-flight calls, scraped every 15 s; the
 * ReplicaSet; cold starts; node billing from provisioning), so the day's SLOs and cost are those
 * `fleetcap simulate` would report for the plan's manifests.
 */
import {CUSTOM_METRIC_NAMES} from '../autoscale/metric-names.js'
import {parseMinReplicaSchedule} from '../autoscale/schedule.js'
import type {AutoscalerInput} from '../scenario/autoscale-schema.js'
import {SyntheticWorkloadSchema} from '../workload/spec.js'
import {type AutoscalePlan, hpaObject} from './autoscaler.js'
import type {CandidatePool} from './candidates.js'
import {candidateScenario, type PlanScenario} from './scenario.js'
import type {SimExecutor} from './executor.js'
import type {HpaDayResult} from './sim-job.js'
import type {ResolvedRequest} from './spec.js'

const DAY_S = 86_400
/** The HPA's sync period, and the day's sample interval (the chart shows every sync). */
const SYNC_S = 15

export function hpaDayScenario(pools: ReadonlyArray<{pool: CandidatePool; autoscale: AutoscalePlan}>, tasksPerDay: number, request: ResolvedRequest, seed: number): PlanScenario {
  const initialReplicas: Record<string, number> = {}
  const autoscalers: Record<string, AutoscalerInput> = {}
  for (const {pool, autoscale} of pools) {
    const s = autoscale.settings
    const scheduled = autoscale.schedule ? (parseMinReplicaSchedule(autoscale.schedule, 0).minReplicasAt(0) ?? 0) : 0
    initialReplicas[pool.name] = Math.max(s.minReplicas, scheduled)
    autoscalers[pool.name] = {
      hpa: hpaObject(pool.name, s) as unknown as Record<string, unknown>,
      ...(autoscale.schedule ? {schedule: autoscale.schedule as unknown as Record<string, unknown>} : {}),
      // A metric name fleetcap does not know is the pods' in-flight calls (what the target was sized on).
      ...(s.metric in CUSTOM_METRIC_NAMES ? {} : {metricAliases: {[s.metric]: 'inflight_requests' as const}}),
      metrics: {scrapeIntervalS: SYNC_S},
      syncPeriodS: SYNC_S,
    }
  }
  const workload = SyntheticWorkloadSchema.parse({...request.workload, tasksPerDay, ratePerS: undefined, durationS: DAY_S, shape: {...request.workload.shape, startHour: 0}})
  return candidateScenario(
    pools.map((p) => p.pool),
    request,
    {name: 'hpa-day', seed, durationS: DAY_S, workload, initialReplicas, autoscalers, sampleIntervalS: SYNC_S},
  )
}

/**
 * Simulate the day with the tuned autoscalers and settle them on what the simulator showed: where
 * the HPA lags the curve (the day misses an SLO) the verified size becomes the floor; where scaling
 * costs more than holding the verified size all day (it flaps or overshoots, each replica paying its
 * cold start), the pools are held at it. Mutates the pools' settings and notes; returns the last day
 * and how many days were simulated.
 */
export async function settleHpaDay(
  pools: ReadonlyArray<{pool: CandidatePool; autoscale: AutoscalePlan}>,
  tasksPerDay: number,
  request: ResolvedRequest,
  executor: SimExecutor,
  seed: number,
): Promise<{day: HpaDayResult; simulations: number}> {
  const run = () => executor.day(hpaDayScenario(pools, tasksPerDay, request, seed))
  let day = await run()
  let simulations = 1
  if (!day.pass) {
    for (const pp of pools) {
      if (pp.autoscale.settings.minReplicas < pp.pool.replicas) {
        pp.autoscale.notes.push(`with the HPA in the simulator the day missed ${day.misses.join(', ')}: minReplicas raised to the verified ${pp.pool.replicas}`)
        pp.autoscale.settings = {...pp.autoscale.settings, minReplicas: pp.pool.replicas}
        delete pp.autoscale.schedule
      }
    }
    day = await run()
    simulations++
  }
  const staticCost = pools.reduce((a, pp) => a + pp.pool.replicas * pp.pool.profile.pricePerHourUsd * 24, 0)
  if (day.pass && day.costPerDayUsd > staticCost * 1.001 && pools.some((pp) => pp.autoscale.settings.maxReplicas > pp.pool.replicas)) {
    for (const pp of pools) {
      pp.autoscale.notes.push(
        `with the HPA in the simulator the day cost $${Math.round(day.costPerDayUsd)} against $${Math.round(staticCost)} for the verified fleet held all day (${day.scaleEvents} scaling actions): the pool is held at ${pp.pool.replicas}`,
      )
      pp.autoscale.settings = {...pp.autoscale.settings, minReplicas: pp.pool.replicas, maxReplicas: pp.pool.replicas}
      delete pp.autoscale.schedule
    }
    day = await run()
    simulations++
  }
  return {day, simulations}
}
