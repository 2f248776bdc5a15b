/**
 * Domain errors. The library throws these; the CLI layer (src/cli/base-command.ts) maps them to one
 * line on stderr, a hint, and an exit code, once. Nothing in src/ calls process.exit.
 */
export const ExitCode = {
  OK: 0,
  /** A bug: an error that is not a FleetcapError. */
  INTERNAL: 1,
  /** Bad input: a flag, a file, a row, a schema field. */
  INPUT: 2,
  /** The run completed but the SLO (or a plan's constraints) could not be met. */
  SLO_NOT_MET: 3,
  /** An outside system (Kubernetes, Prometheus, k6) could not be reached or refused. */
  UNREACHABLE: 4,
  /** A rollout gate failed and the change was rolled back. */
  GATE_FAILED: 5,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export interface ErrorOptions {
  hint?: string
  exit?: ExitCode
  cause?: unknown
  /** What the command found although it failed (a plan's closest fleets): `result` beside `error` under --json. */
  result?: unknown
}

export class FleetcapError extends Error {
  readonly hint?: string
  readonly exit: ExitCode
  readonly result?: unknown
  constructor(message: string, options: ErrorOptions = {}) {
    super(oneLineText(message), options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.hint = options.hint
    this.exit = options.exit ?? ExitCode.INPUT
    this.result = options.result
  }
}

/** Where in a file a problem is: `file:line` or `file:line: column "x"`. */
export interface InputLocation {
  file?: string
  line?: number
  column?: string
  field?: string
}

export function formatLocation(loc: InputLocation): string {
  let s = loc.file ?? ''
  if (loc.line !== undefined) s += `${s ? ':' : 'line '}${loc.line}`
  if (loc.column !== undefined) s += `${s ? ': ' : ''}column "${loc.column}"`
  if (loc.field !== undefined) s += `${s ? ': ' : ''}${loc.field}`
  return s
}

/** One line, always: a parser's message (or a key it quotes) can span line breaks. */
export function oneLineText(text: string): string {
  return text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ')
}

/** Bad input with its location: the message reads `file:line: column "x": what was wrong`. */
export class InputError extends FleetcapError {
  readonly location: InputLocation
  constructor(location: InputLocation, problem: string, options: Omit<ErrorOptions, 'exit'> = {}) {
    const where = formatLocation(location)
    super(where ? `${where}: ${problem}` : problem, {...options, exit: ExitCode.INPUT})
    this.location = location
  }
}

/** Kinds of name that `fleetcap profiles list` lists. */
const CATALOG_KINDS = new Set(['GPU', 'model', 'serving profile', 'engine overhead set'])

/** An unknown name (GPU, model, profile, phase): the message lists what exists. */
export class UnknownNameError extends FleetcapError {
  constructor(kind: string, name: string, known: readonly string[], location: InputLocation = {}) {
    const where = formatLocation(location)
    const list = known.length > 12 ? `${known.slice(0, 12).join(', ')}, … (${known.length} in all)` : known.join(', ')
    super(`${where ? `${where}: ` : ''}unknown ${kind} "${name}"; known: ${list}`, {
      exit: ExitCode.INPUT,
      hint: CATALOG_KINDS.has(kind) ? `run \`fleetcap profiles list\` to see every ${kind}` : undefined,
    })
  }
}

export class UnreachableError extends FleetcapError {
  constructor(message: string, options: Omit<ErrorOptions, 'exit'> = {}) {
    super(message, {...options, exit: ExitCode.UNREACHABLE})
  }
}
