// Write dist/models/<file>.json for each models/*.yaml: the parsed YAML as JSON, keyed by the
// SHA-256 of the YAML text. Parsing the catalog's YAML (75 KB) costs ~0.2 CPU-s on every CLI start;
// JSON.parse of the same data costs ~2 ms. The loader (src/fleet/profiles/snapshot.ts) uses a
// snapshot only when its hash matches the YAML it just read, so an edited models/ file is parsed
// as YAML again and never served stale. `npm run build` runs this after tsc.
import {createHash} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {isDeepStrictEqual} from 'node:util'
import {fileURLToPath} from 'node:url'

import {parse} from 'yaml'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'dist', 'models')
mkdirSync(outDir, {recursive: true})
const written = []
for (const file of readdirSync(join(root, 'models')).filter((f) => f.endsWith('.yaml')).sort()) {
  const text = readFileSync(join(root, 'models', file), 'utf8')
  const data = parse(text)
  // A value JSON cannot carry (.inf, .nan, -0) would change in the round trip: parse that file as YAML.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(data)), data)) continue
  const sha256 = createHash('sha256').update(text).digest('hex')
  const path = join(outDir, `${file}.json`)
  writeFileSync(`${path}.tmp`, JSON.stringify({sha256, data}))
  renameSync(`${path}.tmp`, path)
  written.push(file)
}
process.stderr.write(`dist/models: JSON snapshots of ${written.join(', ')}\n`)
