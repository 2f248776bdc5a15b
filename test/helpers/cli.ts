import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root, and the public data vendored in it (data/README.md: real traces and calibration data). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DATA = join(ROOT, 'data')
export const dataPath = (...parts: string[]): string => join(DATA, ...parts)
/** @deprecated The data now lives in the repository: use `dataPath` (kept so branches written against the old name merge). */
export const sharedPath = dataPath

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Run the built CLI (`node bin/run.js …`) end to end, as a user would. Needs `npm run build` first
 * (scripts/test.sh does it); fails loudly when dist/ is missing rather than testing stale code.
 */
export function runCli(args: string[], options: {cwd?: string; env?: Record<string, string>; input?: string} = {}): CliResult {
  if (!existsSync(join(ROOT, 'dist', 'commands'))) {
    throw new Error('dist/commands is missing: run `npm run build` before the end-to-end tests')
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: {...process.env, FLEETCAP_DEBUG: '', ...options.env},
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}
