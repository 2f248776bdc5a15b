import {z} from 'zod'

import {InputError} from '../errors.js'
import {parseYamlInput, readInputFile} from '../util/read-input.js'
import {type PhaseWorkload, PhaseWorkloadSchema} from '../plan/workload.js'
import type {LoadSlo} from './script.js'

/** The SLO fields a load test turns into thresholds, named as a scenario's (and a plan's) `slo` block. */
export const LoadSloSchema = z.object({
  e2eP95S: z.number().positive().optional(),
  e2eP99S: z.number().positive().optional(),
  ttftP95S: z.number().positive().optional(),
  ttftP99S: z.number().positive().optional(),
  tpotP95S: z.number().positive().optional(),
  errorRateMax: z.number().min(0).max(1).optional(),
})

/**
 * Read the `slo` block of a scenario or plan YAML (top level, or under `spec`). Fields a load test
 * cannot check (queue wait) are ignored; a field with a bad value is an error naming file and field.
 */
export async function readSloFile(path: string): Promise<LoadSlo> {
  const root = parseYamlInput(path, await readInputFile(path))
  const record = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  const top = record(root)
  const block = record(top?.slo) ?? record(record(top?.spec)?.slo)
  if (block === undefined) {
    throw new InputError({file: path, field: 'slo'}, 'no slo block (expected `slo:` with e2eP95S, e2eP99S, ttftP95S, ttftP99S, tpotP95S or errorRateMax)')
  }
  const prefix = record(top?.slo) ? 'slo' : 'spec.slo'
  // A plan (kind CapacityPlan) names its end-to-end objectives p95S and p99S.
  const planAliases = z.object({p95S: z.number().positive().optional(), p99S: z.number().positive().optional()})
  const aliases = planAliases.safeParse(block)
  if (!aliases.success) throw zodIssue(path, prefix, aliases.error)
  const parsed = LoadSloSchema.safeParse(block)
  if (!parsed.success) throw zodIssue(path, prefix, parsed.error)
  const slo: LoadSlo = {...parsed.data}
  if (aliases.data.p95S !== undefined) slo.e2eP95S ??= aliases.data.p95S
  if (aliases.data.p99S !== undefined) slo.e2eP99S ??= aliases.data.p99S
  return slo
}

function zodIssue(path: string, prefix: string, error: z.ZodError): InputError {
  const issue = error.issues[0]
  return new InputError({file: path, field: [prefix, ...issue.path.map(String)].filter((x) => x !== '').join('.')}, issue.message)
}

/** A plan phase as a load test needs it: its planned tasks per day. */
export interface PlanPhaseLoad {
  name: string
  tasksPerDay: number
  /** The workload the phase was verified on, when the plan records it (src/plan/workload.ts). */
  workload?: PhaseWorkload
}

/**
 * The phases of a plan YAML (kind CapacityPlan) with the load they were planned for. Read loosely:
 * only spec.phases[].name and trigger.tasksPerDay matter here; apply-to-cluster validates the rest.
 */
export async function readPlanPhases(path: string): Promise<PlanPhaseLoad[]> {
  const root = parseYamlInput(path, await readInputFile(path))
  const schema = z.object({
    kind: z.literal('CapacityPlan'),
    spec: z.object({phases: z.array(z.object({name: z.string(), trigger: z.object({tasksPerDay: z.number().positive()}).or(z.object({date: z.string()})), workload: PhaseWorkloadSchema.optional()})).min(1)}),
  })
  const parsed = schema.safeParse(root)
  if (!parsed.success) throw zodIssue(path, '', parsed.error)
  return parsed.data.spec.phases.map((p) => ({name: p.name, tasksPerDay: 'tasksPerDay' in p.trigger ? p.trigger.tasksPerDay : Number.NaN, ...(p.workload ? {workload: p.workload} : {})}))
}
