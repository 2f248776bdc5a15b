/**
 * A worker thread of src/sweep/pool.ts: loads the handler module it is given (the library once,
 * catalog included, in the handler's `init`), then runs the jobs the main thread hands it, one at a
 * time, and posts back each result or the error that stopped it.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {FleetcapError} from '../errors.js'
import type {JobHandler} from './pool.js'

export interface WorkerInit {
  /** URL of the handler module (exports init and handle). */
  handler: string
  init: unknown
}

export type WorkerReply<R> = {id: number; result: R} | {id: number; error: {message: string; hint?: string; exit?: number; input: boolean}}

const port = parentPort
if (port !== null) {
  const data = workerData as WorkerInit
  const handler = (await import(data.handler)) as JobHandler<unknown, unknown, unknown>
  const state = await handler.init(data.init)
  port.on('message', ({id, job}: {id: number; job: unknown}) => {
    handler.handle(state, job).then(
      (result) => port.postMessage({id, result} satisfies WorkerReply<unknown>),
      (error: unknown) => {
        const e = error as Error
        port.postMessage({
          id,
          error: {message: e.message, hint: (error as FleetcapError).hint, exit: (error as FleetcapError).exit, input: error instanceof FleetcapError},
        } satisfies WorkerReply<unknown>)
      },
    )
  })
}
