import {InputError} from '../errors.js'
import type {Task, TaskStream} from '../workload/types.js'
import type {FleetModel} from './fleet-model.js'

export interface RunOptions {
  /** Called after each chunk of arrivals with the simulated time reached (for a progress bar). */
  onProgress?: (simulatedS: number) => void
}

/**
 * Drive a fleet model with a task stream: arrivals are merged with the event heap in time order
 * (an arrival at the same instant as an event goes first, so same-time arrivals batch together),
 * one await per chunk of tasks. Arrivals at or after the model's durationS are not taken; the run
 * then drains everything in flight. Returns the time the last work happened.
 */
export async function runFleetModel(model: FleetModel, tasks: TaskStream, options: RunOptions = {}): Promise<number> {
  const sim = model.sim
  const duration = model.durationS
  const onProgress = options.onProgress
  const it = tasks[Symbol.asyncIterator]()
  let arrivalsOpen = true
  try {
    while (arrivalsOpen) {
      const next = await it.next()
      if (next.done) break
      const chunk: readonly Task[] = next.value
      if (feedChunk(model, chunk) < chunk.length) arrivalsOpen = false
      if (onProgress) onProgress(sim.now)
    }
  } finally {
    if (arrivalsOpen === false && it.return) await it.return()
  }
  model.endOfArrivals()
  sim.run(model)
  const end = Math.max(Number.isFinite(duration) ? duration : 0, model.lastWorkS)
  model.finish(end)
  if (onProgress) onProgress(end)
  return end
}

/**
 * Merge one chunk of arrivals with the event heap. Returns how many tasks were taken: all of them,
 * or fewer when one arrives at or after the model's durationS. A function of its own (not a loop
 * inside the async driver) so that V8 compiles it whole instead of entering and leaving an
 * on-stack-replaced loop once per chunk.
 */
function feedChunk(model: FleetModel, chunk: readonly Task[]): number {
  const sim = model.sim
  const q = sim.queue
  const duration = model.durationS
  let i = 0
  const n = chunk.length
  while (i < n) {
    const task = chunk[i]
    const ta = task.arrivalS
    if (ta >= duration) break
    if (ta <= q.peekTime()) {
      // model.lastArrivalS: the previous arrival (arrive() sets it).
      if (ta < model.lastArrivalS) {
        throw new InputError({field: `task ${task.id}`}, `tasks are not in arrival order (${ta} s after ${model.lastArrivalS} s)`)
      }
      sim.now = ta
      model.arrive(task)
      i++
    } else {
      q.pop()
      sim.now = q.poppedTime
      model.handle(q.poppedKind, q.poppedTarget, q.poppedPayload)
    }
  }
  return i
}
