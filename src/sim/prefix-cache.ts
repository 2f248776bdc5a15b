/**
 * Prefix caching across the calls of an agent chain, per replica, as vLLM's automatic prefix caching
 * keeps them: when a call finishes, the KV cache blocks of its context (prompt and output) stay on
 * the replica, unreferenced but intact, until the space is needed. If the task's next call lands on
 * the same replica and its prompt starts with that context (TaskCall.sharedPrefixTokens), the shared
 * tokens need no prefill.
 *
 * Bookkeeping only, in task and replica slots of the fleet model: at most one entry per task (the
 * context its last call left), on one replica, in that replica's least-recently-used list. Idle
 * entries are evictable at no cost, so they never limit admission; the fleet model evicts the oldest
 * when a new reservation leaves them less room than they hold (reserved + idle ≤ KV capacity).
 *
 * Left out, and said so in docs/simulator.md: sharing between different tasks (common system
 * prompts; Mooncake's hash_ids), and partial hits on an entry left on a replica a later call returns
 * to: an entry is dropped as soon as its task's next call is dispatched anywhere.
 */
export class PrefixCache {
  /** Replica holding task t's entry, or -1. */
  private tReplica: Int32Array
  private tTokens: Float64Array
  private tPrev: Int32Array
  private tNext: Int32Array
  /** Per replica: least recently used entry (evicted first), most recent, and idle tokens held. */
  private rHead: Int32Array
  private rTail: Int32Array
  private rIdle: Float64Array
  constructor(tasks: number, replicas: number) {
    this.tReplica = new Int32Array(tasks).fill(-1)
    this.tTokens = new Float64Array(tasks)
    this.tPrev = new Int32Array(tasks)
    this.tNext = new Int32Array(tasks)
    this.rHead = new Int32Array(replicas).fill(-1)
    this.rTail = new Int32Array(replicas).fill(-1)
    this.rIdle = new Float64Array(replicas)
  }

  /** Tokens of idle cached context on replica r. */
  idleTokens(r: number): number {
    return this.rIdle[r]
  }

  /** The replica holding task t's context, or -1. */
  replicaOf(t: number): number {
    return this.tReplica[t]
  }

  /** Task t's last call left `tokens` of context on replica r (most recently used); replaces any older entry. */
  put(t: number, r: number, tokens: number): void {
    this.forget(t)
    const tail = this.rTail[r]
    this.tPrev[t] = tail
    this.tNext[t] = -1
    if (tail >= 0) this.tNext[tail] = t
    else this.rHead[r] = t
    this.rTail[r] = t
    this.tReplica[t] = r
    this.tTokens[t] = tokens
    this.rIdle[r] += tokens
  }

  /**
   * Task t's next call was dispatched to replica r: the entry is taken out of the idle list (its
   * blocks now belong to the call, or, on another replica, can no longer be reached). Returns the
   * tokens cached on r for it (0 when it had none there).
   */
  take(t: number, r: number): number {
    const at = this.tReplica[t]
    if (at < 0) return 0
    const tokens = this.tTokens[t]
    this.forget(t)
    return at === r ? tokens : 0
  }

  /** Drop task t's entry, if any (the task ended, or its context moved). */
  forget(t: number): void {
    const r = this.tReplica[t]
    if (r < 0) return
    const p = this.tPrev[t]
    const n = this.tNext[t]
    if (p >= 0) this.tNext[p] = n
    else this.rHead[r] = n
    if (n >= 0) this.tPrev[n] = p
    else this.rTail[r] = p
    this.rIdle[r] -= this.tTokens[t]
    if (this.rHead[r] < 0) this.rIdle[r] = 0 // no rounding drift carried past an empty list
    this.tReplica[t] = -1
  }

  /** Evict replica r's least recently used entries until it holds at most `room` idle tokens; returns how many. */
  evictTo(r: number, room: number): number {
    let n = 0
    while (this.rIdle[r] > room && this.rHead[r] >= 0) {
      this.forget(this.rHead[r])
      n++
    }
    return n
  }

  /** Replica r lost its memory (failed, or gone): every entry on it is dropped. */
  clearReplica(r: number): void {
    while (this.rHead[r] >= 0) this.forget(this.rHead[r])
  }

  growTasks(cap: number): void {
    this.tReplica = grow(this.tReplica, cap, -1)
    this.tTokens = grow(this.tTokens, cap, 0)
    this.tPrev = grow(this.tPrev, cap, 0)
    this.tNext = grow(this.tNext, cap, 0)
  }

  growReplicas(cap: number): void {
    this.rHead = grow(this.rHead, cap, -1)
    this.rTail = grow(this.rTail, cap, -1)
    this.rIdle = grow(this.rIdle, cap, 0)
  }
}

function grow<A extends Int32Array | Float64Array>(a: A, cap: number, fill: number): A {
  if (a.length >= cap) return a
  const b = new (a.constructor as new (n: number) => A)(cap)
  b.set(a)
  b.fill(fill, a.length)
  return b
}
