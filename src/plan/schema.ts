import {z} from 'zod'

import {renameLegacySloFields, SloSchema} from '../slo/schema.js'
import {PhaseWorkloadSchema} from './workload.js'

/**
 * The capacity plan format (`plan.yaml` + `manifests/<phase>/`), written by `fleetcap plan` and read
 * by `fleetcap apply-to-cluster`. Versioned by `apiVersion`; a reader refuses any other version.
 */
export const PLAN_API_VERSION = 'fleetcap.dev/v1'
export const PLAN_KIND = 'CapacityPlan'

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, "-")')
  .max(63)

export const ExpectedSchema = z.strictObject({
  /** Simulated end-to-end latency quantiles at the phase's load, seconds. */
  p50S: z.number().nonnegative(),
  p95S: z.number().nonnegative(),
  p99S: z.number().nonnegative(),
  /** Mean GPU utilization, 0..1. */
  utilization: z.number().min(0).max(1),
  costPerDayUsd: z.number().nonnegative(),
})

export const PoolSchema = z
  .strictObject({
    name,
    /** GPU profile name, e.g. `A100-SXM4-80GB`. */
    gpu: z.string().min(1),
    /** Serving profile model name. */
    model: z.string().min(1),
    tensorParallel: z.int().positive(),
    minReplicas: z.int().nonnegative(),
    maxReplicas: z.int().positive(),
    expected: ExpectedSchema,
    /** How the pool rolls out: replace-one needs no spare GPUs; surge-one needs surgeGpus free. */
    rollout: z.strictObject({strategy: z.enum(['replace-one', 'surge-one']), surgeGpus: z.int().nonnegative()}).optional(),
  })
  .refine((p) => p.minReplicas <= p.maxReplicas, {message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas']})

export const TriggerSchema = z.union([
  z.strictObject({tasksPerDay: z.number().positive()}),
  z.strictObject({date: z.iso.date()}),
])

export const PhaseSchema = z.strictObject({
  name,
  trigger: TriggerSchema,
  pools: z.array(PoolSchema).min(1),
  /** Folder of this phase's manifests, relative to the plan directory: `manifests/<phase>/`. */
  manifests: z.string().regex(/^manifests\/[^/\\]+\/?$/, 'must be "manifests/<phase>/"'),
  /** The workload the phase was verified on (load tests replay it); absent in plans written before it. */
  workload: PhaseWorkloadSchema.optional(),
})

/**
 * A plan's objectives: the one SLO vocabulary (src/slo/schema.ts). Plans written before it named the
 * end-to-end objectives p95S/p99S and the queue wait maxQueueWaitS; those still read.
 */
export const PlanSloSchema = z.preprocess(renameLegacySloFields, SloSchema)

export const PlanSchema = z
  .strictObject({
    apiVersion: z.literal(PLAN_API_VERSION),
    kind: z.literal(PLAN_KIND),
    metadata: z.strictObject({
      name,
      /** sha256 of the inputs the plan was made from (scenario, forecast, profiles). */
      createdFrom: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:<64 hex digits>"'),
    }),
    spec: z.strictObject({
      slo: PlanSloSchema,
      /** What the load came from (explicit targets or a forecast): informational. */
      forecast: z.record(z.string(), z.unknown()).optional(),
      phases: z.array(PhaseSchema).min(1),
    }),
    /** What the planner found (search results, baselines, autoscaler checks): informational, not applied. */
    status: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>()
    plan.spec.phases.forEach((phase, i) => {
      if (seen.has(phase.name)) ctx.addIssue({code: 'custom', message: `duplicate phase name "${phase.name}"`, path: ['spec', 'phases', i, 'name']})
      seen.add(phase.name)
    })
  })

export type PlanDocument = z.infer<typeof PlanSchema>
export type PlanPhase = z.infer<typeof PhaseSchema>
export type PlanPool = z.infer<typeof PoolSchema>

/** The minimal shape every manifest object must have; the API server validates the rest. */
export const ManifestObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
  }),
})
