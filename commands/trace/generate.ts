
import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {RandomStreams} from '../../src/engine/random.js'
import {InputError} from '../../src/errors.js'
import {LIMITS} from '../../src/limits.js'
import {checkOutputFile} from '../../src/util/atomic-write.js'
import {boundOutput} from '../../src/util/output-bound.js'
import {tryParseDuration} from '../../src/util/duration.js'
import {
  WorkloadSpecSchema,
  createWorkload,
  loadWorkloadSpecFile,
  writeTraceCsv,
  type WorkloadSpec,
  type WorkloadSpecInput,
} from '../../src/workload/index.js'

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
const QUICK = ['tasks-per-day', 'rate', 'shape', 'peak-hour', 'peak-to-trough', 'weekly', 'input-tokens', 'output-tokens', 'tokens-from']

export default class TraceGenerate extends FleetcapCommand<typeof TraceGenerate> {
  static override description = `Generate a synthetic task trace and write it as fleetcap's trace CSV.

Arrivals are a Poisson process at the given mean rate, shaped by a daily cycle and weekly multipliers
(for bursts, agent chains, mixes and deadlines use --spec with a full workload spec). The output has one
row per LLM call (header arrival_s,input_tokens,output_tokens,task_type,priority,model,task_id,call_index,
delay_s,service_s,deadline_s) and reads back with \`fleetcap trace inspect\` or as a trace workload.
The same seed gives the same file, byte for byte. An existing file is never overwritten without --force.

Exit codes: 0 ok, 2 bad input (bad flag or spec, the output exists), 1 internal error.`

  static override examples = [
    '<%= config.bin %> trace generate --tasks-per-day 5000 --duration 1d --shape daily --input-tokens 1000 --output-tokens 200 --out day.csv',
    '<%= config.bin %> trace generate --rate 2 --duration 1h --tokens-from data/traces/AzureLLMInferenceTrace_conv.csv --seed 7 --out hour.csv',
    '<%= config.bin %> trace generate --spec scenarios/agents.yaml --duration 2h --out agents.csv --force',
  ]

  static override flags = {
    spec: Flags.string({description: 'YAML with a workload spec (bare, or a scenario\'s workload: section); replaces the workload flags.'}),
    'tasks-per-day': Flags.string({description: 'Mean tasks per day.', exclusive: ['rate']}),
    rate: Flags.string({description: 'Mean tasks per second.', exclusive: ['tasks-per-day']}),
    duration: Flags.string({description: 'Length: seconds or a duration (90s, 15m, 2h, 1d).'}),
    shape: Flags.option({options: ['flat', 'daily'] as const, description: 'Rate shape over the day (default flat).'})(),
    'peak-hour': Flags.string({description: 'With --shape daily: hour (0-24) of the peak (default 14).'}),
    'peak-to-trough': Flags.string({description: 'With --shape daily: peak rate / trough rate (default 3).'}),
    weekly: Flags.string({description: 'Seven day multipliers, comma-separated, first day first (normalized to mean 1).'}),
    'input-tokens': Flags.string({description: 'Input tokens per task (constant).'}),
    'output-tokens': Flags.string({description: 'Output tokens per task (constant).'}),
    'tokens-from': Flags.string({description: 'Trace whose (input, output) token pairs are resampled.', exclusive: ['input-tokens', 'output-tokens']}),
    seed: Flags.integer({min: 0, max: 0xffff_ffff, description: 'Random seed (default 1, or the scenario\'s seed).'}),
    out: Flags.string({char: 'o', required: true, description: 'Output CSV file; - for stdout (a FIFO or /dev/stdout is written into, never replaced).'}),
    force: Flags.boolean({description: 'Overwrite the output file if it exists.'}),
  }

  public async run(): Promise<GenerateResult> {
    const f = this.flags
    const target = checkOutputFile(f.out, f.force)
    if (target.kind === 'stdout' && this.jsonEnabled()) throw new InputError({field: '--out'}, '- (stdout) cannot be combined with --json: both would be written to stdout')
    const durationFlag = f.duration === undefined ? undefined : duration('--duration', f.duration)
    let spec: WorkloadSpec
    let baseDir = process.cwd()
    let seed = f.seed ?? 1
    let scenarioDuration: number | undefined
    if (f.spec !== undefined) {
      const clash = QUICK.find((name) => (f as Record<string, unknown>)[name] !== undefined)
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
    // The trace itself may be on stdout: the summary then goes to stderr.
    if (target.kind === 'file') this.say(summary)
    else this.note(summary)
    return result
  }
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

type Flagset = TraceGenerate['flags']

/** A synthetic spec from the quick flags, validated by the same schema as a YAML spec. */
function quickSpec(f: Flagset, durationS: number | undefined): WorkloadSpec {
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
