import {accessSync, constants, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

import {FleetcapError} from '../errors.js'

/** The k6 release fleetcap builds, caches and tests against (scripts/test-deps/k6.sh builds the same). */
export const K6_VERSION = 'v1.8.1'

/** The command that puts k6 where fleetcap looks for it first. */
export function k6InstallCommand(cacheDir = fleetcapCacheDir()): string {
  return `GOBIN=${join(cacheDir, 'k6', K6_VERSION, 'bin')} go install go.k6.io/k6@${K6_VERSION}`
}

export function fleetcapCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEETCAP_CACHE || join(homedir(), '.cache', 'fleetcap')
}

/** Where the k6 binary that scripts/test-deps/k6.sh builds lives. */
export function cachedK6Path(env: NodeJS.ProcessEnv = process.env): string {
  return join(fleetcapCacheDir(env), 'k6', K6_VERSION, 'bin', 'k6')
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export interface FindK6Options {
  /** An explicit path (the `--k6` flag): used as it is, and an error when it is not an executable. */
  explicit?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Find the k6 binary: `--k6 PATH`, then `$FLEETCAP_K6`, then fleetcap's cache, then `PATH`.
 * A path that was asked for by name (flag or variable) and is not executable is an error, not a
 * reason to look elsewhere: silently running another k6 than the one named would surprise.
 */
export function findK6(options: FindK6Options = {}): string {
  const env = options.env ?? process.env
  const named: Array<[string, string | undefined]> = [
    ['--k6', options.explicit],
    ['$FLEETCAP_K6', env.FLEETCAP_K6 || undefined],
  ]
  for (const [origin, path] of named) {
    if (path === undefined) continue
    if (isExecutableFile(path)) return path
    throw new FleetcapError(`${origin}: ${path} is not an executable k6 binary`, {
      hint: `install k6 with \`${k6InstallCommand(fleetcapCacheDir(env))}\`, or point ${origin} at an existing k6`,
    })
  }
  const cached = cachedK6Path(env)
  if (isExecutableFile(cached)) return cached
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, 'k6')
    if (isExecutableFile(candidate)) return candidate
  }
  throw new FleetcapError('k6 not found (looked at --k6, $FLEETCAP_K6, the fleetcap cache and PATH)', {
    hint: `install it with \`${k6InstallCommand(fleetcapCacheDir(env))}\` (Go >= 1.25), or pass --k6 PATH`,
  })
}
