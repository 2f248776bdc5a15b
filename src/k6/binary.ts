import {createHash} from 'node:crypto'
import {accessSync, constants, existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

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

/** The k6 extension fleetcap's streaming scripts import (scripts/k6-stream). */
export const STREAM_MODULE = 'k6/x/fleetcap-stream'
const STREAM_BUILD = 'scripts/test-deps/k6-stream.sh'

/** scripts/k6-stream in the checkout this module runs from, when there is one (not in the npm package). */
function streamSourceDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'scripts', 'k6-stream')
    if (existsSync(join(candidate, 'go.mod'))) return candidate
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/** The hash scripts/test-deps/k6-stream.sh names its build by: every Go file, go.mod and go.sum, path and bytes, in byte order. */
export function streamSourceHash(dir: string): string {
  const files: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && (e.name.endsWith('.go') || e.name === 'go.mod' || e.name === 'go.sum')) files.push(relative(dir, p))
    }
  }
  walk(dir)
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  const h = createHash('sha256')
  for (const f of files) {
    h.update(`${f}\n`)
    h.update(readFileSync(join(dir, f)))
  }
  return h.digest('hex').slice(0, 16)
}

/**
 * Find k6 with fleetcap's stream reader compiled in: `--k6 PATH`, then `$FLEETCAP_K6_STREAM`, then
 * the cache: the build of this checkout's scripts/k6-stream, else (an installed fleetcap, without
 * the source) the newest build there. A plain k6 on PATH lacks the extension and is not a candidate.
 */
export function findStreamK6(options: FindK6Options & {sourceDir?: string} = {}): string {
  const env = options.env ?? process.env
  const hint = `build it with \`bash ${STREAM_BUILD}\` from a fleetcap checkout (Go >= 1.25), or pass --k6 PATH to a k6 built with ${STREAM_MODULE}`
  for (const [origin, path] of [
    ['--k6', options.explicit],
    ['$FLEETCAP_K6_STREAM', env.FLEETCAP_K6_STREAM || undefined],
  ] as Array<[string, string | undefined]>) {
    if (path === undefined) continue
    if (isExecutableFile(path)) return path
    throw new FleetcapError(`${origin}: ${path} is not an executable k6 binary`, {hint})
  }
  const root = join(fleetcapCacheDir(env), 'k6-stream')
  const source = options.sourceDir ?? streamSourceDir()
  if (source !== undefined) {
    const built = join(root, streamSourceHash(source), 'bin', 'k6')
    if (isExecutableFile(built)) return built
    throw new FleetcapError(`k6 with the stream reader is not built for this checkout (looked for ${built})`, {hint})
  }
  const builds = existsSync(root)
    ? readdirSync(root)
        .map((d) => join(root, d, 'bin', 'k6'))
        .filter((p) => isExecutableFile(p))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : []
  if (builds.length > 0) return builds[0]
  throw new FleetcapError(`k6 with the stream reader not found (looked at --k6, $FLEETCAP_K6_STREAM and ${root})`, {hint})
}

/** The k6 a script needs: the stream reader's build when it imports the extension, else any k6. */
export function findK6ForScript(script: string, options: FindK6Options = {}): string {
  let text = ''
  try {
    text = readFileSync(script, 'utf8')
  } catch {
    // An unreadable script is k6's error to report, with its own message.
  }
  return text.includes(`from '${STREAM_MODULE}'`) ? findStreamK6(options) : findK6(options)
}
