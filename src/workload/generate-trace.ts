import {z} from 'zod'

import {RandomStreams} from '../engine/random.js'
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {boundOutput} from '../util/output-bound.js'
import {createWorkload} from './create.js'
import {WorkloadSpecSchema, type WorkloadSpec, type WorkloadSpecInput} from './spec.js'
import {loadWorkloadSpecFile} from './spec-file.js'
import {writeTraceCsv} from './write-trace.js'

/**
 * `fleetcap trace generate`: a synthetic workload from a spec file or the quick flags, written as
 * fleetcap's trace CSV. The command checks the output path first (checkOutputFile).
 */

/**
 * The command's flags, as oclif parses them (src/cli/flags.ts): rates in tasks per second (--rate
 * and --tasks-per-day are one rate, a bare number per second or per day), --duration in seconds.
 */
export interface GenerateFlags {
  spec?: string
  'tasks-per-day'?: number
  rate?: number
  duration?: number
  shape?: 'flat' | 'daily'
  'peak-hour'?: number
  'peak-to-trough'?: number
  weekly?: number[]
  'input-tokens'?: number
  'output-tokens'?: number
  'tokens-from'?: string
  seed?: number
  out: string
  force?: boolean
}

export interface GenerateResult {
  out: string
  tasks: number
  rows: number
  durationS: number
  seed: number
  /** Tasks per day actually generated (tasks / duration). */
  tasksPerDay: number
}

/** `trace generate --json` (schemas/trace-generate.result.schema.json). */
export const GenerateResultSchema: z.ZodType<GenerateResult> = z.strictObject({
  out: z.string().describe('The file written (- for stdout).'),
  tasks: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative().describe('One per LLM call: more than tasks when tasks are chains.'),
  durationS: z.number().positive(),
  seed: z.number().int().nonnegative(),
  tasksPerDay: z.number().nonnegative().describe('Tasks actually generated per day (tasks / duration).'),
})

/** Bounds of --rate and --tasks-per-day (both per second): the workload schema's. */
export const RATE = {above: 0, max: LIMITS.ratePerS}

/** Flags that describe the workload; --spec replaces them all. */
const QUICK = ['tasks-per-day', 'rate', 'shape', 'peak-hour', 'peak-to-trough', 'weekly', 'input-tokens', 'output-tokens', 'tokens-from'] as const satisfies ReadonlyArray<keyof GenerateFlags>

export async function generateTrace(f: GenerateFlags): Promise<{result: GenerateResult; summary: string}> {
  let spec: WorkloadSpec
  let baseDir = process.cwd()
  let seed = f.seed ?? 1
  let scenarioDuration: number | undefined
  if (f.spec !== undefined) {
    const clash = QUICK.find((name) => f[name] !== undefined)
    if (clash !== undefined) {
      throw new InputError({field: `--${clash}`}, 'cannot be combined with --spec', {hint: 'put it in the spec, or drop --spec'})
    }
    const loaded = await loadWorkloadSpecFile(f.spec)
    spec = loaded.spec
    baseDir = loaded.baseDir
    seed = f.seed ?? loaded.seed ?? 1
    scenarioDuration = loaded.durationS
  } else {
    spec = quickSpec(f)
  }
  const durationS = f.duration ?? spec.durationS ?? scenarioDuration
  if (durationS === undefined) throw new InputError({field: '--duration'}, 'give the length of the workload, e.g. --duration 1d')
  if (f.duration !== undefined) spec = {...spec, durationS: f.duration}
  boundRows(spec, durationS, rateFlagName(f, spec))
  const tasks = createWorkload(spec, {baseDir, rng: new RandomStreams(seed), durationS})
  const w = await writeTraceCsv(tasks, f.out, {force: f.force, maxRows: LIMITS.traceRows})
  const result: GenerateResult = {out: f.out, tasks: w.tasks, rows: w.rows, durationS, seed, tasksPerDay: (w.tasks / durationS) * 86_400}
  const summary = `wrote ${f.out}: ${w.tasks.toLocaleString('en-US')} tasks, ${w.rows.toLocaleString('en-US')} rows over ${durationS} s (${Math.round(result.tasksPerDay).toLocaleString('en-US')} tasks/day), seed ${seed}`
  return {result, summary}
}

