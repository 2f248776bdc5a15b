import {z} from 'zod'

import {InputError} from '../errors.js'
import {parseYamlInput, readInputFile} from '../util/read-input.js'
import {type PhaseWorkload, PhaseWorkloadSchema} from '../plan/workload.js'
import {type LoadSlo, renameLegacySloFields, SloSchema} from '../slo/schema.js'

/** The SLO fields a load test turns into thresholds: the one vocabulary's (src/slo/schema.ts), less the queue wait. */
export const LoadSloSchema = SloSchema.pick({e2eP95S: true, e2eP99S: true, ttftP95S: true, ttftP99S: true, tpotP95S: true, errorRateMax: true})

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
  // A scenario or plan may set the queue wait, which only the server sees: a load test leaves it out.
  // Plans written before the one vocabulary name e2eP95S/e2eP99S p95S/p99S (renameLegacySloFields).
  const parsed = SloSchema.safeParse(renameLegacySloFields(block))
  if (!parsed.success) throw zodIssue(path, prefix, parsed.error)
  const {queueWaitP95S: _serverSide, ...slo} = parsed.data
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
