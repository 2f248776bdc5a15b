// Write oclif.manifest.json (every command's id, flags, args and help) from the bundled command
// classes in dist/cli/commands (package.json "oclif.commands"), so that the CLI finds a command
// without importing all of them on start. `npm run build` runs it after tsc and scripts/bundle.mjs.
// bin/run.js ignores the manifest and the bundle when dist/commands is newer (a bare `tsc` after
// the last build), so a stale manifest can never hide a command or a flag.
import {renameSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Plugin} from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const plugin = new Plugin({root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
const path = join(root, 'oclif.manifest.json')
writeFileSync(`${path}.tmp`, `${JSON.stringify(plugin.manifest, null, 2)}\n`)
renameSync(`${path}.tmp`, path)
process.stderr.write(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands\n`)
