/**
 * Fuzz worker: generates inputs [start, end) of one format and runs the real loader on each. The
 * index of the input in flight and the counts are in shared memory, so the parent sees a hang (the
 * index stops moving) and can end this thread without asking it anything.
 */
import {mkdirSync} from 'node:fs'
import {parentPort, workerData} from 'node:worker_threads'

import {inputAt} from './generate.js'
import {fuzzFormats, writeInput} from './formats.js'
import {judge} from './judge.js'

export interface WorkerJob {
  format: string
  seed: number
  start: number
  end: number
  work: string
  /** [index in flight, accepted, refused, crashes] */
  shared: SharedArrayBuffer
}

const job = workerData as WorkerJob
const state = new Int32Array(job.shared)
const format = fuzzFormats().find((f) => f.name === job.format)
if (format === undefined) throw new Error(`unknown format ${job.format}`)
mkdirSync(job.work, {recursive: true})
format.prepare?.(job.work)
// Loading the modules above can take longer than an input's budget on a busy machine: the parent
// starts the clock only now.
parentPort?.postMessage({type: 'ready'})

for (let i = job.start; i < job.end; i++) {
  Atomics.store(state, 0, i)
  const text = inputAt(format, job.seed, i)
  const path = writeInput(format, job.work, text)
  let error: unknown
  try {
    await format.load(path, job.work)
  } catch (e) {
    error = e
  }
  const verdict = judge(error, path)
  if (verdict.kind === 'accepted') Atomics.add(state, 1, 1)
  else if (verdict.kind === 'refused') Atomics.add(state, 2, 1)
  else {
    Atomics.add(state, 3, 1)
    parentPort?.postMessage({type: 'crash', index: i, message: verdict.message, stack: (error as Error)?.stack})
  }
}
Atomics.store(state, 0, job.end)
parentPort?.postMessage({type: 'done'})
