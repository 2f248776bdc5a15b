/**
 * Admission to the fleet: one central priority queue (strict priority, FIFO within a class), as in
 * the seeds' central task router. A call leaves it only when some replica can take it now, and the
 * router chooses among those, so a replica never holds a backlog of its own and priority and
 * deadlines act on everything that waits. Calls are refused here when the queue is at its bound
 * (queue.maxDepth, LIMITS.queuedCalls) and dropped when they wait past their deadline.
 */
import type {Simulation} from '../engine/simulation.js'
import {LIMITS} from '../limits.js'
import {PRIORITIES, PRIORITY_RANK} from '../workload/types.js'
import type {CallFlow} from './call-flow.js'
import type {CallTable, TaskTable} from './calls.js'
import type {FleetCounters} from './counters.js'
import {CLASSES, DROP_DEADLINE, DROP_LOST, DROP_OVERLOAD, DROP_QUEUE_FULL, DROP_UNSERVED, F_DISPATCHED} from './events.js'
import {PriorityFifo} from './priority-fifo.js'
import type {Router} from './router.js'
import type {QueueConfig} from './types.js'

export class CentralQueue {
  private readonly q = new PriorityFifo(CLASSES, 1024)
  private readonly maxDepth: number
  /** Longest wait in the queue, per class. */
  readonly deadlineS: Float64Array
  peakDepth = 0
  /** When the queue first reached LIMITS.queuedCalls (−1: never; the fleet kept up). */
  overloadedAtS = -1
  private depthArea = 0
  private depthSince = 0
  private router!: Router
  private flow!: CallFlow

  constructor(
    config: QueueConfig,
    private readonly sim: Simulation,
    private readonly calls: CallTable,
    private readonly tasks: TaskTable,
    private readonly counters: FleetCounters,
  ) {
    this.deadlineS = new Float64Array(CLASSES).fill(Number.POSITIVE_INFINITY)
    for (const p of PRIORITIES) {
      const d = config.deadlineS?.[p]
      if (d !== undefined) this.deadlineS[PRIORITY_RANK[p]] = d
    }
    this.maxDepth = config.maxDepth ?? Number.POSITIVE_INFINITY
  }

  link(router: Router, flow: CallFlow): void {
    this.router = router
    this.flow = flow
  }

  /** Calls waiting now. */
  get size(): number {
    return this.q.size
  }

  sizeOf(cls: number): number {
    return this.q.sizeOf(cls)
  }

  /** A new call c of class cls: route it at once when the queue is empty, else queue it (or refuse it at the bound). */
  submit(c: number, cls: number): void {
    const q = this.q
    if (q.size === 0) {
      const r = this.router.pick(c)
      if (r >= 0) {
        this.flow.dispatch(c, r)
        return
      }
    }
    if (q.size >= this.maxDepth) {
      this.dropCall(c, DROP_QUEUE_FULL)
      return
    }
    if (q.size >= LIMITS.queuedCalls) {
      // Reject it (its task fails) and remember when overload began.
      if (this.overloadedAtS < 0) this.overloadedAtS = this.sim.now
      this.dropCall(c, DROP_OVERLOAD)
      return
    }
    this.noteDepth()
    q.push(cls, c)
    if (q.size > this.peakDepth) this.peakDepth = q.size
    if (q.size > 1) this.drain()
  }

  /** Dispatch from the head of the queue while some replica can take it; drop expired heads. */
  drain(): void {
    const q = this.q
    const now = this.sim.now
    while (q.size > 0) {
      const cls = q.headClass()
      const c = q.peek(cls)
      if (now > this.calls.deadlineS[c]) {
        this.noteDepth()
        q.shift(cls)
        this.dropCall(c, DROP_DEADLINE)
        continue
      }
      const r = this.router.pick(c)
      if (r < 0) return
      this.noteDepth()
      q.shift(cls)
      this.flow.dispatch(c, r)
    }
  }

  /** Drop expired calls at the heads of the queue (keeps the sampled queue depth honest). */
  pruneExpired(): void {
    const q = this.q
    const now = this.sim.now
    for (let cls = 0; cls < CLASSES; cls++) {
      while (q.sizeOf(cls) > 0 && now > this.calls.deadlineS[q.peek(cls)]) {
        this.noteDepth()
        this.dropCall(q.shift(cls), DROP_DEADLINE)
      }
    }
  }

  /**
   * Send taken-back calls (their replica was lost or cut off) again from the head of their class,
   * while their task has retries left and `retry` is set, or drop them (DROP_LOST).
   */
  requeueOrDrop(taken: readonly number[], retry: boolean, maxRetries: number): {retried: number; lost: number} {
    let retried = 0
    let lost = 0
    const C = this.calls
    for (const c of taken) {
      C.replica[c] = -1
      const t = C.task[c]
      if (retry && this.tasks.retries[t] < maxRetries) {
        this.tasks.retries[t]++
        retried++
        C.flags[c] = F_DISPATCHED
        this.noteDepth()
        this.q.unshift(C.prio[c], c)
        if (this.q.size > this.peakDepth) this.peakDepth = this.q.size
      } else {
        lost++
        this.dropCall(c, DROP_LOST)
      }
    }
    this.counters.callsRetried += retried
    this.counters.callsLost += lost
    return {retried, lost}
  }

  /** The call fails, and its task with it. */
  dropCall(c: number, reason: number): void {
    const counters = this.counters
    const cls = this.calls.prio[c]
    counters.drops[reason * CLASSES + cls]++
    counters.sDropped++
    const t = this.calls.task[c]
    this.calls.release(c)
    counters.tasksFailed++
    counters.failedByClass[cls]++
    this.tasks.release(t)
  }

  /** At the run's end: calls still queued can never be served (no replica is or will be able to take them). */
  dropUnserved(): void {
    const q = this.q
    for (let cls = 0; cls < CLASSES; cls++) while (q.sizeOf(cls) > 0) this.dropCall(q.shift(cls), DROP_UNSERVED)
  }

  /** Integrate the queue depth up to now (before it changes). */
  noteDepth(): void {
    const now = this.sim.now
    this.depthArea += this.q.size * (now - this.depthSince)
    this.depthSince = now
  }

  /** Time-average queue depth over [0, now]. */
  meanDepth(): number {
    return this.sim.now > 0 ? this.depthArea / this.sim.now : 0
  }
}
