/**
 * A pool of worker threads that run jobs of one kind, each worker taking the next job when it
 * finishes one, so a slow job does not hold the others back. What a job is and how it runs is a
 * handler module's (`init(data)` once per thread, `handle(state, job)` per job): the sweep's cells
 * (src/sweep/cell.ts) and the planner's candidate simulations (src/planner/sim-job.ts) share it.
 * Results come back in completion order; a caller that needs an order keeps it (by job, not by time).
 */
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {FleetcapError} from '../errors.js'
import type {Cell} from './design.js'
import {type CellContext, type ResultRow} from './cell.js'
import * as cellHandler from './cell.js'
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

/** A handler module: the job's code, loaded by every worker (and by the caller when it runs jobs in its own thread). */
export interface JobHandler<S, J, R> {
  init(data: unknown): S | Promise<S>
  handle(state: S, job: J): Promise<R>
}

interface Pending<R> {
  resolve: (r: R) => void
  reject: (e: unknown) => void
}

/**
 * `workers` threads, each loading `handler` (a module URL) and calling its `init(initData)`. Jobs
 * queue until a thread is free. Close it when done (its threads keep the process alive).
 */
export class WorkerPool<J, R> {
  readonly size: number
  private readonly threads: Worker[] = []
  private readonly idle: Worker[] = []
  private readonly queue: Array<{id: number; job: J}> = []
  private readonly pending = new Map<number, Pending<R>>()
  private readonly busy = new Map<Worker, number>()
  private nextId = 0
  private failure: unknown

  constructor(handler: string, initData: unknown, workers: number) {
    const script = workerScript()
    if (script === undefined) throw new FleetcapError('the worker script (dist/src/sweep/worker.js) is missing: run `npm run build`', {exit: 1})
    this.size = workers
    for (let i = 0; i < workers; i++) {
      // A long simulation keeps ~15 MiB of live state but V8 grows a busy thread's young generation to
      // 128 MiB or more (measured: docs/sweep.md); N threads would hold N of those. Cap it per worker.
      const w = new Worker(script, {workerData: {handler, init: initData} satisfies WorkerInit, resourceLimits: {maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MIB}})
      w.on('message', (reply: WorkerReply<R>) => this.onReply(w, reply))
      w.on('error', (error) => this.fail(error))
      this.threads.push(w)
      this.idle.push(w)
    }
  }

  run(job: J): Promise<R> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const id = this.nextId++
    const p = new Promise<R>((resolve, reject) => this.pending.set(id, {resolve, reject}))
    this.queue.push({id, job})
    this.dispatch()
    return p
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((w) => w.terminate()))
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.shift() as Worker
      const next = this.queue.shift() as {id: number; job: J}
      this.busy.set(w, next.id)
      w.postMessage(next)
    }
  }

  private onReply(w: Worker, reply: WorkerReply<R>): void {
    this.busy.delete(w)
    this.idle.push(w)
    const p = this.pending.get(reply.id)
    this.pending.delete(reply.id)
    if ('error' in reply) {
      const e = reply.error
      p?.reject(e.input ? new FleetcapError(e.message, {hint: e.hint, exit: e.exit as never}) : new Error(`job ${reply.id}: ${e.message}`))
    } else {
      p?.resolve(reply.result)
    }
    this.dispatch()
  }

  /** A thread died: every job waiting or running fails with its error. */
  private fail(error: unknown): void {
    this.failure = error
    for (const p of this.pending.values()) p.reject(error)
    this.pending.clear()
    this.queue.length = 0
  }
}

/** The sweep's handler module (src/sweep/cell.ts), for the worker threads. */
const CELL_HANDLER = new URL('./cell.js', import.meta.url).href

export async function runCells(ctx: Omit<CellContext, 'catalog'>, cells: readonly Cell[], options: PoolOptions): Promise<void> {
  const n = Math.min(options.workers, cells.length)
  if (n <= 0) {
    const local = cellHandler.init(ctx)
    for (const cell of cells) options.onCell(await cellHandler.handle(local, cell))
    return
  }
  const pool = new WorkerPool<Cell, ResultRow[]>(CELL_HANDLER, ctx, n)
  try {
    // Every cell is queued at once; a failed cell stops the sweep (the others' promises are dropped).
    await new Promise<void>((resolve, reject) => {
      let left = cells.length
      let stopped = false
      const stop = (error: unknown): void => {
        stopped = true
        reject(error)
      }
      for (const cell of cells) {
        pool.run(cell).then((rows) => {
          if (stopped) return
          try {
            options.onCell(rows)
          } catch (error) {
            stop(error)
            return
          }
          if (--left === 0) resolve()
        }, stop)
      }
    })
  } finally {
    await pool.close()
  }
}
