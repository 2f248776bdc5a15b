/**
 * The least-outstanding index: READY replicas in buckets by outstanding calls (intrusive doubly-linked
 * lists), so a policy finds the least-loaded replica without scanning the fleet. A replica enters a
 * bucket at its tail, so ties go to the replica that has waited longest at that load. The router
 * keeps it in step with every change of a replica's outstanding count or readiness.
 */
import {grown, type ReplicaTable} from './replica-table.js'

export class LoadIndex {
  // Read by the policies that walk it: bucket o's first replica, each replica's next in its bucket.
  // The top bucket holds replicas full at the largest capacity in the fleet (none can take a call).
  head: Int32Array
  next: Int32Array
  private tail: Int32Array
  private prev: Int32Array
  /** Lowest bucket that may be non-empty. */
  min = 0

  /** maxCap: the largest capacity (maxBatchSeqs or slots) of any pool. */
  constructor(
    private readonly replicas: ReplicaTable,
    replicaSlots: number,
    maxCap: number,
  ) {
    this.head = new Int32Array(maxCap + 1).fill(-1)
    this.tail = new Int32Array(maxCap + 1).fill(-1)
    this.next = new Int32Array(replicaSlots).fill(-1)
    this.prev = new Int32Array(replicaSlots).fill(-1)
  }

  /** Put a READY replica at the tail of the bucket of its outstanding count. */
  add(r: number): void {
    const o = this.replicas.out[r]
    const t = this.tail[o]
    this.prev[r] = t
    this.next[r] = -1
    if (t >= 0) this.next[t] = r
    else this.head[o] = r
    this.tail[o] = r
    if (o < this.min) this.min = o
  }

  remove(r: number): void {
    const o = this.replicas.out[r]
    const p = this.prev[r]
    const n = this.next[r]
    if (p >= 0) this.next[p] = n
    else this.head[o] = n
    if (n >= 0) this.prev[n] = p
    else this.tail[o] = p
    if (o === this.min && this.head[o] < 0) {
      const top = this.head.length
      let m = o + 1
      while (m < top && this.head[m] < 0) m++
      this.min = m
    }
  }

  /** Room for `replicas` replicas of capacity up to `maxCap`. */
  grow(replicas: number, maxCap: number): void {
    if (replicas > this.next.length) {
      this.next = grown(this.next, replicas, -1)
      this.prev = grown(this.prev, replicas, -1)
    }
    if (maxCap >= this.head.length) {
      this.head = grown(this.head, maxCap + 1, -1)
      this.tail = grown(this.tail, maxCap + 1, -1)
    }
  }
}
