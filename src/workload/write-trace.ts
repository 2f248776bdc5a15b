/**
 * Writes tasks as fleetcap's generic trace CSV, one row per call, streamed to a temp file that
 * replaces the target only once complete (never a half-written file at the user's path).
 * readTrace reads it back to the same tasks: rows of one agent chain share task_id and arrival_s,
 * and carry call_index and delay_s.
 */
import {randomBytes} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {mkdir, open, rename, rm, stat} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {once} from 'node:events'
import {finished} from 'node:stream/promises'

import {InputError} from '../errors.js'
import {trackTemp, untrackTemp} from '../util/temp-files.js'
import type {TaskStream} from './types.js'

export const TRACE_CSV_HEADER = 'arrival_s,input_tokens,output_tokens,task_type,priority,model,task_id,call_index,delay_s,service_s,deadline_s,prefix_tokens'

export interface WriteTraceResult {
  path: string
  tasks: number
  rows: number
  /** Arrival of the last task, seconds. */
  lastArrivalS: number
}

export async function writeTraceCsv(tasks: TaskStream, path: string): Promise<WriteTraceResult> {
  const target = resolve(path)
  if ((await stat(target).catch(() => undefined))?.isDirectory()) {
    throw new InputError({file: path}, 'is a directory; give a file name for the trace')
  }
  await mkdir(dirname(target), {recursive: true})
  const tmp = join(dirname(target), `.fleetcap-tmp-${basename(target)}-${randomBytes(6).toString('hex')}`)
  trackTemp(tmp)
  const out = createWriteStream(tmp, {flags: 'wx'})
  let taskCount = 0
  let rows = 0
  let lastArrivalS = 0
  // Keep the stream's first error: thrown at the next check instead of crashing the process.
  let streamError: Error | undefined
  out.on('error', (error) => {
    streamError ??= error
  })
  try {
    await once(out, 'open')
    out.write(`${TRACE_CSV_HEADER}\n`)
    for await (const chunk of tasks) {
      let text = ''
      for (const t of chunk) {
        const head = `${t.arrivalS},`
        const tail = `${csvCell(t.taskType)},${t.priority},${t.model === undefined ? '' : csvCell(t.model)},${t.id},`
        const extra = `,${t.serviceTimeS ?? ''},${t.deadlineS ?? ''},`
        for (let k = 0; k < t.calls.length; k++) {
          const c = t.calls[k]
          text += `${head}${c.inputTokens},${c.outputTokens},${tail}${k},${c.delayS}${extra}${c.sharedPrefixTokens ?? ''}\n`
        }
        rows += t.calls.length
        lastArrivalS = t.arrivalS
      }
      taskCount += chunk.length
      if (streamError !== undefined) throw streamError
      if (!out.write(text)) await once(out, 'drain')
    }
    out.end()
    await finished(out)
    // fsync before rename so a crash leaves the old file or the whole new one.
    await syncFile(tmp)
    await rename(tmp, target)
  } catch (error) {
    out.destroy()
    await rm(tmp, {force: true})
    throw error
  } finally {
    untrackTemp(tmp)
  }
  return {path: target, tasks: taskCount, rows, lastArrivalS}
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Quote a text cell only when CSV needs it. */
function csvCell(s: string): string {
  return /[",\n\r]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s
}
