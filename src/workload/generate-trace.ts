import {RandomStreams} from '../engine/random.js'
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {boundOutput} from '../util/output-bound.js'
import {tryParseDuration} from '../util/duration.js'
import {createWorkload} from './create.js'
import {WorkloadSpecSchema, type WorkloadSpec, type WorkloadSpecInput} from './spec.js'
import {loadWorkloadSpecFile} from './spec-file.js'
import {writeTraceCsv} from './write-trace.js'

/**
 * `fleetcap trace generate`: a synthetic workload from a spec file or the quick flags, written as
 * fleetcap's trace CSV. The command checks the output path first (checkOutputFile).
 */

/** The command's flags, as oclif parses them. */
export interface GenerateFlags {
  spec?: string
  'tasks-per-day'?: string
  rate?: string
  duration?: string
  shape?: 'flat' | 'daily'
  'peak-hour'?: string
  'peak-to-trough'?: string
  weekly?: string
  'input-tokens'?: string
  'output-tokens'?: string
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

/** Flags that describe the workload; --spec replaces them all. */
const QUICK = ['tasks-per-day', 'rate', 'shape', 'peak-hour', 'peak-to-trough', 'weekly', 'input-tokens', 'output-tokens', 'tokens-from'] as const satisfies ReadonlyArray<keyof GenerateFlags>

export async function generateTrace(f: GenerateFlags): Promise<{result: GenerateResult; summary: string}> {
  const durationFlag = f.duration === undefined ? undefined : duration('--duration', f.duration)
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
    spec = quickSpec(f, durationFlag)
  }
  const durationS = durationFlag ?? spec.durationS ?? scenarioDuration
  if (durationS === undefined) throw new InputError({field: '--duration'}, 'give the length of the workload, e.g. --duration 1d')
  if (durationFlag !== undefined) spec = {...spec, durationS: durationFlag}
  boundRows(spec, durationS)
  const tasks = createWorkload(spec, {baseDir, rng: new RandomStreams(seed), durationS})
  const w = await writeTraceCsv(tasks, f.out, {force: f.force, maxRows: LIMITS.traceRows})
  const result: GenerateResult = {out: f.out, tasks: w.tasks, rows: w.rows, durationS, seed, tasksPerDay: (w.tasks / durationS) * 86_400}
  const summary = `wrote ${f.out}: ${w.tasks.toLocaleString('en-US')} tasks, ${w.rows.toLocaleString('en-US')} rows over ${durationS} s (${Math.round(result.tasksPerDay).toLocaleString('en-US')} tasks/day), seed ${seed}`
  return {result, summary}
}

/** Refuse up front a synthetic workload whose mean rate × duration is more rows than one trace may hold. */
function boundRows(spec: WorkloadSpec, durationS: number): void {
  if (spec.kind !== 'synthetic') return
  boundOutput({
    where: {field: spec.ratePerS !== undefined ? '--rate' : '--tasks-per-day'},
    from: 'rate × --duration',
    count: (spec.ratePerS ?? (spec.tasksPerDay as number) / 86_400) * durationS,
    unit: 'tasks',
    limit: LIMITS.traceRows,
    limitUnit: 'rows',
    output: 'one trace',
    hint: 'shorten --duration or lower the rate, or generate several traces (a --seed each)',
  })
}

function duration(name: string, text: string): number {
  const v = tryParseDuration(text)
  if (v === undefined) throw new InputError({field: name}, `not a duration (got "${text}"); write e.g. 90s, 15m, 2h, 1d`)
  if (v <= 0) throw new InputError({field: name}, `must be more than 0 s (got "${text}")`)
  return v
}

function positive(name: string, text: string): number {
  const v = Number(text)
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new InputError({field: name}, `must be a positive number (got "${text}")`)
  return v
}

/** A synthetic spec from the quick flags, validated by the same schema as a YAML spec. */
function quickSpec(f: GenerateFlags, durationS: number | undefined): WorkloadSpec {
  if (f['tasks-per-day'] === undefined && f.rate === undefined) {
    throw new InputError({field: '--tasks-per-day'}, 'give --tasks-per-day N or --rate R (tasks per second), or --spec FILE')
  }
  let tokens: NonNullable<Extract<WorkloadSpecInput, {kind: 'synthetic'}>['tokens']>
  if (f['tokens-from'] !== undefined) {
    tokens = {input: {fromTrace: f['tokens-from']}, output: {fromTrace: f['tokens-from']}}
  } else if (f['input-tokens'] !== undefined && f['output-tokens'] !== undefined) {
    tokens = {input: positive('--input-tokens', f['input-tokens']), output: positive('--output-tokens', f['output-tokens'])}
  } else {
    throw new InputError({field: '--input-tokens'}, 'give --input-tokens N and --output-tokens N, or --tokens-from TRACE')
  }
  const raw: WorkloadSpecInput = {
    kind: 'synthetic',
    ...(f['tasks-per-day'] !== undefined ? {tasksPerDay: positive('--tasks-per-day', f['tasks-per-day'])} : {ratePerS: positive('--rate', f.rate as string)}),
    ...(durationS !== undefined ? {durationS} : {}),
    tokens,
  }
  const shape: Record<string, unknown> = {}
  if (f.shape === 'daily') shape.daily = {peakHour: Number(f['peak-hour'] ?? 14), peakToTrough: Number(f['peak-to-trough'] ?? 3)}
  else if (f['peak-hour'] !== undefined || f['peak-to-trough'] !== undefined) {
    throw new InputError({field: '--shape'}, '--peak-hour and --peak-to-trough need --shape daily')
  }
  if (f.weekly !== undefined) shape.weekly = f.weekly.split(',').map((s) => Number(s.trim()))
  if (Object.keys(shape).length > 0) (raw as Record<string, unknown>).shape = shape
  const parsed = WorkloadSpecSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const flag = flagOf(issue.path.map(String))
    throw new InputError({field: flag}, issue.message)
  }
  return parsed.data
}

function flagOf(path: string[]): string {
  const p = path.join('.')
  if (p.startsWith('shape.daily')) return p.endsWith('peakHour') ? '--peak-hour' : '--peak-to-trough'
  if (p.startsWith('shape.weekly')) return '--weekly'
  const flags: Record<string, string> = {'tokens.input': '--input-tokens', 'tokens.output': '--output-tokens', ratePerS: '--rate', tasksPerDay: '--tasks-per-day', durationS: '--duration'}
  return flags[p] ?? `--${p}`
}
