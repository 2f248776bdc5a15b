/**
 * Run cells on a pool of worker threads (or in this thread when workers is 0): each worker takes the
 * next cell when it finishes one, so a slow cell does not hold the others back. Rows arrive in
 * completion order; the caller records them and sorts at the end.
 */
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {FleetcapError} from '../errors.js'
import {loadCatalog} from '../fleet/profiles/index.js'
import type {Cell} from './design.js'
import {type CellContext, type ResultRow, runCell} from './cell.js'
import type {WorkerInit, WorkerReply} from './worker.js'

export interface PoolOptions {
  workers: number
  /** Called on the main thread with each finished cell's rows. */
  onCell: (rows: ResultRow[]) => void
}

/** Young-generation cap per worker thread, MiB (semi-spaces of 16 MiB: the 30-day run's peak RSS fell from 227 to 128 MiB). */
export const WORKER_YOUNG_GENERATION_MIB = 48

/** The compiled worker script beside this module (dist/src/sweep/worker.js). */
export function workerScript(): string | undefined {
  const path = fileURLToPath(new URL('./worker.js', import.meta.url))
  return existsSync(path) ? path : undefined
}

export async function runCells(ctx: Omit<CellContext, 'catalog'>, cells: readonly Cell[], options: PoolOptions): Promise<void> {
  const n = Math.min(options.workers, cells.length)
  if (n <= 0) {
    const local: CellContext = {...ctx, catalog: loadCatalog()}
    for (const cell of cells) options.onCell(await runCell(local, cell))
    return
  }
  const script = workerScript()
  if (script === undefined) throw new FleetcapError('the sweep worker (dist/src/sweep/worker.js) is missing: run `npm run build`', {exit: 1})
  // A long simulation keeps ~15 MiB of live state but V8 grows a busy thread's young generation to
  // 128 MiB or more (measured: docs/sweep.md); N threads would hold N of those. Cap it per worker.
  const workers = Array.from({length: n}, () => new Worker(script, {workerData: {ctx} satisfies WorkerInit, resourceLimits: {maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MIB}}))
  let next = 0
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0
      let failed = false
      const give = (w: Worker): void => {
        if (failed) return
        if (next >= cells.length) {
          if (running === 0) resolve()
          return
        }
        running++
        w.postMessage(cells[next++])
      }
      for (const w of workers) {
        w.on('message', (reply: WorkerReply) => {
          running--
          if ('error' in reply) {
            failed = true
            const e = reply.error
            reject(e.input ? new FleetcapError(e.message, {hint: e.hint, exit: e.exit as never}) : new Error(`cell ${reply.cell}: ${e.message}`))
            return
          }
          try {
            options.onCell(reply.rows)
          } catch (error) {
            failed = true
            reject(error)
            return
          }
          give(w)
        })
        w.on('error', (error) => {
          failed = true
          reject(error)
        })
        give(w)
      }
    })
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}
