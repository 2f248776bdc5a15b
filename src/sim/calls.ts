/**
 * The calls and tasks in flight, one recycled slot each, as parallel typed arrays: no object per call
 * on the hot path. Every part of the fleet model indexes them by slot (c for a call, t for a task).
 */
import type {Task} from '../workload/types.js'
import type {PrefixCache} from './prefix-cache.js'

export class CallTable {
  /** Slots allocated. */
  cap = 0
  private free: Int32Array
  private freeN = 0
  task!: Int32Array
  /** Priority class (PRIORITY_RANK). */
  prio!: Uint8Array
  issueS!: Float64Array
  dispatchS!: Float64Array
  firstTokenS!: Float64Array
  /** Latest start of its queue wait; a generic call's service time. */
  deadlineS!: Float64Array
  serviceS!: Float64Array
  // LLM calls (a fleet is of one kind: generic calls leave these at 0).
  prompt!: Float64Array
  output!: Float64Array
  prefillLeft!: Float64Array
  /** Prompt tokens the current step prefills. */
  chunk!: Float64Array
  /** When it finishes: the replica's decode step (LLM), or the time (generic: tells a stale completion from the real one). */
  doneAt!: Float64Array
  /** Prompt tokens shared with the task's previous call; of those, found in the replica's prefix cache. */
  shared!: Float64Array
  hit!: Float64Array
  /** Tokens its prefill computes: the prompt, or prompt + generated when preempted. */
  ctx!: Float64Array
  /** Output tokens generated so far (as of its last prefill's end). */
  gen!: Float64Array
  /** Replica step count when it joined the decoding batch. */
  join!: Float64Array
  /** Admission order on its replica (the newest is preempted first). */
  admitOrder!: Float64Array
  replica!: Int32Array
  /** F_RUNNING | F_DISPATCHED */
  flags!: Uint8Array

  constructor(initial: number) {
    this.free = new Int32Array(initial)
    this.grow(initial)
  }

  alloc(): number {
    if (this.freeN === 0) this.grow(this.cap * 2)
    return this.free[--this.freeN]
  }

  release(c: number): void {
    this.replica[c] = -1
    this.flags[c] = 0
    this.free[this.freeN++] = c
  }

  private grow(cap: number): void {
    const old = this.cap
    const f64 = (a: Float64Array | undefined): Float64Array => {
      const b = new Float64Array(cap)
      if (a) b.set(a)
      return b
    }
    this.task = growI32(this.task, cap)
    this.replica = growI32(this.replica, cap)
    this.replica.fill(-1, old)
    const p = new Uint8Array(cap)
    if (this.prio) p.set(this.prio)
    this.prio = p
    const f = new Uint8Array(cap)
    if (this.flags) f.set(this.flags)
    this.flags = f
    this.issueS = f64(this.issueS)
    this.dispatchS = f64(this.dispatchS)
    this.firstTokenS = f64(this.firstTokenS)
    this.prompt = f64(this.prompt)
    this.output = f64(this.output)
    this.prefillLeft = f64(this.prefillLeft)
    this.chunk = f64(this.chunk)
    this.doneAt = f64(this.doneAt)
    this.serviceS = f64(this.serviceS)
    this.deadlineS = f64(this.deadlineS)
    this.shared = f64(this.shared)
    this.hit = f64(this.hit)
    this.ctx = f64(this.ctx)
    this.gen = f64(this.gen)
    this.join = f64(this.join)
    this.admitOrder = f64(this.admitOrder)
    if (this.free.length < cap) this.free = growI32(this.free, cap)
    // New slots are pushed so that the lowest index is handed out first.
    for (let i = cap - 1; i >= old; i--) this.free[this.freeN++] = i
    this.cap = cap
  }
}

export class TaskTable {
  cap = 0
  private free: Int32Array
  private freeN = 0
  /** Tasks in the system: waiting, running, or between calls. */
  live = 0
  readonly obj: (Task | undefined)[] = []
  /** Index of its next call. */
  next!: Int32Array
  retries!: Int32Array

  /** cache: the prefix cache, whose entries are kept per task slot. */
  constructor(
    initial: number,
    private readonly cache: PrefixCache | undefined,
  ) {
    this.free = new Int32Array(initial)
    this.grow(initial)
  }

  alloc(task: Task): number {
    if (this.freeN === 0) this.grow(this.cap * 2)
    const t = this.free[--this.freeN]
    this.obj[t] = task
    this.next[t] = 0
    this.retries[t] = 0
    this.live++
    return t
  }

  release(t: number): void {
    if (this.cache !== undefined) this.cache.forget(t)
    this.obj[t] = undefined
    this.free[this.freeN++] = t
    this.live--
  }

  private grow(cap: number): void {
    const old = this.cap
    this.next = growI32(this.next, cap)
    this.retries = growI32(this.retries, cap)
    if (this.free.length < cap) this.free = growI32(this.free, cap)
    for (let i = cap - 1; i >= old; i--) this.free[this.freeN++] = i
    this.obj.length = cap
    this.cap = cap
    if (this.cache !== undefined) this.cache.growTasks(cap)
  }
}

function growI32(a: Int32Array | undefined, cap: number): Int32Array {
  const b = new Int32Array(cap)
  if (a) b.set(a.subarray(0, Math.min(a.length, cap)))
  return b
}
