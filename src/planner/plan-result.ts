/**
 * `fleetcap plan --json`: the plan document (plan.yaml with its status typed), each phase's risk and
 * the run's figures, as zod schemas. plan-document.ts and render-risk.ts build their objects as these
 * types, so the compiler checks the schema against what the command returns; the JSON Schema is
 * committed as schemas/plan.result.schema.json.
 */
import {z} from 'zod'

import {minReplicaScheduleSchema} from '../autoscale/schedule.js'
import {PLAN_API_VERSION, PLAN_KIND, PhaseSchema, PoolSchema} from '../plan/schema.js'
import {SloSchema} from '../slo/schema.js'

const num = z.number()
const orNull = num.nullable()
const texts = z.array(z.string())
const gpuCounts = z.record(z.string(), z.number())
const riskMode = z.enum(['nominal', 'pessimistic'])

/** Where the phases' load came from: targets given as they are, or a forecast of a history. */
export const ForecastSummarySchema = z.union([
  z.strictObject({source: z.literal('explicit phase targets'), quantile: num, note: z.string()}),
  z.strictObject({
    source: z.literal('forecast'),
    history: z.string(),
    unit: z.enum(['per-step', 'per-second']),
    model: z.string(),
    stepS: num,
    horizonSteps: num,
    from: z.string(),
    quantile: num,
    intervals: z.string(),
    phases: z.array(z.strictObject({date: z.string(), tasksPerDay: num})),
    dailyShape: z.array(num).optional(),
    warnings: texts,
  }),
])
export type ForecastSummary = z.output<typeof ForecastSummarySchema>

export const AvailabilityStatusSchema = z.strictObject({
  met: z.boolean(),
  check: z.string(),
  replicaLost: z.string().optional(),
  ttftP95SWithOneLost: num.optional(),
  seeds: z.array(num).optional(),
})
export type AvailabilityStatus = z.output<typeof AvailabilityStatusSchema>

/** Per objective the worst seed against its target; an analytic choice (--fast) gives its estimate instead. */
export const SloMarginSchema = z.union([
  z.strictObject({objective: z.string(), target: num, worst: orNull, margin: orNull}),
  z.strictObject({objective: z.literal('analytic estimate'), ttftP95S: num, utilization: num}),
])
export type SloMargin = z.output<typeof SloMarginSchema>

export const PhaseRiskStatusSchema = z.strictObject({
  mode: riskMode,
  pools: z.array(
    z.strictObject({
      pool: z.string(),
      profile: z.string(),
      status: z.enum(['measured', 'transferred', 'roofline']),
      statusBasis: z.string(),
      band: z.strictObject({fast: num, slow: num, coverage: num, basis: z.string()}),
      sizedWithStepTimes: num,
    }),
  ),
  band: z.strictObject({
    method: z.string(),
    edges: z.array(z.strictObject({edge: z.enum(['fast', 'nominal', 'slow']), ttftP95S: orNull, taskP95S: orNull, utilization: num, errorRate: num, sloMet: z.boolean()})),
  }),
  costPerDayUsd: orNull,
  other: z.strictObject({mode: riskMode, fleet: z.string().nullable(), costPerDayUsd: orNull}),
  marginCostPerDayUsd: orNull,
  measureBeforeBuying: z.array(z.strictObject({pool: z.string(), status: z.string(), commands: texts})).optional(),
})
export type PhaseRiskStatus = z.output<typeof PhaseRiskStatusSchema>

const verdictStatus = z.enum(['pruned', 'failed', 'passed', 'estimated', 'not-simulated'])

