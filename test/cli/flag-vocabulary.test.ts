/**
 * One vocabulary across the commands (issue 14, item 4; the rules are in src/cli/flags.ts):
 * (a) a flag name means the same in every command that has it: the same kind of value (a custom
 *     parser: duration, rate, size, number, list; or integer, string, boolean, a fixed set of options)
 *     and the same default; a flag of src/cli/flags.ts's sharedFlags or sloFlags also has their text;
 * (b) no Flags.string whose name or description says its value is a duration, rate or number;
 * (c) every command file is at most 60 lines.
 * Every command class is loaded from commands/ (the sources, as the CLI would have them built).
 *
 * The lists below only shrink: KNOWN_DIFFERENT and KNOWN_LONG name today's offenders (other branches
 * are converting them); an entry that no longer offends fails the test until it is deleted.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {Flags} from '@oclif/core'
import {beforeAll, describe, expect, it} from 'vitest'

import {durationFlag, sharedFlags, sloFlags} from '../../src/cli/flags.js'
import {SLO_FLAG_NAMES, type SloField} from '../../src/slo/schema.js'
import {ROOT} from '../helpers/cli.js'

interface FlagDef {
  type: 'boolean' | 'option'
  description?: string
  default?: unknown
  defaultHelp?: unknown
  helpValue?: string | string[]
  options?: readonly string[]
  multiple?: boolean
  parse: (...a: never[]) => unknown
}

interface Seen {
  command: string
  name: string
  flag: FlagDef
}

const MAX_LINES = 60

/**
 * A flag name that legitimately means different things: the commands of each meaning (each must be
 * listed, so a new command with the name has to choose one). Within a meaning, (a) still holds.
 */
const ALLOWED_DIFFERENT: Record<string, {why: string; meanings: Record<string, string[]>}> = {
  out: {
    why: 'what a command writes is one file, a directory of several files, or (forecast run) either by the number of series',
    meanings: {
      file: ['trace generate'],
      directory: ['simulate', 'plan', 'sweep', 'k6 export', 'forecast backtest'],
      'file or directory': ['forecast run'],
    },
  },
  model: {
    why: 'the served LLM (a catalog name) everywhere but forecast run, where it picks the forecasting model',
    meanings: {
      'served model': ['calibrate', 'k6 export', 'plan', 'profiles list', 'profiles show'],
      'forecasting model': ['forecast run'],
    },
  },
  gpu: {
    why: 'plan considers several GPU types, each with an optional limit (A100-80GB=64, repeatable); the others name one GPU',
    meanings: {'GPU types to plan with': ['plan'], 'one GPU': ['calibrate', 'profiles list', 'profiles show']},
  },
  horizon: {
    why: 'forecast run scores and prints steps of the series (a duration or a number of steps, default 1d); plan cuts calendar time into phases (a duration, default 4w)',
    meanings: {'forecast steps': ['forecast run'], 'planning horizon': ['plan']},
  },
  timeout: {
    why: 'how long the command waits for what it runs, whose length differs: apply-to-cluster the gates (10m), k6 run the test (its planned length + grace), sweep --on-cluster the Job (until it ends)',
    meanings: {'gates': ['apply-to-cluster'], 'load test': ['k6 run'], 'sweep Job': ['sweep']},
  },
  image: {
    why: 'plan: the serving image of the manifests; sweep --emit-job: the image that runs fleetcap itself',
    meanings: {'serving image': ['plan'], 'fleetcap image': ['sweep']},
  },
}

/** Shared flags whose command keeps a longer text: it says more, with the same meaning. */
const LONGER_DESCRIPTION: Record<string, {commands: string[]; why: string}> = {
  engine: {commands: ['plan'], why: '"of every candidate": the plan builds every candidate with it'},
  precision: {commands: ['plan'], why: '"of every candidate": the plan builds every candidate with it'},
  kubeconfig: {commands: ['sweep'], why: 'adds that in a pod its ServiceAccount is used'},
  query: {commands: ['forecast backtest', 'forecast run'], why: 'forecast takes every series the query returns, each in its own units (no --unit there)'},
}

