// Bundle the compiled commands (dist/commands, from tsc) into dist/cli: one entry per command under
// dist/cli/commands, the modules they share in dist/cli/chunks. oclif loads the commands from there
// (package.json "oclif.commands"). Why: a `simulate` start imported ~520 ES modules, and resolving,
// reading and linking each costs Node more than compiling the code in it; bundled, it loads ~270.
// `npm run build` runs this after tsc, before scripts/manifest.mjs.
//
// Bundled: fleetcap's own modules and the small pure libraries made of many files (zod, yaml,
// csv-parse, pure-rand, simple-statistics). Left as imports: everything else (oclif, TensorFlow.js,
// the Kubernetes client, ...), loaded from node_modules as before, lazily where the source is lazy.
//
// Modules that find a file beside themselves (import.meta.url: the sweep and planner workers, the
// catalog's package root, the report's assets) must keep their own location, not the chunk's: the
// `keep-module-urls` plugin rewrites each one's import.meta.url to the URL of its dist/src file,
// which tsc wrote and which stays there (the workers still run those files).
import {readdirSync, rmSync} from 'node:fs'
import {dirname, join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'rolldown'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const out = join(dist, 'cli')
const commandsDir = join(dist, 'commands')

const BUNDLED_PACKAGES = ['zod', 'yaml', 'csv-parse', 'pure-rand', 'simple-statistics']
const MARKER = '__fleetcapModuleUrl__'

const input = Object.fromEntries(
  readdirSync(commandsDir, {recursive: true})
    .map(String)
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => [file.slice(0, -'.js'.length).split(sep).join('/'), join(commandsDir, file)]),
)

function isBundled(id) {
  if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return true
  if (id.startsWith('node:')) return false
  const name = id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]
  return BUNDLED_PACKAGES.includes(name)
}

/** import.meta.url of a module inside dist/: its own file's URL, computed relative to the chunk it lands in. */
const keepModuleUrls = {
  name: 'keep-module-urls',
  transform(code, id) {
    if (!id.startsWith(dist + sep) || !code.includes('import.meta.url')) return null
    // A string literal the bundler carries through untouched; replaced per chunk below.
    const path = relative(dist, id).split(sep).join('/')
    return {code: code.replaceAll('import.meta.url', `${MARKER}(${JSON.stringify(path)})`), map: null}
  },
  renderChunk(code, chunk) {
    if (!code.includes(MARKER)) return null
    const chunkDir = dirname(join(out, chunk.fileName))
    const replaced = code.replace(new RegExp(`${MARKER}\\(("[^"]+")\\)`, 'g'), (_, literal) => {
      let path = relative(chunkDir, join(dist, JSON.parse(literal)))
        .split(sep)
        .join('/')
      if (!path.startsWith('.')) path = `./${path}`
      return `new URL(${JSON.stringify(path)}, import.meta.url).href`
    })
    return {code: replaced, map: null}
  },
}

rmSync(out, {recursive: true, force: true})
await build({
  input,
  platform: 'node',
  external: (id) => !isBundled(id),
  plugins: [keepModuleUrls],
  logLevel: 'warn',
  // A module both imported and dynamically imported stays in its chunk: expected here, not a defect.
  onLog(level, log, handler) {
    if (log.code !== 'INEFFECTIVE_DYNAMIC_IMPORT') handler(level, log)
  },
  treeshake: true,
  output: {
    dir: out,
    format: 'esm',
    entryFileNames: 'commands/[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: false,
  },
})
process.stderr.write(`dist/cli: ${Object.keys(input).length} commands bundled\n`)
