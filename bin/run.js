#!/usr/bin/env node
// Entry point: oclif loads the compiled commands from dist/commands (see package.json "oclif").
// oclif.manifest.json (written by `npm run build`) lists the commands and their flags, so a start
// imports only the command it runs. A manifest older than dist/commands (a bare `tsc` since the
// last build) is ignored: slower, never stale.
import {existsSync, readdirSync, statSync} from 'node:fs'
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

function manifestIsCurrent() {
  const manifest = join(root, 'oclif.manifest.json')
  if (!existsSync(manifest)) return false
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
await execute({dir: import.meta.url, loadOptions: {root, ignoreManifest: !manifestIsCurrent()}})
