/**
 * Run a sweep: expand its cells, skip those the output directory's journal already holds, simulate
 * the rest on a worker pool, then write the merged results (sorted by cell and run) and the summary
 * atomically. The merged bytes depend on the spec alone, not on the workers or the order cells
 * finished in, nor on whether the run was interrupted and resumed.
 */
import {availableParallelism} from 'node:os'
import {join} from 'node:path'

import {ExitCode, FleetcapError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {boundOutput} from '../util/output-bound.js'
import {canonicalJson} from './canonical.js'
import type {ResultRow} from './cell.js'
import {cellCount, expandCells} from './design.js'
import {Journal, RESULTS, SUMMARY, sweepDigest} from './journal.js'
import {runCells} from './pool.js'
import type {LoadedSweep} from './spec.js'
import {summarize, type SweepSummary} from './summary.js'

export interface SweepOptions {
  /** Output directory (journal, results.jsonl, summary.json); without one, nothing is written. */
  outDir?: string
  /** Worker threads; 0 runs in this thread. Default: the machine's cores. */
  workers?: number
  /** Called after each finished cell: cells done (including those resumed) and in all. */
  onProgress?: (done: number, total: number) => void
  /** Run only the cells with index % count === index (one pod of a Kubernetes Indexed Job). */
  shard?: {index: number; count: number}
  /** Output directories of other runs of the same spec (shards): their finished cells are taken as done. */
  mergeFrom?: string[]
  /** Rows gathered elsewhere (a cluster's result chunks, each (cell, run) once): complete cells are taken as done. */
  gathered?: readonly ResultRow[]
  /** Refuse to simulate: every cell must come from the journal, mergeFrom or gathered. */
  noCompute?: boolean
}

export interface SweepResult {
  summary: SweepSummary
  /** Every row, sorted by cell then run, as results.jsonl holds them. */
  rows: ResultRow[]
  /** results.jsonl's text. */
  resultsJsonl: string
  cells: number
  /** Cells simulated by this run, and cells taken from the journal of an earlier one. */
  computed: number
  resumed: number
  workers: number
}

export function defaultWorkers(): number {
  return availableParallelism()
}

/** Refuse, before any cell runs, a sweep whose results (cells × seedsPerCell rows) would outgrow results.jsonl's bound. */
export function boundSweepRows(loaded: LoadedSweep, shard?: {count: number}): void {
  const {spec} = loaded
  const cells = cellCount(spec) / (shard?.count ?? 1)
  boundOutput({
    where: {file: loaded.file, field: spec.seedsPerCell > 1 ? 'seedsPerCell' : spec.design === 'grid' ? 'factors' : 'samples'},
    from: 'cells × seedsPerCell',
    count: Math.ceil(cells) * spec.seedsPerCell,
    unit: 'result rows',
    limit: LIMITS.sweepRows,
    output: 'results.jsonl',
    hint: 'fewer levels or samples, fewer seeds per cell, or split the sweep into shards (--shard-count)',
  })
}

export async function runSweep(loaded: LoadedSweep, options: SweepOptions = {}): Promise<SweepResult> {
  const {spec} = loaded
  const shard = options.shard
  boundSweepRows(loaded, shard)
  const cells = expandCells(spec).filter((c) => shard === undefined || c.index % shard.count === shard.index)
  const workers = Math.max(0, options.workers ?? defaultWorkers())
  const byCellFrom = new Map<number, ResultRow[]>()
  const digest = sweepDigest(loaded)
  const journal = options.outDir === undefined ? undefined : Journal.open(options.outDir, digest, spec.name, spec.seedsPerCell)
  // Shards' journals: a cell retried by Kubernetes (two pods, same index) is taken once.
  for (const dir of options.mergeFrom ?? []) {
    for (const [cell, rows] of Journal.readDone(dir, digest, spec.seedsPerCell)) {
      if (journal !== undefined && !journal.done.has(cell)) journal.append(rows)
      else if (journal === undefined) byCellFrom.set(cell, rows)
    }
  }
  for (const [cell, rows] of completeCells(options.gathered ?? [], spec.seedsPerCell)) {
    if (journal !== undefined && !journal.done.has(cell)) journal.append(rows)
    else if (journal === undefined) byCellFrom.set(cell, rows)
  }
  // Rows as the journal stores them (canonical, rounded): a resumed cell and a fresh one are alike.
  const byCell = new Map<number, ResultRow[]>([...byCellFrom, ...(journal?.done ?? [])])
  const resumed = cells.filter((c) => byCell.has(c.index)).length
  const todo = cells.filter((c) => !byCell.has(c.index))
  if (options.noCompute && todo.length > 0) {
    journal?.close()
    throw new FleetcapError(`${todo.length} of ${cells.length} cells have no results (first: cell ${todo[0].index})`, {exit: ExitCode.INTERNAL})
  }
  let computed = 0
  options.onProgress?.(resumed, cells.length)
  try {
    await runCells({spec, base: loaded.base, baseDir: loaded.baseDir}, todo, {
      workers,
      onCell: (rows) => {
        journal?.append(rows)
        byCell.set(rows[0].cell, rows.map((r) => JSON.parse(canonicalJson(r)) as ResultRow))
        computed++
        options.onProgress?.(resumed + computed, cells.length)
      },
    })
  } finally {
    journal?.close()
  }
  const rows = cells.flatMap((c) => byCell.get(c.index) ?? [])
  const resultsJsonl = rows.map((r) => `${canonicalJson(r)}\n`).join('')
  const summary = summarize(rows, spec, cells.length)
  if (options.outDir !== undefined) {
    await writeFileAtomic(join(options.outDir, RESULTS), resultsJsonl)
    await writeFileAtomic(join(options.outDir, SUMMARY), `${JSON.stringify(JSON.parse(canonicalJson(summary)), null, 2)}\n`)
  }
  return {summary, rows, resultsJsonl, cells: cells.length, computed, resumed, workers: Math.min(workers, todo.length)}
}

/** Rows grouped by cell, rounded as the journal stores them; only cells with all their runs. */
function completeCells(rows: readonly ResultRow[], seedsPerCell: number): Map<number, ResultRow[]> {
  const byCell = new Map<number, ResultRow[]>()
  for (const r of rows) byCell.set(r.cell, [...(byCell.get(r.cell) ?? []), JSON.parse(canonicalJson(r)) as ResultRow])
  for (const [cell, list] of byCell) {
    if (new Set(list.map((r) => r.run)).size !== seedsPerCell) byCell.delete(cell)
    else list.sort((a, b) => a.run - b.run)
  }
  return byCell
}
