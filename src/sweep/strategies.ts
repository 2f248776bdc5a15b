/**
 * Scaling-strategy ROI (seed 003's cost-benefit question): one scenario, one pool, four ways to size
 * it, simulated on the same traffic (same seed):
 *
 *  - fixed: no autoscaler, as many replicas as the reactive HPA's peak (a fleet sized for the peak);
 *  - hpa: the scenario's own HPA (reactive);
 *  - keda: a KEDA ScaledObject on the queue (redis list-length trigger), same floor and ceiling;
 *  - predictive: the same HPA with a schedule of minimum replicas from a forecast. The forecast is
 *    seasonal-naive on the replica demand: the HPA is run on another day's traffic (another seed),
 *    the most replicas it wanted in each hour becomes that hour's floor, moved earlier by the cold
 *    start (node provisioning, image pull, model load) so the replicas are ready when the load comes.
 */
import {InputError} from '../errors.js'
import type {Catalog} from '../fleet/profiles/index.js'
import type {Scenario} from '../scenario/schema.js'
import {simulate} from '../pipeline/simulate.js'
import {collectMetrics, type MetricName} from './metrics.js'

export const STRATEGIES = ['fixed', 'hpa', 'keda', 'predictive'] as const
export type Strategy = (typeof STRATEGIES)[number]

const ROI_METRICS: MetricName[] = ['costUsd', 'gpuHours', 'sloAttainment', 'sloPass', 'ttftP95S', 'errorRate', 'coldStarts', 'peakReplicas']

export interface StrategyRow {
  strategy: Strategy
  /** What the strategy was given (replicas, bounds, the schedule's points). */
  setup: string
  metrics: Record<string, number | null>
}

export interface StrategyComparison {
  scenario: string
  seed: number
  pool: string
  rows: StrategyRow[]
  /** The forecast the predictive schedule used: [hour start s, floor]. */
  forecastFloors: [number, number][]
}

export interface StrategyOptions {
  baseDir: string
  catalog?: Catalog
  /** Queue length per replica the KEDA trigger aims at (KEDA's redis listLength); default 20. */
  kedaQueuePerReplica?: number
  /** Seed of the day the predictive schedule learns from (default: the scenario's seed + 1). */
  historySeed?: number
}

export async function compareStrategies(scenario: Scenario, options: StrategyOptions): Promise<StrategyComparison> {
  if (scenario.fleet.pools.length !== 1) throw new InputError({field: 'fleet.pools'}, 'strategy comparison needs a fleet of one pool')
  const pool = scenario.fleet.pools[0]
  if (pool.autoscaler?.hpa === undefined) {
    throw new InputError({field: 'fleet.pools.0.autoscaler'}, 'strategy comparison needs the pool\'s reactive HPA (autoscaler.hpa) to compare against')
  }
  const seed = scenario.seed ?? 1
  const run = async (s: Scenario, runSeed = seed) => (await simulate(s, {baseDir: options.baseDir, seed: runSeed, catalog: options.catalog})).report
  const withPool = (patch: (p: Record<string, unknown>) => void): Scenario => {
    const s = structuredClone(scenario)
    patch(s.fleet.pools[0] as unknown as Record<string, unknown>)
    return s
  }

  const hpa = await run(scenario)
  const hpaPool = hpa.autoscaling?.pools[0]
  if (hpaPool === undefined) throw new InputError({field: 'fleet.pools.0.autoscaler'}, 'the HPA run has no autoscaling report')
  const floor = hpaPool.replicas.minDesired
  const peak = Math.max(1, hpaPool.replicas.maxDesired)
  const gpuQuota = pool.capacity?.gpuQuota
  // KEDA's ceiling: what the GPU quota allows, else twice the HPA's peak.
  const ceiling = gpuQuota !== undefined ? Math.max(peak, Math.floor(gpuQuota / gpusPerReplica(hpa))) : 2 * peak

  const fixedScenario = withPool((p) => {
    delete p.autoscaler
    delete p.capacity
    if (p.kind === 'generic') p.servers = peak
    else p.replicas = peak
  })
  const fixed = await run(fixedScenario)

  const target = options.kedaQueuePerReplica ?? 20
  const keda = await run(
    withPool((p) => {
      p.autoscaler = {
        keda: {
          apiVersion: 'keda.sh/v1alpha1',
          kind: 'ScaledObject',
          metadata: {name: `${pool.name}-queue`},
          spec: {
            scaleTargetRef: {name: pool.name},
            pollingInterval: 30,
            cooldownPeriod: 300,
            minReplicaCount: floor,
            maxReplicaCount: ceiling,
            triggers: [{type: 'redis', metadata: {address: 'redis:6379', listName: `${pool.name}-requests`, listLength: String(target), activationListLength: '1'}}],
          },
        },
        ...(pool.autoscaler?.startTime === undefined ? {} : {startTime: pool.autoscaler.startTime}),
      }
    }),
  )

  // Yesterday's demand, hour by hour, from the same HPA on another day's traffic.
  const history = await run(scenario, options.historySeed ?? (seed + 1) % 0x1_0000_0000)
  const traj = history.autoscaling?.pools[0]?.trajectory ?? []
  const durationS = hpa.scenario.durationS
  const leadS = hpaPool.capacity.nodeProvisioningS + hpaPool.capacity.imagePullS + hpaPool.capacity.modelLoadS
  const floors = hourlyPeaks(traj, durationS, floor)
  const points = floors.map(([t, n]) => ({at: Math.max(0, t - leadS), minReplicas: n}))
  // Points moved to 0 by the lead collapse: keep the last of each instant.
  const merged = points.filter((p, i) => i === points.length - 1 || points[i + 1].at !== p.at)
  const autoscalerSpec = pool.autoscaler as Record<string, unknown>
  const predictive = await run(
    withPool((p) => {
      p.autoscaler = {...autoscalerSpec, schedule: {points: merged}}
    }),
  )

  const row = (strategy: Strategy, setup: string, r: typeof hpa): StrategyRow => ({strategy, setup, metrics: collectMetrics(r, ROI_METRICS)})
  return {
    scenario: scenario.name,
    seed,
    pool: pool.name,
    forecastFloors: floors,
    rows: [
      row('fixed', `${peak} replicas (the HPA's peak)`, fixed),
      row('hpa', `the scenario's HPA (wanted ${floor}–${peak})`, hpa),
      row('keda', `queue ${target}/replica, ${floor}–${ceiling}`, keda),
      row('predictive', `HPA + hourly floors from seed ${options.historySeed ?? seed + 1}, ${Math.round(leadS)} s ahead`, predictive),
    ],
  }
}

function gpusPerReplica(report: Awaited<ReturnType<typeof simulate>>['report']): number {
  return Math.max(1, Math.ceil(report.pools[0]?.gpusPerReplica ?? 1))
}

/** Most replicas desired in each hour of [0, durationS), from a [t, desired, ready] trajectory. */
export function hourlyPeaks(trajectory: readonly (readonly [number, number, number])[], durationS: number, floor: number): [number, number][] {
  const hours = Math.max(1, Math.ceil(durationS / 3600))
  const peaks = new Array<number>(hours).fill(floor)
  let desired = floor
  let k = 0
  for (let h = 0; h < hours; h++) {
    const start = h * 3600
    const end = start + 3600
    peaks[h] = desired
    while (k < trajectory.length && trajectory[k][0] < end) {
      desired = trajectory[k][1]
      if (trajectory[k][0] >= start || peaks[h] < desired) peaks[h] = Math.max(peaks[h], desired)
      k++
    }
  }
  return peaks.map((n, h) => [h * 3600, Math.max(floor, n)])
}
