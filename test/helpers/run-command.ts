import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {Config, Errors} from '@oclif/core'

import {type CliResult, ROOT} from './cli.js'

/**
 * Run a fleetcap command in this process, as `fleetcap ARGS…` would, from its TypeScript source
 * (no build, no new Node process): oclif's Config for the package, then the command class's own
 * run(argv, config). stdout and stderr are captured while it runs; the exit code is 0, or what
 * the command exited with (oclif's ExitError). Spawning (runCli) stays for the end-to-end tests:
 * the entry point, the manifest, signals, a TTY.
 */
let config: Promise<Config> | undefined

export async function runCommand(args: string[]): Promise<CliResult> {
  config ??= Config.load({root: ROOT})
  const loaded = await config
  let words = Math.min(args.length, 3)
  while (words > 0 && !existsSync(commandFile(args.slice(0, words)))) words--
  if (words === 0) throw new Error(`no command in ${args.join(' ')}`)
  const module = (await import(pathToFileURL(commandFile(args.slice(0, words))).href)) as {default: {id?: string; run(argv: string[], config: Config): Promise<unknown>}}
  const command = module.default
  command.id = args.slice(0, words).join(':')

  const out: string[] = []
  const err: string[] = []
  const writes = {stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr)}
  const debug = process.env.FLEETCAP_DEBUG
  delete process.env.FLEETCAP_DEBUG
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write
  let code = 0
  try {
    await command.run(args.slice(words), loaded)
  } catch (error) {
    if (!(error instanceof Errors.ExitError)) throw error
    code = error.oclif.exit ?? 1
  } finally {
    process.stdout.write = writes.stdout
    process.stderr.write = writes.stderr
    if (debug !== undefined) process.env.FLEETCAP_DEBUG = debug
  }
  return {code, stdout: out.join(''), stderr: err.join('')}
}

function commandFile(words: string[]): string {
  return `${join(ROOT, 'commands', ...words)}.ts`
}
