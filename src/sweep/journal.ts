/**
 * The sweep's output directory and its journal. Each finished cell's rows are appended to
 * `journal.jsonl` and fsync'd before the next cell is recorded, so an interrupt loses at most the
 * cells in flight; a re-run reads the journal and skips the cells it holds. `sweep.json` stores the
 * digest of the spec and base scenario: a directory written for another spec is refused.
 */
import {createHash} from 'node:crypto'
import {closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import {FleetcapError, InputError} from '../errors.js'
import {OUTPUT_MARKER} from '../util/atomic-write.js'
import {canonicalJson} from './canonical.js'
import type {ResultRow} from './cell.js'
import type {LoadedSweep} from './spec.js'

export const JOURNAL = 'journal.jsonl'
export const MANIFEST = 'sweep.json'
export const RESULTS = 'results.jsonl'
export const SUMMARY = 'summary.json'

/** What a sweep's results depend on: the spec and the validated base scenario. */
export function sweepDigest(loaded: Pick<LoadedSweep, 'spec' | 'base'>): string {
  return createHash('sha256').update(canonicalJson({base: loaded.base, spec: loaded.spec})).digest('hex')
}

export class Journal {
  /** Rows of the cells already finished, by cell index. */
  readonly done = new Map<number, ResultRow[]>()
  private fd: number

  private constructor(readonly dir: string, fd: number) {
    this.fd = fd
  }

  /**
   * Open (or create) the output directory for this sweep. A directory that is not empty and holds
   * neither a sweep manifest nor fleetcap's output marker is the user's: refused; one whose manifest
   * names another digest belongs to another sweep: refused.
   */
  static open(dir: string, digest: string, name: string, seedsPerCell: number): Journal {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError({file: dir}, 'is a file; --out needs a directory')
    mkdirSync(dir, {recursive: true})
    const manifestPath = join(dir, MANIFEST)
    const entries = readdirSync(dir).filter((e) => !e.startsWith('.fleetcap-tmp-'))
    if (existsSync(manifestPath)) {
      let stored: {digest?: unknown}
      try {
        stored = JSON.parse(readFileSync(manifestPath, 'utf8')) as {digest?: unknown}
      } catch {
        throw new InputError({file: manifestPath}, 'not a sweep manifest (unreadable JSON)', {hint: 'choose a new --out directory'})
      }
      if (stored.digest !== digest) {
        throw new InputError({file: dir}, 'holds results of a different sweep spec (digest differs); refusing to mix them', {
          hint: 'choose a new --out directory, or run the spec that wrote it',
        })
      }
    } else if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
      throw new FleetcapError(`${dir}: directory exists, is not empty and was not written by fleetcap`, {hint: 'choose a new --out directory'})
    } else {
      writeDurable(join(dir, OUTPUT_MARKER), 'written by fleetcap; safe for fleetcap to replace\n')
      writeDurable(manifestPath, `${JSON.stringify({apiVersion: 'fleetcap.dev/v1', kind: 'SweepManifest', name, digest}, null, 2)}\n`)
    }
    const path = join(dir, JOURNAL)
    const fd = openSync(path, 'a+')
    const journal = new Journal(dir, fd)
    journal.load(path, seedsPerCell)
    return journal
  }

  /** Read finished cells; cut a line torn by an interrupt so the next append starts clean. */
  private load(path: string, seedsPerCell: number): void {
    const text = readFileSync(path, 'utf8')
    const end = text.lastIndexOf('\n') + 1
    if (end < text.length) ftruncateSync(this.fd, Buffer.byteLength(text.slice(0, end)))
    for (const [cell, rows] of parseJournal(text.slice(0, end), seedsPerCell)) this.done.set(cell, rows)
  }

  /** The finished cells of another output directory of the same sweep (a shard), read only. */
  static readDone(dir: string, digest: string, seedsPerCell: number): Map<number, ResultRow[]> {
    const manifestPath = join(dir, MANIFEST)
    let stored: {digest?: unknown} = {}
    try {
      stored = JSON.parse(readFileSync(manifestPath, 'utf8')) as {digest?: unknown}
    } catch {
      throw new InputError({file: manifestPath}, 'no sweep manifest: not a sweep output directory')
    }
    if (stored.digest !== digest) throw new InputError({file: dir}, 'holds results of a different sweep spec (digest differs)')
    const text = readFileSync(join(dir, JOURNAL), 'utf8')
    return parseJournal(text.slice(0, text.lastIndexOf('\n') + 1), seedsPerCell)
  }

  /** Record a finished cell: one write of all its rows, then fsync. */
  append(rows: readonly ResultRow[]): void {
    const text = rows.map((r) => `${canonicalJson(r)}\n`).join('')
    writeSync(this.fd, text)
    fsyncSync(this.fd)
    if (rows.length > 0) this.done.set(rows[0].cell, [...rows])
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
  }
}

/** Complete cells of journal text (whole lines only); a cell present twice (a retried shard) counts once. */
function parseJournal(text: string, seedsPerCell: number): Map<number, ResultRow[]> {
  const byCell = new Map<number, Map<number, ResultRow>>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const row = JSON.parse(line) as ResultRow
    const runs = byCell.get(row.cell) ?? new Map<number, ResultRow>()
    runs.set(row.run, row)
    byCell.set(row.cell, runs)
  }
  const done = new Map<number, ResultRow[]>()
  // A cell is written whole in one append; one with fewer runs cannot occur, but is not trusted.
  for (const [cell, runs] of byCell) if (runs.size === seedsPerCell) done.set(cell, [...runs.values()].sort((a, b) => a.run - b.run))
  return done
}

function writeDurable(path: string, text: string): void {
  const fd = openSync(path, 'w')
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
