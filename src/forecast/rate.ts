import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import type {TaskStream} from '../workload/types.js'
import type {Series} from './types.js'

/**
 * A task stream as an arrival-rate series: tasks per second in each step-long bucket, buckets
 * counted from arrivalS = 0 (the trace's first row for absolute times). Streams chunk by chunk
 * (memory per bucket, not per task). `originS` is the epoch second of arrivalS = 0 (0 when the trace
 * has only relative times), or a function that gives it once the stream has been read (a trace
 * reader's report). The last bucket is dropped when at least 8 remain: the trace may end inside it,
 * and a half-counted last bucket would read as a sudden fall in load.
 */
export async function rateSeries(tasks: TaskStream, options: {stepS: number; originS?: number | (() => number); name: string}): Promise<Series> {
  const {stepS} = options
  if (!(stepS > 0)) throw new InputError({field: '--step'}, `must be positive, got ${stepS}`)
  let first = Number.NaN
  let counts = new Float64Array(1024)
  let used = 0
  let previous = Number.NEGATIVE_INFINITY
  for await (const chunk of tasks) {
    for (const task of chunk) {
      const t = task.arrivalS
      if (t < previous) throw new InputError({file: options.name}, `task ${task.id} arrives before the task ahead of it; a trace must be in arrival order`)
      previous = t
      const bucket = Math.floor(t / stepS)
      if (Number.isNaN(first)) first = bucket
      const i = bucket - first
      if (i >= LIMITS.forecastSteps) {
        throw new InputError({file: options.name}, `the trace spans more than ${LIMITS.forecastSteps.toLocaleString('en-US')} steps of ${stepS} s`, {hint: 'use a longer --step, or check the trace for a far-off timestamp'})
      }
      if (i >= counts.length) {
        const grown = new Float64Array(Math.max(counts.length * 2, i + 1))
        grown.set(counts)
        counts = grown
      }
      counts[i]++
      used = Math.max(used, i + 1)
    }
  }
  if (Number.isNaN(first)) throw new InputError({file: options.name}, 'the trace has no tasks')
  const values = counts.slice(0, used >= 9 ? used - 1 : used)
  for (let i = 0; i < values.length; i++) values[i] /= stepS
  const origin = typeof options.originS === 'function' ? options.originS() : (options.originS ?? 0)
  return {name: options.name, startS: origin + first * stepS, stepS, values}
}