/** Refuse up front a synthetic workload whose mean rate × duration is more rows than one trace may hold. */
function boundRows(spec: WorkloadSpec, durationS: number, rateField: string): void {
  if (spec.kind !== 'synthetic') return
  boundOutput({
    where: {field: rateField},
    from: 'rate × --duration',
    count: (spec.ratePerS ?? (spec.tasksPerDay as number) / 86_400) * durationS,
    unit: 'tasks',
    limit: LIMITS.traceRows,
    limitUnit: 'rows',
    output: 'one trace',
    hint: 'shorten --duration or lower the rate, or generate several traces (a --seed each)',
  })
}

/** The flag the rate came from, to name in an error (a spec file's rate: the flag of its unit). */
function rateFlagName(f: GenerateFlags, spec: WorkloadSpec): string {
  if (f['tasks-per-day'] !== undefined) return '--tasks-per-day'
  if (f.rate !== undefined) return '--rate'
  return spec.kind === 'synthetic' && spec.ratePerS === undefined ? '--tasks-per-day' : '--rate'
}

/** A synthetic spec from the quick flags (numbers already parsed), validated by the same schema as a YAML spec. */
function quickSpec(f: GenerateFlags): WorkloadSpec {
  // --rate and --tasks-per-day are one rate in two bare units: both arrive per second.
  if (f.rate !== undefined && f['tasks-per-day'] !== undefined) {
    throw new InputError({field: '--rate'}, 'give --rate or --tasks-per-day, not both (one rate: a bare number is per second or per day)')
  }
  const ratePerS = f.rate ?? f['tasks-per-day']
  if (ratePerS === undefined) {
    throw new InputError({field: '--tasks-per-day'}, 'give --tasks-per-day N or --rate R (tasks per second), or --spec FILE')
  }
  let tokens: NonNullable<Extract<WorkloadSpecInput, {kind: 'synthetic'}>['tokens']>
  if (f['tokens-from'] !== undefined) {
    tokens = {input: {fromTrace: f['tokens-from']}, output: {fromTrace: f['tokens-from']}}
  } else if (f['input-tokens'] !== undefined && f['output-tokens'] !== undefined) {
    tokens = {input: f['input-tokens'], output: f['output-tokens']}
  } else {
    throw new InputError({field: '--input-tokens'}, 'give --input-tokens N and --output-tokens N, or --tokens-from TRACE')
  }
  const raw: WorkloadSpecInput = {kind: 'synthetic', ratePerS, ...(f.duration !== undefined ? {durationS: f.duration} : {}), tokens}
  const shape: Record<string, unknown> = {}
  if (f.shape === 'daily') shape.daily = {peakHour: f['peak-hour'] ?? 14, peakToTrough: f['peak-to-trough'] ?? 3}
  else if (f['peak-hour'] !== undefined || f['peak-to-trough'] !== undefined) {
    throw new InputError({field: '--shape'}, '--peak-hour and --peak-to-trough need --shape daily')
  }
  if (f.weekly !== undefined) {
    // Normalized to mean 1, so one day must carry the load (a 0 closes a day).
    if (!f.weekly.some((v) => v > 0)) throw new InputError({field: '--weekly'}, 'at least one day must be more than 0')
    shape.weekly = f.weekly
  }
  if (Object.keys(shape).length > 0) (raw as Record<string, unknown>).shape = shape
  const parsed = WorkloadSpecSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const flag = flagOf(issue.path.map(String), f.rate !== undefined ? '--rate' : '--tasks-per-day')
    throw new InputError({field: flag}, issue.message)
  }
  return parsed.data
}

function flagOf(path: string[], rateFlag: string): string {
  const p = path.join('.')
  if (p.startsWith('shape.daily')) return p.endsWith('peakHour') ? '--peak-hour' : '--peak-to-trough'
  if (p.startsWith('shape.weekly')) return '--weekly'
  const flags: Record<string, string> = {'tokens.input': '--input-tokens', 'tokens.output': '--output-tokens', ratePerS: rateFlag, durationS: '--duration'}
  return flags[p] ?? `--${p}`
}
