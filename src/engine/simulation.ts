import {EventQueue} from './event-queue.js'

/** What a model implements to receive events. Called once per event, in (time, sequence) order. */
export interface EventHandler {
  handle(kind: number, target: number, payload: number): void
}

/**
 * The engine: a clock and the pending-event set. It knows nothing of GPUs or tasks — a model
 * schedules events as (time, kind, target, payload) and handles them when their time comes.
 *
 * Cancelling: an event cannot be removed from the heap; a model that may need to cancel keeps a
 * generation counter per target (see Generations), puts the generation into the payload, and
 * ignores events whose generation is stale. That costs one integer compare instead of a heap search.
 */
export class Simulation {
  readonly queue: EventQueue
  /** Current simulated time in seconds. Never decreases. */
  now = 0
  /** Events handled so far. */
  handled = 0

  constructor(initialCapacity = 1024) {
    this.queue = new EventQueue(initialCapacity)
  }

  /** Schedule an event at absolute time `time` (≥ now). */
  schedule(time: number, kind: number, target: number, payload: number): void {
    if (!(time >= this.now)) throw new RangeError(`cannot schedule into the past: ${time} < ${this.now}`)
    this.queue.push(time, kind, target, payload)
  }

  /** Schedule an event `delay` seconds from now. */
  after(delay: number, kind: number, target: number, payload: number): void {
    this.schedule(this.now + delay, kind, target, payload)
  }

  /** Time of the next event, +Infinity when none. */
  nextTime(): number {
    return this.queue.peekTime()
  }

  /** Take the next event, advance the clock to it and hand it to `handler`. False when none is left. */
  step(handler: EventHandler): boolean {
    const q = this.queue
    if (!q.pop()) return false
    this.now = q.poppedTime
    this.handled++
    handler.handle(q.poppedKind, q.poppedTarget, q.poppedPayload)
    return true
  }

  /** Handle every event with time ≤ `until` (all of them by default). Returns events handled. */
  run(handler: EventHandler, until = Number.POSITIVE_INFINITY): number {
    const q = this.queue
    let count = 0
    while (q.size > 0 && q.peekTime() <= until) {
      q.pop()
      this.now = q.poppedTime
      handler.handle(q.poppedKind, q.poppedTarget, q.poppedPayload)
      count++
    }
    this.handled += count
    if (until !== Number.POSITIVE_INFINITY && until > this.now) this.now = until
    return count
  }
}

/** Per-target generation counters: bump to invalidate a target's outstanding events. */
export class Generations {
  private gen: Int32Array
  constructor(size: number) {
    this.gen = new Int32Array(Math.max(1, size))
  }
  current(target: number): number {
    return this.gen[target]
  }
  /** Invalidate the target's pending events; returns the new generation to schedule with. */
  bump(target: number): number {
    return (this.gen[target] = (this.gen[target] + 1) | 0)
  }
  isCurrent(target: number, generation: number): boolean {
    return this.gen[target] === generation
  }
  ensure(size: number): void {
    if (size <= this.gen.length) return
    const g = new Int32Array(Math.max(size, this.gen.length * 2))
    g.set(this.gen)
    this.gen = g
  }
}
