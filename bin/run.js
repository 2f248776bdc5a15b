#!/usr/bin/env node
// Entry point. `npm run build` compiles (tsc: dist/src, dist/commands), bundles the commands
// (scripts/bundle.mjs: dist/cli) and writes oclif.manifest.json, which lists the commands and their
// flags so that a start imports only the command it runs, from dist/cli/commands (package.json
// "oclif"). After a bare `tsc` since the last build, the bundle and the manifest are older than
// dist/commands: the CLI then runs the compiled commands directly and ignores the manifest.
// Slower, never stale.
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {enableCompileCache} from 'node:module'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

// V8's compiled code for the modules a start loads, kept between runs (Node's module compile
// cache, checked against each file's contents): a warm start skips parsing and compiling them.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; NODE_COMPILE_CACHE=DIR puts it elsewhere. Without a
// user cache folder (a HOME that does not exist) it goes to the temp folder: Node creates the
// folders, and its recursive mkdir never returns on some missing paths (seen under /proc).
const userCache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
enableCompileCache(join(existsSync(userCache) ? userCache : tmpdir(), 'fleetcap', 'compile-cache'))

const root = fileURLToPath(new URL('..', import.meta.url))

function bundleIsCurrent() {
  const manifest = join(root, 'oclif.manifest.json')
  if (!existsSync(manifest) || !existsSync(join(root, 'dist', 'cli', 'commands'))) return false
  const builtAt = statSync(manifest).mtimeMs
  const commands = join(root, 'dist', 'commands')
  if (!existsSync(commands)) return true // a packed install: the manifest came with dist/
  for (const file of readdirSync(commands, {recursive: true})) {
    if (statSync(join(commands, String(file))).mtimeMs > builtAt) return false
  }
  return true
}

// Imported after the cache is on, so that oclif's own modules are cached too.
const {execute} = await import('@oclif/core')
if (bundleIsCurrent()) {
  await execute({dir: import.meta.url, loadOptions: {root}})
} else {
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const oclif = {...pjson.oclif, commands: './dist/commands'}
  await execute({dir: import.meta.url, loadOptions: {root, ignoreManifest: true, pjson: {...pjson, oclif}}})
}