/**
 * Today's offenders, command by command (other branches convert them; delete an entry once its
 * branch is merged and the test says it no longer offends). rule a: the name's kind, default or
 * shared text differs between these commands; rule b: a Flags.string holding a duration, rate or number.
 */
const KNOWN_DIFFERENT: Array<{rule: 'a' | 'b'; flag: string; commands: string[]}> = [
]

/** Command files over MAX_LINES today, with their length then: a file may only shrink, and leaves the list at 60. */
const KNOWN_LONG: Record<string, {lines: number; why: string}> = {
}

/** Name parts and description phrases that say a value is a duration, a rate or a number. */
const NUMERIC_NAME_PARTS = new Set([
  's',
  'ms',
  'duration',
  'timeout',
  'rate',
  'bucket',
  'step',
  'horizon',
  'holdout',
  'every',
  'factor',
  'scale',
  'speedup',
  'quantile',
  'quantiles',
  'headroom',
  'budget',
  'price',
  'since',
  'window',
  'latency',
  'p50',
  'p90',
  'p95',
  'p99',
  'max',
  'min',
])
const NUMERIC_DESCRIPTION = [/\bdurations?\b/i, /\bseconds\b/i, /\bper second\b/i, /\bUSD\b/, /\bfraction\b/i, /\bshare of\b/i]
/** Flags.string that the patterns above mistake for a number: the value is text, and why. */
const NOT_NUMERIC: Record<string, string> = {
  query: 'a PromQL expression; its text says the series it returns is a rate per second',
  trace: 'a trace file; forecast run says what rate it is aggregated into',
}

const files = readdirSync(join(ROOT, 'commands'), {recursive: true})
  .map(String)
  .filter((f) => f.endsWith('.ts'))
  .sort()
const commandName = (file: string): string => file.replace(/\.ts$/, '').split('/').join(' ')

const integerParse = Flags.integer().parse.toString()
const stringParse = Flags.string().parse.toString()

/** What a command receives from the flag: the parser's kind, and whether it repeats. */
function kindOf(flag: FlagDef): string {
  let kind: string
  if (flag.type === 'boolean') kind = 'boolean'
  else if (flag.options !== undefined) kind = `one of ${[...flag.options].sort().join('|')}`
  else if (typeof flag.helpValue === 'string' && flag.helpValue.startsWith('<') && flag.parse.toString() !== stringParse) kind = flag.helpValue
  else if (flag.parse.toString() === integerParse) kind = 'integer'
  else if (flag.parse.toString() === stringParse) kind = 'string'
  else kind = 'custom parser'
  return flag.multiple ? `${kind} (repeatable)` : kind
}

/** The default the command receives and the one help shows ("28d" → 2419200 s): both must agree. */
const defaultOf = (flag: FlagDef): string => {
  const value = JSON.stringify(flag.default) ?? 'none'
  const shown = shownDefault.get(flag) ?? flag.defaultHelp
  return shown === undefined ? value : `${value} (shown ${JSON.stringify(shown)})`
}

/** defaultHelp is a function for the typed flags (what oclif's manifest keeps): its value, resolved before the checks. */
const shownDefault = new Map<FlagDef, unknown>()
async function resolveShown(flag: FlagDef): Promise<void> {
  if (typeof flag.defaultHelp === 'function') shownDefault.set(flag, await (flag.defaultHelp as (ctx: unknown) => Promise<unknown>)({}))
}
const signature = (flag: FlagDef): string => `${kindOf(flag)}, default ${defaultOf(flag)}`

/** The flags every command must take from src/cli/flags.ts as they are there. */
const SHARED: Record<string, FlagDef> = {
  ...(sharedFlags as unknown as Record<string, FlagDef>),
  ...(sloFlags(Object.keys(SLO_FLAG_NAMES) as SloField[]) as unknown as Record<string, FlagDef>),
}

/** Flags by name, over every command. */
const seen = new Map<string, Seen[]>()

beforeAll(async () => {
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(ROOT, 'commands', file)).href)) as {default: {flags?: Record<string, FlagDef>}}
    for (const [name, flag] of Object.entries(mod.default.flags ?? {})) {
      const list = seen.get(name) ?? []
      list.push({command: commandName(file), name, flag})
      seen.set(name, list)
      await resolveShown(flag)
    }
  }
  for (const flag of Object.values(SHARED)) await resolveShown(flag)
})

