import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {ExitCode, FleetcapError} from '../errors.js'

/**
 * Base of every fleetcap command: `--json` (the value `run()` returns is printed as JSON) and
 * `--debug`, and the one error path: a FleetcapError becomes one line on stderr, an optional hint,
 * and its exit code; the stack only with --debug. Any other error is a bug and exits 1.
 */
export abstract class FleetcapCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    debug: Flags.boolean({
      description: 'Print stack traces of errors.',
      helpGroup: 'GLOBAL',
      env: 'FLEETCAP_DEBUG',
    }),
  }

  protected flags!: Interfaces.InferredFlags<T['flags'] & (typeof FleetcapCommand)['baseFlags']>
  protected args!: Interfaces.InferredArgs<T['args']>

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof FleetcapCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as typeof this.flags
    this.args = args as typeof this.args
  }

  /** Human output; silent under --json, where only the returned value is printed. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) process.stdout.write(`${line}\n`)
  }

  /** Progress and warnings go to stderr so stdout stays parseable. */
  protected note(line: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${line}\n`)
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    const debug = process.argv.includes('--debug') || Boolean(process.env.FLEETCAP_DEBUG)
    if (err instanceof Errors.ExitError) throw err
    let exit: number
    let message: string
    let hint: string | undefined
    const onPath = fileProblem(err)
    if (err instanceof FleetcapError) {
      exit = err.exit
      message = unwrapFlagParsing(err.message)
      hint = err.hint
    } else if (onPath !== undefined) {
      // A file or folder the user named that cannot be read or written (a folder given for a file,
      // a file for a folder, no permission): their input, not our bug.
      exit = ExitCode.INPUT
      message = onPath
      hint = undefined
    } else if (err instanceof Errors.CLIError) {
      // oclif's own parse errors (unknown flag, missing argument): usage errors.
      exit = err.oclif?.exit === undefined || err.oclif.exit === 1 ? ExitCode.INPUT : err.oclif.exit
      message = oneLine(err.message)
      hint = 'see --help'
    } else {
      exit = ExitCode.INTERNAL
      message = `internal error: ${err.message}`
      hint = debug ? undefined : 'run again with --debug for the stack trace, and report it'
    }
    if (this.jsonEnabled()) {
      // One JSON document on stdout: the error, and what the command found despite it.
      const result = err instanceof FleetcapError ? err.result : undefined
      this.logJson({error: {message, hint, exit}, ...(result === undefined ? {} : {result})})
    } else {
      process.stderr.write(`Error: ${message}\n`)
      if (hint) process.stderr.write(`Hint: ${hint}\n`)
    }
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`)
    return this.exit(exit)
  }
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of this path is a file, not a directory',
  EEXIST: 'a file is in the way of a directory here',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
}

/** `PATH: what is wrong` for a Node file-system error on a path, else undefined. */
export function fileProblem(err: unknown): string | undefined {
  const e = err as {code?: unknown; path?: unknown; syscall?: unknown}
  if (typeof e?.code !== 'string' || typeof e.path !== 'string') return undefined
  const what = FILE_PROBLEMS[e.code]
  if (what === undefined) return undefined
  return `${e.path}: ${what}${typeof e.syscall === 'string' ? ` (${e.syscall})` : ''}`
}

/**
 * oclif wraps an error thrown by a flag's parser as "Parsing --x \n\t<message>\nSee more help with
 * --help"; our parsers' messages already name the flag (src/cli/flags.ts), so keep the message.
 */
export function unwrapFlagParsing(message: string): string {
  const m = /^Parsing --\S+\s*\n\t([\s\S]*?)(?:\nSee more help with --help)?$/.exec(message)
  return m === null ? message : oneLine(m[1])
}

/**
 * oclif's parse errors can span several lines ("The following errors occurred:\n  --a cannot …\nSee more
 * help with --help"): keep what was wrong, on one line, and drop the help pointer (the hint says it).
 */
export function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^See more help with/i.test(l))
  if (lines.length > 1 && /^The following errors occurred/i.test(lines[0])) return lines.slice(1).join('; ')
  // "Missing 1 required arg:\nscenario  Scenario YAML file." → "Missing 1 required arg: scenario: Scenario YAML file."
  if (lines.length > 1 && lines[0].endsWith(':')) return `${lines[0]} ${lines.slice(1).map((l) => l.replace(/\s{2,}/, ': ')).join('; ')}`
  return lines.join('; ')
}
