import {z} from 'zod'

import {PRIORITIES} from '../workload/types.js'
import type {SimulationReport} from './report.js'

/**
 * `fleetcap simulate --json`: the SimulationReport type (report.ts) as a zod schema, checked against
 * that type by the compiler, and the JSON Schema committed as schemas/simulate.result.schema.json.
 * Every object is closed (strict); the per-priority maps are keyed by the four priorities exactly.
 * Numbers are as report.json has them (rounded to six significant digits).
 */

const quantiles = z.strictObject({count: z.number().int(), meanS: z.number(), p50S: z.number(), p90S: z.number(), p95S: z.number(), p99S: z.number(), maxS: z.number()}).nullable()

const latencyBlock = z.strictObject({calls: z.number().int(), queueWaitS: quantiles, ttftS: quantiles, tpotS: quantiles, e2eS: quantiles, taskE2eS: quantiles})

const classCounts = {
  arrived: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  droppedDeadline: z.number().int(),
  rejectedQueueFull: z.number().int(),
  rejectedTooLarge: z.number().int(),
  unserved: z.number().int(),
  lostOnFailure: z.number().int(),
  rejectedOverload: z.number().int(),
}

const byPriority = <T extends z.ZodType>(value: T) => z.record(z.enum(PRIORITIES), value)

const pool = z.strictObject({
  name: z.string(),
  kind: z.enum(['llm', 'generic']),
  gpu: z.string().nullable(),
  model: z.string().nullable(),
  profile: z.string().nullable(),
  replicas: z.number().int(),
  gpusPerReplica: z.number().int(),
  pricePerReplicaHourUsd: z.number(),
  utilization: z.number(),
  kvOccupancy: z.number().nullable(),
  meanInFlightPerReplica: z.number(),
  callsServed: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  prefixCache: z.strictObject({hitTokens: z.number(), hitRate: z.number(), evictions: z.number().int()}).optional(),
  preemptions: z.strictObject({count: z.number().int(), recomputedTokens: z.number()}).optional(),
  gpuHours: z.number(),
  costUsd: z.number(),
})

const sloCheck = z.strictObject({objective: z.string(), target: z.number(), actual: z.number().nullable(), pass: z.boolean(), attainment: z.number().nullable()})

const poolAutoscaling = z.strictObject({
  name: z.string(),
  autoscaler: z.enum(['hpa', 'hpa+schedule', 'keda', 'thresholds', 'thresholds+schedule', 'none']),
  syncPeriodS: z.number().nullable(),
  metrics: z.strictObject({scrapeIntervalS: z.number(), reportDelayS: z.number(), averagingWindowS: z.number()}),
  capacity: z.strictObject({gpusPerNode: z.number().int(), gpuQuota: z.number().int().nullable(), nodeProvisioningS: z.number(), imagePullS: z.number(), modelLoadS: z.number()}),
  replicas: z.strictObject({initial: z.number().int(), final: z.number().int(), minDesired: z.number().int(), maxDesired: z.number().int(), peakReady: z.number().int()}),
  scaleUps: z.number().int(),
  scaleDowns: z.number().int(),
  flapping: z.number().int(),
  nodes: z.strictObject({provisioned: z.number().int(), peak: z.number().int()}),
  gpuHours: z.number(),
  costUsd: z.number(),
  readyGpuHours: z.number(),
  callsKilledOnScaleDown: z.number().int(),
  trajectory: z.array(z.tuple([z.number(), z.number().int(), z.number().int()])),
})

const scalingEvent = z.strictObject({
  timeS: z.number(),
  pool: z.string(),
  autoscaler: z.enum(['hpa', 'keda', 'schedule', 'thresholds']),
  from: z.number().int(),
  to: z.number().int(),
  metric: z.string().optional(),
  limitedBy: z.array(z.string()),
  reason: z.string(),
})

const failure = z.strictObject({
  kind: z.enum(['replica-loss', 'node-loss', 'partition', 'degraded-gpu']),
  pool: z.string(),
  timeS: z.number(),
  endS: z.number(),
  targets: z.number().int(),
  replicasLost: z.number().int(),
  callsRetried: z.number().int(),
  callsLost: z.number().int(),
  readyBefore: z.number().int(),
  timeToRecoverS: z.number().nullable(),
  impact: z.strictObject({
    fromS: z.number(),
    toS: z.number(),
    tasksCompleted: z.number().int(),
    tasksFailed: z.number().int(),
    errorRate: z.number(),
    callE2eP95S: z.number().nullable(),
    callE2eMeanS: z.number().nullable(),
    ttftP95S: z.number().nullable(),
  }),
})

const band = z.strictObject({
  method: z.string(),
  coverage: z.number(),
  pools: z.array(
    z.strictObject({
      pool: z.string(),
      profile: z.string().nullable(),
      status: z.enum(['measured', 'transferred', 'roofline']),
      statusBasis: z.string(),
      fast: z.number(),
      slow: z.number(),
      coverage: z.number(),
      basis: z.string(),
    }),
  ),
  figures: z.array(
    z.strictObject({
      figure: z.string(),
      unit: z.enum(['s', '1/s', 'fraction', 'USD', 'GPU-h']),
      nominal: z.number().nullable(),
      atFast: z.number().nullable(),
      atSlow: z.number().nullable(),
    }),
  ),
  slo: z.strictObject({nominal: z.boolean(), atFast: z.boolean(), atSlow: z.boolean()}).nullable(),
})

export const SimulateResultSchema: z.ZodType<SimulationReport> = z.strictObject({
  apiVersion: z.literal('fleetcap.dev/v1'),
  kind: z.literal('SimulationReport'),
  scenario: z.strictObject({name: z.string(), seed: z.number().int(), durationS: z.number(), workload: z.string()}),
  run: z.strictObject({endS: z.number(), events: z.number().int()}),
  tasks: z.strictObject({...classCounts, errorRate: z.number(), byPriority: byPriority(z.strictObject(classCounts))}),
  calls: z.strictObject({completed: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int()}),
  latency: z.strictObject({overall: latencyBlock, byPriority: byPriority(latencyBlock)}),
  throughput: z.strictObject({tasksPerS: z.number(), callsPerS: z.number(), inputTokensPerS: z.number(), outputTokensPerS: z.number()}),
  queue: z.strictObject({peakDepth: z.number().int(), meanDepth: z.number()}),
  pools: z.array(pool),
  cost: z.strictObject({gpuHours: z.number(), costUsd: z.number(), costPer1000TasksUsd: z.number().nullable()}),
  slo: z.strictObject({pass: z.boolean(), checks: z.array(sloCheck)}),
  overload: z.strictObject({queueLimit: z.number().int(), firstAtS: z.number(), rejectedTasks: z.number().int(), rejectedShare: z.number()}).optional(),
  autoscaling: z.strictObject({pools: z.array(poolAutoscaling), events: z.array(scalingEvent), failures: z.array(failure), callsRetried: z.number().int(), callsLost: z.number().int()}).optional(),
  band: band.optional(),
})