/** (a): per flag name, the commands that break the vocabulary (with what they have). */
function vocabularyOffenders(flags: ReadonlyMap<string, Seen[]> = seen): Map<string, {commands: string[]; detail: string[]}> {
  const out = new Map<string, {commands: string[]; detail: string[]}>()
  for (const [name, all] of flags) {
    const shared = SHARED[name]
    const detail = all.map((s) => `${s.command}: ${signature(s.flag)}, "${s.flag.description}"`)
    if (shared !== undefined) {
      const longer = LONGER_DESCRIPTION[name]?.commands ?? []
      const off = all.filter((s) => signature(s.flag) !== signature(shared) || (s.flag.description !== shared.description && !longer.includes(s.command)))
      if (off.length > 0) out.set(name, {commands: off.map((s) => s.command).sort(), detail: [`shared: ${signature(shared)}, "${shared.description}"`, ...detail]})
      continue
    }
    const allowed = ALLOWED_DIFFERENT[name]
    const groups = allowed === undefined ? [all] : Object.values(allowed.meanings).map((cmds) => all.filter((s) => cmds.includes(s.command)))
    for (const group of groups) {
      if (new Set(group.map((s) => signature(s.flag))).size > 1) {
        const prev = out.get(name)
        out.set(name, {commands: [...(prev?.commands ?? []), ...group.map((s) => s.command)].sort(), detail})
      }
    }
  }
  return out
}

/** (b): Flags.string flags whose name or description says the value is a duration, rate or number. */
function stringNumberOffenders(flags: ReadonlyMap<string, Seen[]> = seen): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [name, all] of flags) {
    if (NOT_NUMERIC[name] !== undefined) continue
    for (const {command, flag} of all) {
      if (kindOf(flag).replace(' (repeatable)', '') !== 'string') continue
      const byName = name.split('-').some((part) => NUMERIC_NAME_PARTS.has(part))
      const byText = NUMERIC_DESCRIPTION.some((re) => re.test(flag.description ?? ''))
      if (byName || byText) out.set(name, [...(out.get(name) ?? []), command].sort())
    }
  }
  return out
}

/** The known list for one rule, as flag → commands (entries with no command are not offences). */
function known(rule: 'a' | 'b'): Map<string, string[]> {
  return new Map(KNOWN_DIFFERENT.filter((k) => k.rule === rule && k.commands.length > 0).map((k) => [k.flag, [...k.commands].sort()]))
}

function compare(found: Map<string, string[]>, rule: 'a' | 'b', detail: (flag: string) => string[] = () => []): void {
  const expected = known(rule)
  const problems: string[] = []
  for (const [flag, commands] of found) {
    const k = expected.get(flag)
    const extra = commands.filter((c) => !(k ?? []).includes(c))
    if (extra.length > 0) problems.push(`--${flag} in ${extra.join(', ')} breaks rule ${rule}:\n    ${detail(flag).join('\n    ')}`)
  }
  for (const [flag, commands] of expected) {
    const fixed = commands.filter((c) => !(found.get(flag) ?? []).includes(c))
    if (fixed.length > 0) problems.push(`--${flag} in ${fixed.join(', ')} no longer breaks rule ${rule}: delete it from KNOWN_DIFFERENT`)
  }
  expect(problems, problems.join('\n')).toEqual([])
}

