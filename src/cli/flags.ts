/**
 * The flags every command shares, and the one parser per kind of value: a duration ("90s", "15m",
 * "1h30m", a bare number of seconds), a rate ("2/s", "50000/day"), a size ("512MiB"), a bounded
 * number. Each is an oclif custom flag, so a command receives seconds, events per second, bytes or a
 * number, already checked, and a bad value is one line naming the flag (exit 2).
 */
import {Flags, type Interfaces} from '@oclif/core'

import {InputError} from '../errors.js'
import {SLO_FLAG_NAMES, type SloField, type SloSpec} from '../slo/schema.js'
import {tryParseDuration} from '../util/duration.js'
import {type BareRateUnit, RATE_EXAMPLES, tryParseRate} from '../util/rate.js'
import {SIZE_EXAMPLES, tryParseSize} from '../util/size.js'

/** What a flag definition may say besides its value's parser (oclif's own options). */
interface Common {
  description?: string
  summary?: string
  helpGroup?: string
  env?: string
  hidden?: boolean
  aliases?: string[]
  deprecateAliases?: boolean
  exclusive?: string[]
  dependsOn?: string[]
  exactlyOne?: string[]
}
/** A default is written as the user would write it ("28d", "2/s"): help shows it so, and it is parsed once, here. */
type WithDefault = Common & {default: string}
type Required = Common & {required: true}

/** Lower and upper bounds of a number; `above` excludes its bound (a rate must be more than 0). */
export interface Bounds {
  min?: number
  above?: number
  max?: number
}

function inBounds(flag: string, text: string, value: number, bounds: Bounds, unit = ''): number {
  const u = unit ? ` ${unit}` : ''
  if (bounds.above !== undefined && !(value > bounds.above)) throw new InputError({field: `--${flag}`}, `must be more than ${bounds.above}${u} (got ${text})`)
  if (bounds.min !== undefined && !(value >= bounds.min)) throw new InputError({field: `--${flag}`}, `must be at least ${bounds.min}${u} (got ${text})`)
  if (bounds.max !== undefined && !(value <= bounds.max)) throw new InputError({field: `--${flag}`}, `must be at most ${bounds.max}${u} (got ${text})`)
  return value
}

/** Build a flag kind from a parser of its text: `parse(text, flagName)` returns the value or throws an InputError. */
export function flagKind<T>(helpValue: string, parse: (text: string, flag: string) => T) {
  // One untyped definition underneath; `define`'s overloads give commands the typed value.
  const base = Flags.custom<unknown>({helpValue, parse: async (input, _ctx, opts) => parse(input, opts.name)})
  function define(options: WithDefault | Required): Interfaces.OptionFlag<T>
  function define(options?: Common): Interfaces.OptionFlag<T | undefined>
  function define(options: Common & {default?: string; required?: boolean} = {}): Interfaces.OptionFlag<T | undefined> {
    const {default: text, ...rest} = options
    // oclif hands a default to the command as it is: parse the written one here, so both paths agree.
    // defaultHelp is a function because oclif's manifest keeps only a function's value (a plain one
    // would show --help the parsed seconds).
    const made = text === undefined ? base(rest) : base({...rest, default: parse(text, 'default'), defaultHelp: async () => text})
    return made as unknown as Interfaces.OptionFlag<T | undefined>
  }
  return define
}

/** Seconds: "90s", "15m", "2h", "1d", "1w", "500ms", "1h30m" or a bare number of seconds. */
export function durationFlag(bounds: Bounds = {above: 0}) {
  return flagKind('<duration>', (text, flag) => {
    const s = tryParseDuration(text)
    if (s === undefined || !Number.isFinite(s)) throw new InputError({field: `--${flag}`}, `"${text}" is not a duration (e.g. 500ms, 90s, 15m, 2h, 1d, 1h30m; a bare number is seconds)`)
    return inBounds(flag, text, s, bounds, 's')
  })
}

/** Events per second: "2/s", "120/min", "7200/h", "50000/day"; a bare number is per second (or per day where said). */
export function rateFlag(bare: BareRateUnit = 's', bounds: Bounds = {above: 0}) {
  return flagKind('<rate>', (text, flag) => {
    const r = tryParseRate(text, bare)
    if (r === undefined || !Number.isFinite(r)) throw new InputError({field: `--${flag}`}, `"${text}" is not a rate (e.g. ${RATE_EXAMPLES}; a bare number is per ${bare === 's' ? 'second' : 'day'})`)
    return inBounds(flag, text, r, bounds, '/s')
  })
}

