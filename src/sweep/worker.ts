/**
 * A sweep worker thread: loads the library once (catalog included), then simulates the cells the
 * main thread hands it, one at a time, and posts back their rows or the error that stopped them.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {FleetcapError} from '../errors.js'
import {loadCatalog} from '../fleet/profiles/index.js'
import type {Cell} from './design.js'
import {type CellContext, runCell} from './cell.js'

export interface WorkerInit {
  ctx: Omit<CellContext, 'catalog'>
}

export type WorkerReply = {cell: number; rows: import('./cell.js').ResultRow[]} | {cell: number; error: {message: string; hint?: string; exit?: number; input: boolean}}

const port = parentPort
if (port !== null) {
  const init = workerData as WorkerInit
  const ctx: CellContext = {...init.ctx, catalog: loadCatalog()}
  port.on('message', (cell: Cell) => {
    runCell(ctx, cell).then(
      (rows) => port.postMessage({cell: cell.index, rows} satisfies WorkerReply),
      (error: unknown) => {
        const e = error as Error
        port.postMessage({
          cell: cell.index,
          error: {message: e.message, hint: (error as FleetcapError).hint, exit: (error as FleetcapError).exit, input: error instanceof FleetcapError},
        } satisfies WorkerReply)
      },
    )
  })
}
