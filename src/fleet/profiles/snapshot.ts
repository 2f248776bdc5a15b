/**
 * The catalog's YAML as parsed at build time (scripts/models-snapshot.mjs writes
 * dist/models/<file>.json). A snapshot is used only when its SHA-256 matches the text just read,
 * so an edited file is always parsed afresh; validation still runs on the data either way.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {packageRoot} from './paths.js'

interface Snapshot {
  sha256: string
  data: unknown
}

/** The parsed data of `text` (read from `path`) if a build-time snapshot of that exact text exists. */
export function snapshotOf(path: string, text: string): {data: unknown} | undefined {
  let snapshot: Snapshot
  try {
    snapshot = JSON.parse(readFileSync(join(packageRoot(), 'dist', 'models', `${basename(path)}.json`), 'utf8')) as Snapshot
  } catch {
    return undefined // not built (vitest on src/), or unreadable: parse the YAML
  }
  const sha256 = createHash('sha256').update(text).digest('hex')
  return snapshot.sha256 === sha256 ? {data: snapshot.data} : undefined
}
