/**
 * Writes tasks as fleetcap's generic trace CSV, one row per call, streamed to a temp file that
 * replaces the target only once complete (never a half-written file at the user's path), or to
 * stdout / a pipe.
 * readTrace reads it back to the same tasks: rows of one agent chain share task_id and arrival_s,
 * and carry call_index and delay_s.
 */
import {resolve} from 'node:path'

import {InputError} from '../errors.js'
import {openOutput} from '../util/atomic-write.js'
import type {TaskStream} from './types.js'

export const TRACE_CSV_HEADER = 'arrival_s,input_tokens,output_tokens,task_type,priority,model,task_id,call_index,delay_s,service_s,deadline_s,prefix_tokens'

export interface WriteTraceResult {
  path: string
  tasks: number
  rows: number
  /** Arrival of the last task, seconds. */
  lastArrivalS: number
}

export interface WriteTraceOptions {
  /** An existing regular file may be replaced (checked again here: the command checked it first). */
  force?: boolean
  /** Stop with an error past this many rows (a bound on the output's size). */
  maxRows?: number
}

/**
 * Write `tasks` to `path`: a regular file atomically, `-` to stdout, an existing FIFO or character
 * device in place. Past `maxRows` the write stops with an error and leaves nothing at `path`.
 */
export async function writeTraceCsv(tasks: TaskStream, path: string, options: WriteTraceOptions = {}): Promise<WriteTraceResult> {
  const sink = await openOutput(path, options.force ?? true)
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY
  let taskCount = 0
  let rows = 0
  let lastArrivalS = 0
  try {
    await sink.write(`${TRACE_CSV_HEADER}\n`)
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
      if (rows > maxRows) {
        throw new InputError({file: path}, `more than ${maxRows.toLocaleString('en-US')} rows (at ${lastArrivalS.toFixed(0)} s of the workload); nothing was written`, {
          hint: 'shorten --duration or lower the rate, or split the work into several runs (a --seed each)',
        })
      }
      await sink.write(text)
    }
    await sink.commit()
  } catch (error) {
    await sink.abort()
    throw error
  }
  return {path: path === '-' ? '-' : resolve(path), tasks: taskCount, rows, lastArrivalS}
}

/** Quote a text cell only when CSV needs it. */
function csvCell(s: string): string {
  return /[",\n\r]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s
}
