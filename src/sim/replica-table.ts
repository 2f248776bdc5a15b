/**
 * What every part of the fleet model reads of a replica (index r across all pools, gone ones
 * included), as parallel typed arrays grown together when replicas are added at runtime. Each part
 * keeps its own per-replica state beside this: the batcher its batch (batch-state.ts), a routing
 * policy its weights, the KV manager its cache.
 */
export class ReplicaTable {
  /** Replicas ever created (indices 0…n−1). */
  n = 0
  pool: Int32Array
  /** ReplicaState */
  state: Uint8Array
  /** Most calls at once (maxBatchSeqs or slots). */
  cap: Int32Array
  /** Calls assigned (running or about to be admitted). */
  out: Int32Array
  /** Step / service time multiplier (1 healthy; 1 / throughputFactor degraded). */
  slow: Float64Array
  // Sum of the dispatch times of the calls running on the replica: with out it gives their time in
  // flight so far (out·now − dispSum) without integrating at every dispatch and completion.
  dispSum: Float64Array
  /** Busy level now (0..1), since when, and busy seconds integrated up to then. */
  level: Float64Array
  levelSince: Float64Array
  busyS: Float64Array
  bornAt: Float64Array
  goneAt: Float64Array
  /** Per pool: 1 while it is cut off from the router (a partition). */
  readonly poolBlocked: Uint8Array
  /** Per pool: 1 when its replicas keep agent-chain contexts (prefixCache). */
  readonly poolCaches: Uint8Array
  /** Largest KV capacity of any LLM pool or replica: a call larger than it is refused. */
  maxKvCap = 0

  constructor(replicas: number, poolCaches: Uint8Array) {
    this.pool = new Int32Array(replicas)
    this.state = new Uint8Array(replicas)
    this.cap = new Int32Array(replicas)
    this.out = new Int32Array(replicas)
    this.slow = new Float64Array(replicas).fill(1)
    this.dispSum = new Float64Array(replicas)
    this.level = new Float64Array(replicas)
    this.levelSince = new Float64Array(replicas)
    this.busyS = new Float64Array(replicas)
    this.bornAt = new Float64Array(replicas)
    this.goneAt = new Float64Array(replicas).fill(Number.POSITIVE_INFINITY)
    this.poolBlocked = new Uint8Array(poolCaches.length)
    this.poolCaches = poolCaches
  }

  grow(cap: number): void {
    this.pool = grown(this.pool, cap)
    this.state = grown(this.state, cap)
    this.cap = grown(this.cap, cap)
    this.out = grown(this.out, cap)
    this.slow = grown(this.slow, cap, 1)
    this.dispSum = grown(this.dispSum, cap)
    this.level = grown(this.level, cap)
    this.levelSince = grown(this.levelSince, cap)
    this.busyS = grown(this.busyS, cap)
    this.bornAt = grown(this.bornAt, cap)
    this.goneAt = grown(this.goneAt, cap, Number.POSITIVE_INFINITY)
  }
}

/** A copy of typed array `a` with room for `cap` entries, the new ones set to `fill` (default 0). */
export function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, cap: number, fill?: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap)
  b.set(a)
  if (fill !== undefined) b.fill(fill, a.length)
  return b
}