describe('one flag vocabulary across the commands', () => {
  it('loads every command and its flags', () => {
    expect(files.length).toBeGreaterThanOrEqual(13)
    expect(seen.get('seed')?.map((s) => s.command)).toContain('simulate')
    // The kinds are told apart (else every check below would pass on nothing).
    const kind = (command: string, flag: string) => kindOf(seen.get(flag)?.find((s) => s.command === command)?.flag as FlagDef)
    expect(kind('trace inspect', 'bucket')).toBe('<duration>')
    expect(kind('trace generate', 'rate')).toBe('<rate>')
    expect(kind('trace generate', 'weekly')).toBe('<n,n,n,...>')
    expect(kind('profiles show', 'price')).toBe('<number>')
    expect(kind('profiles show', 'tp')).toBe('integer')
    expect(kind('profiles show', 'model')).toBe('string')
    expect(kind('simulate', 'band')).toBe('one of edges|none')
    expect(kind('simulate', 'check-slo')).toBe('boolean')
  })

  it('(a) a flag name has one kind and one default in every command, and a shared flag its shared text', () => {
    const found = vocabularyOffenders()
    compare(new Map([...found].map(([flag, v]) => [flag, v.commands])), 'a', (flag) => found.get(flag)?.detail ?? [])
  })

  it('(a) the check finds a name with two kinds or defaults, or a shared flag retold (it can fail)', () => {
    const flags = new Map<string, Seen[]>([
      [
        'window',
        [
          {command: 'one', name: 'window', flag: durationFlag()({description: 'x', default: '60s'}) as unknown as FlagDef},
          {command: 'two', name: 'window', flag: durationFlag()({description: 'x', default: '5m'}) as unknown as FlagDef},
        ],
      ],
      [
        'label',
        [
          {command: 'one', name: 'label', flag: Flags.string({description: 'a'}) as unknown as FlagDef},
          {command: 'two', name: 'label', flag: Flags.string({description: 'b'}) as unknown as FlagDef},
        ],
      ],
      ['seed', [{command: 'one', name: 'seed', flag: Flags.integer({description: 'Random seed.', min: 0, max: 0xffff_ffff}) as unknown as FlagDef}]],
      ['since', [{command: 'one', name: 'since', flag: SHARED.since}]],
    ])
    expect(Object.fromEntries([...vocabularyOffenders(flags)].map(([name, v]) => [name, v.commands]))).toEqual({window: ['one', 'two'], seed: ['one']})
  })

  it('(a) each allow-listed name lists every command that has it, under one meaning', () => {
    for (const [name, {meanings}] of Object.entries(ALLOWED_DIFFERENT)) {
      const listed = Object.values(meanings).flat().sort()
      expect(listed, `--${name}: a command in two meanings`).toEqual([...new Set(listed)])
      expect((seen.get(name) ?? []).map((s) => s.command).sort(), `--${name}: the commands that have it, each in one meaning of ALLOWED_DIFFERENT`).toEqual(listed)
    }
  })

  it('(b) no Flags.string holds a duration, a rate or a number', () => {
    compare(stringNumberOffenders(), 'b', (flag) => (seen.get(flag) ?? []).map((s) => `${s.command}: "${s.flag.description}"`))
  })

  it('(b) the check finds such a flag (it can fail)', () => {
    const fake = (description: string) => Flags.string({description}) as unknown as FlagDef
    const flags = new Map<string, Seen[]>([
      ['wait', [{command: 'fake', name: 'wait', flag: fake('Wait this long (a duration).')}]],
      ['retry-timeout', [{command: 'fake', name: 'retry-timeout', flag: fake('How long to retry.')}]],
      ['label', [{command: 'fake', name: 'label', flag: fake('A label to add.')}]],
    ])
    expect([...stringNumberOffenders(flags).keys()]).toEqual(['wait', 'retry-timeout'])
  })

  it('(c) every command file is at most 60 lines; the known long ones only shrink', () => {
    const problems: string[] = []
    for (const file of files) {
      const lines = readFileSync(join(ROOT, 'commands', file), 'utf8').split('\n').length - 1
      const long = KNOWN_LONG[file]
      if (long === undefined && lines > MAX_LINES) problems.push(`commands/${file}: ${lines} lines (at most ${MAX_LINES}: flags to src/<area>/cli-flags.ts, the work to src/<area>/…-command.ts)`)
      if (long !== undefined && lines > long.lines) problems.push(`commands/${file}: ${lines} lines, more than the ${long.lines} of KNOWN_LONG: it may only shrink`)
      if (long !== undefined && lines <= MAX_LINES) problems.push(`commands/${file}: ${lines} lines now: delete it from KNOWN_LONG`)
    }
    for (const file of Object.keys(KNOWN_LONG)) if (!files.includes(file)) problems.push(`KNOWN_LONG names commands/${file}, which is gone: delete it`)
    expect(problems, problems.join('\n')).toEqual([])
  })
})