/** plan.yaml's status.phases[]: what the planner found for a phase (informational, not applied). */
export const PhaseStatusSchema = z.strictObject({
  name: z.string(),
  load: z.strictObject({tasksPerDay: num, sizedTasksPerDay: num, peakTasksPerS: num, peakCallsPerS: num, callsPerTask: num, meanInputTokens: num, meanOutputTokens: num}),
  choice: z
    .strictObject({
      fleet: z.string(),
      gpus: gpuCounts,
      verdict: verdictStatus,
      peakCostPerDayUsd: num,
      autoscaledCostPerDayUsd: num,
      costPer1000TasksUsd: num,
      slo: z.array(SloMarginSchema),
      availability: AvailabilityStatusSchema.optional(),
    })
    .nullable(),
  closest: z.strictObject({fleet: z.string(), misses: texts}).nullable().optional(),
  autoscaling: z.array(
    z.strictObject({
      pool: z.string(),
      metric: z.string(),
      targetAverageValue: num,
      minReplicas: num,
      maxReplicas: num,
      minReplicaSchedule: minReplicaScheduleSchema.optional(),
      check: z.strictObject({delayedCallsFraction: num, longestWaitS: num, replicasRange: z.tuple([num, num]), ok: z.boolean(), checked: z.boolean()}),
    }),
  ),
  autoscaledDay: z
    .strictObject({
      seed: num,
      sloMet: z.boolean(),
      misses: texts.optional(),
      ttftP95S: orNull,
      errorRate: num,
      costPerDayUsd: num,
      replicas: z.record(z.string(), z.tuple([num, num])),
      scaleEvents: num,
    })
    .optional(),
  baselines: z.array(
    z.strictObject({
      label: z.string(),
      fleet: z.string(),
      gpus: gpuCounts,
      sloMet: z.boolean(),
      costPerDayUsd: num,
      misses: texts.optional(),
      availability: AvailabilityStatusSchema.optional(),
    }),
  ),
  pareto: z.array(z.strictObject({fleet: z.string(), costPerDayUsd: num, ttftP95S: num, sloMet: z.boolean()})),
  rejected: z.array(z.strictObject({fleet: z.string(), costPerDayUsd: num, reason: z.string()})),
  counts: z.strictObject({candidates: num, pruned: num, simulations: num}),
  risk: PhaseRiskStatusSchema,
  precisions: z
    .array(
      z.strictObject({
        precision: z.string(),
        gpus: texts,
        fleet: z.string().nullable(),
        costPerDayUsd: orNull,
        note: z.string().optional(),
        excluded: z.array(z.strictObject({gpu: z.string(), reason: z.string()})).optional(),
      }),
    )
    .optional(),
})
export type PhaseStatus = z.output<typeof PhaseStatusSchema>

/** A phase of plan.yaml; one no fleet meets (status.result slo-not-met, exit 3) has no pools. */
const ResultPhaseSchema = PhaseSchema.extend({pools: z.array(PoolSchema)})

/** plan.yaml as the planner writes it: src/plan/schema.ts's CapacityPlan with its status typed. */
export const PlanDocumentResultSchema = z.strictObject({
  apiVersion: z.literal(PLAN_API_VERSION),
  kind: z.literal(PLAN_KIND),
  metadata: z.strictObject({name: z.string(), createdFrom: z.string()}),
  spec: z.strictObject({slo: SloSchema, forecast: ForecastSummarySchema, phases: z.array(ResultPhaseSchema)}),
  status: z.strictObject({
    result: z.enum(['planned', 'slo-not-met']),
    method: z.string(),
    quantile: num,
    headroom: num,
    availability: z.strictObject({minReplicas: num, survive: z.enum(['none', 'one-replica-loss'])}),
    risk: z.strictObject({
      mode: riskMode,
      method: z.string(),
      /** Weights[/KV cache] precision of every candidate as asked ("fp8", "fp8/fp8"); absent: the defaults. */
      precision: z.string().optional(),
    }),
    phases: z.array(PhaseStatusSchema),
  }),
})
export type PlanDocumentResult = z.output<typeof PlanDocumentResultSchema>

export const PlanStatsSchema = z.strictObject({decisionS: num, candidatesPruned: num, candidatesSimulated: num, simulations: num, simulationsPerS: num, simulatedHours: num})

/** The result of `fleetcap plan --json`; a plan that meets nothing exits 3 with it as `result` beside `error`. */
export const PlanCommandResultSchema = z.strictObject({
  plan: PlanDocumentResultSchema,
  risk: z.array(PhaseRiskStatusSchema.extend({phase: z.string()})),
  stats: PlanStatsSchema,
})
export type PlanCommandResult = z.output<typeof PlanCommandResultSchema>

/** What stdout holds under --json when no fleet meets the SLOs (exit 3): the error and the plan searched. */
export const PlanNotMetOutputSchema = z.strictObject({
  error: z.strictObject({message: z.string(), hint: z.string().optional(), exit: z.literal(3)}),
  result: PlanCommandResultSchema,
})

/** Everything `plan --json` prints: the result, or (exit 3) the error with it. */
export const PlanJsonOutputSchema = z.union([PlanCommandResultSchema, PlanNotMetOutputSchema])
