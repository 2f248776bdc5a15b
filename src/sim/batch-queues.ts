/**
 * The sequence queues of one LLM replica's batcher, kept in flat Int32Arrays (one region of
 * maxBatchSeqs entries per replica, at its offset):
 * - a min-heap of decoding sequences keyed by the step at which they finish (then by slot), so the
 *   next completion is found in O(1) and removed in O(log B);
 * - rings (FIFO, or a deque for preempted sequences) of call slots in admission order.
 * A call is in at most one of them, so each region never holds more than the replica's batch limit.
 */

/** Push call c into the heap region at `off` holding n entries keyed by doneAt[c]; returns n + 1. */
export function heapPush(H: Int32Array, off: number, n: number, c: number, doneAt: Float64Array): number {
  const d = doneAt[c]
  let i = n
  while (i > 0) {
    const p = (i - 1) >> 1
    const pc = H[off + p]
    const pd = doneAt[pc]
    if (pd < d || (pd === d && pc < c)) break
    H[off + i] = pc
    i = p
  }
  H[off + i] = c
  return n + 1
}

/** Remove entry i of the heap region (n entries); returns n − 1. */
export function heapRemoveAt(H: Int32Array, off: number, n: number, i: number, doneAt: Float64Array): number {
  const last = n - 1
  if (i === last) return last
  const c = H[off + last]
  const d = doneAt[c]
  // Sift the moved entry up (it may be smaller than i's parent) or down.
  let at = i
  while (at > 0) {
    const p = (at - 1) >> 1
    const pc = H[off + p]
    const pd = doneAt[pc]
    if (pd < d || (pd === d && pc < c)) break
    H[off + at] = pc
    at = p
  }
  if (at === i) {
    const half = last >> 1
    while (at < half) {
      let k = 2 * at + 1
      let kc = H[off + k]
      if (k + 1 < last) {
        const rc = H[off + k + 1]
        if (doneAt[rc] < doneAt[kc] || (doneAt[rc] === doneAt[kc] && rc < kc)) {
          k++
          kc = rc
        }
      }
      const kd = doneAt[kc]
      if (d < kd || (d === kd && c < kc)) break
      H[off + at] = kc
      at = k
    }
  }
  H[off + at] = c
  return last
}

/** Remove the top of the heap region (n ≥ 1 entries); returns n − 1. */
export function heapPop(H: Int32Array, off: number, n: number, doneAt: Float64Array): number {
  return heapRemoveAt(H, off, n, 0, doneAt)
}

/** Index (0 … n−1) of the heap entry whose key `order[c]` is largest (a scan: used on preemption only). */
export function heapArgMax(H: Int32Array, off: number, n: number, order: Float64Array): number {
  let best = -1
  let bestKey = Number.NEGATIVE_INFINITY
  for (let i = 0; i < n; i++) {
    const k = order[H[off + i]]
    if (k > bestKey) {
      bestKey = k
      best = i
    }
  }
  return best
}

/** Position `i` entries after `head` in a ring of `cap` entries. */
export function ringAt(head: number, i: number, cap: number): number {
  const at = head + i
  return at >= cap ? at - cap : at
}
