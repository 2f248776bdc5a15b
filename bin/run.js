#!/usr/bin/env node
// Entry point: oclif loads the compiled commands from dist/commands (see package.json "oclif").
// oclif.manifest.json (written by `npm run build`) lists the commands and their flags, so a start
// imports only the command it runs. A manifest older than dist/commands (a bare `tsc` since the
// last build) is ignored: slower, never stale.
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execute} from '@oclif/core'

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

await execute({dir: import.meta.url, loadOptions: {root, ignoreManifest: !manifestIsCurrent()}})