/** Bytes: "512MiB", "64Mi", "1.5GB", "2G" or a bare number of bytes. */
export function sizeFlag(bounds: Bounds = {above: 0}) {
  return flagKind('<size>', (text, flag) => {
    const b = tryParseSize(text)
    if (b === undefined) throw new InputError({field: `--${flag}`}, `"${text}" is not a size (e.g. ${SIZE_EXAMPLES}; a bare number is bytes)`)
    return inBounds(flag, text, b, bounds, 'bytes')
  })
}

/** A plain number within bounds ("0.1", "1e3"). */
export function numberFlag(bounds: Bounds = {}) {
  return flagKind('<number>', (text, flag) => {
    const t = text.trim()
    const v = t === '' ? Number.NaN : Number(t)
    if (!Number.isFinite(v)) throw new InputError({field: `--${flag}`}, `"${text}" is not a number`)
    return inBounds(flag, text, v, bounds)
  })
}

/** A share in [0, 1]: "0.001", "0.9". */
export const fractionFlag = () => numberFlag({min: 0, max: 1})

const sloSeconds = durationFlag()
const sloFraction = fractionFlag()

/**
 * The SLO flags (src/slo/schema.ts's fields, as `--e2e-p95 2s`, `--ttft-p95 500ms`, `--error-rate-max
 * 0.001`), for the fields a command can check.
 */
export function sloFlags<F extends SloField>(fields: readonly F[], helpGroup = 'SLO'): {[K in F as (typeof SLO_FLAG_NAMES)[K]]: Interfaces.OptionFlag<number | undefined>} {
  // Typed by name, so a command's flags stay exact (a misspelt flag does not compile).
  const out: Record<string, Interfaces.OptionFlag<number | undefined>> = {}
  for (const field of fields) {
    const name = SLO_FLAG_NAMES[field]
    out[name] = field === 'errorRateMax' ? sloFraction({description: 'SLO: largest share of failed tasks (0.001 = 0.1 %).', helpGroup}) : sloSeconds({description: `SLO: ${SLO_FLAG_TEXT[field]} at most this (a duration; a bare number is seconds).`, helpGroup})
  }
  return out as {[K in F as (typeof SLO_FLAG_NAMES)[K]]: Interfaces.OptionFlag<number | undefined>}
}

const SLO_FLAG_TEXT: Record<SloField, string> = {
  e2eP95S: 'task end-to-end latency p95',
  e2eP99S: 'task end-to-end latency p99',
  ttftP95S: 'time to first token p95',
  ttftP99S: 'time to first token p99',
  tpotP95S: 'time per output token p95',
  queueWaitP95S: 'queue wait p95',
  errorRateMax: 'error rate',
}

/** The SLO fields the user set by flag (the others are left out, so a file's block can fill them). */
export function sloFromFlags(flags: Readonly<Record<string, unknown>>, fields: readonly SloField[]): Partial<SloSpec> {
  const slo: Partial<SloSpec> = {}
  for (const field of fields) {
    const v = flags[SLO_FLAG_NAMES[field]]
    if (typeof v === 'number') slo[field] = v
  }
  return slo
}

/**
 * Flags that mean the same in every command that has them: one name, one description, one default.
 * A command spreads the ones it takes (`...pick(sharedFlags, 'since', 'until')`).
 */
export const sharedFlags = {
  seed: Flags.integer({description: "Seed of every random choice: the same inputs and seed give the same bytes (default: the scenario's seed where there is one, else 1).", min: 0, max: 0xffff_ffff}),
  engine: Flags.string({description: 'Serving engine: vllm (default), tensorrt-llm, vllm-splitwise-2023.'}),
  precision: Flags.string({description: 'Weights[/KV cache] precision: fp16 (default; bf16 is the same), fp8, int8, int4, fp4; e.g. fp8/fp8.'}),
  prometheus: Flags.string({description: 'Prometheus base URL (with --query, --since, --step).', helpGroup: 'PROMETHEUS'}),
  query: Flags.string({description: 'PromQL expression (a rate() per second, or counts per step with --unit per-step).', helpGroup: 'PROMETHEUS'}),
  since: durationFlag()({description: 'How far back to read from Prometheus.', default: '28d', helpGroup: 'PROMETHEUS'}),
  until: Flags.string({description: 'End of the Prometheus range (ISO-8601; default now).', helpGroup: 'PROMETHEUS'}),
  kubeconfig: Flags.string({description: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).', helpGroup: 'CLUSTER'}),
  context: Flags.string({description: 'kubeconfig context (default: its current context).', helpGroup: 'CLUSTER'}),
  k6: Flags.string({description: 'Path of the k6 binary (default: $FLEETCAP_K6, the fleetcap cache, PATH).'}),
}

/** The named members of a flag set, for spreading into a command's flags. */
export function pick<S extends Record<string, unknown>, K extends keyof S>(set: S, ...keys: K[]): Pick<S, K> {
  const out = {} as Pick<S, K>
  for (const k of keys) out[k] = set[k]
  return out
}
