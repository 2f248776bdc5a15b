/**
 * Paged KV on an LLM replica (kvAllocation: paged, as vLLM V1): before each step the decoding
 * sequences' new blocks must fit, and when they do not, the newest admitted sequence is preempted
 * (recompute: its blocks are freed and it is prefilled again later with what it had generated).
 * The KV manager (kv-manager.ts) keeps the blocks' books; this decides who runs.
 */
import type {Simulation} from '../engine/simulation.js'
import {heapArgMax, heapRemoveAt, ringAt} from './batch-queues.js'
import type {BatchState} from './batch-state.js'
import type {CallTable} from './calls.js'
import type {KvManager} from './kv-manager.js'
import type {PoolBooks} from './pool-books.js'
import type {ReplicaTable} from './replica-table.js'

export class PagedPreemption {
  constructor(
    private readonly sim: Simulation,
    private readonly replicas: ReplicaTable,
    private readonly calls: CallTable,
    private readonly batch: BatchState,
    private readonly kv: KvManager,
    private readonly books: PoolBooks,
  ) {}

  /**
   * Before a step of paged replica r: preempt the newest admitted sequences until the decoding
   * sequences' new blocks for the step fit (vLLM V1: running requests are served first, by preempting
   * the last one), then, if none was preempted, take back preempted calls (oldest first) while their
   * recompute fits. Returns the blocks the step's decoding takes (allocated by the caller).
   */
  makeRoomForStep(r: number): number {
    const kv = this.kv
    const B = this.batch
    const done = B.stepsDone[r]
    let need = kv.nextStepTokens(r, done, B.decoding[r])
    let preempted = false
    while (need > kv.free(r) && this.preemptNewest(r)) {
      preempted = true
      need = kv.nextStepTokens(r, done, B.decoding[r])
    }
    // As vLLM, no call is taken back in a step that preempted, unless nothing else is left to run.
    if (!preempted || (B.decoding[r] === 0 && B.pfN[r] === 0)) {
      while (B.preN[r] > 0) {
        const c = B.preRing[B.seqOff[r] + B.preHead[r]]
        if (kv.blockTokensOf(r, this.calls.ctx[c]) + need > kv.free(r)) break
        B.preHead[r] = ringAt(B.preHead[r], 1, this.replicas.cap[r])
        B.preN[r]--
        this.enqueuePrefill(c, r)
      }
    }
    return need
  }

  /** Give call c (admitted, or preempted and taken back) its prompt's blocks and queue its prefill. */
  enqueuePrefill(c: number, r: number): void {
    const B = this.batch
    this.kv.take(r, this.replicas.pool[r], this.sim.now, this.kv.blockTokensOf(r, this.calls.ctx[c]))
    this.calls.admitOrder[c] = ++B.admitCount
    const at = ringAt(B.pfHead[r], B.pfN[r]++, this.replicas.cap[r])
    B.pfRing[B.seqOff[r] + at] = c
  }

  /**
   * Preempt (recompute) the newest admitted sequence holding blocks on replica r: its blocks are
   * freed and it waits at the front of the replica's preempted queue to be prefilled again with its
   * prompt and the tokens it generated. False when no sequence holds blocks.
   */
  private preemptNewest(r: number): boolean {
    const B = this.batch
    const C = this.calls
    const kv = this.kv
    const off = B.seqOff[r]
    const cap = this.replicas.cap[r]
    const p = this.replicas.pool[r]
    const nPf = B.pfN[r]
    const tail = nPf > 0 ? B.pfRing[off + ringAt(B.pfHead[r], nPf - 1, cap)] : -1
    const hi = B.decoding[r] > 0 ? heapArgMax(B.decodeHeap, off, B.decoding[r], C.admitOrder) : -1
    const dc = hi >= 0 ? B.decodeHeap[off + hi] : -1
    if (tail < 0 && dc < 0) return false
    let c: number
    let lost: number
    if (dc >= 0 && (tail < 0 || C.admitOrder[dc] > C.admitOrder[tail])) {
      c = dc
      const steps = B.stepsDone[r] - C.join[c]
      lost = C.ctx[c] + steps // tokens in its KV
      B.decoding[r] = heapRemoveAt(B.decodeHeap, off, B.decoding[r], hi, C.doneAt)
      B.minDone[r] = B.decoding[r] > 0 ? C.doneAt[B.decodeHeap[off]] : Number.POSITIVE_INFINITY
      kv.index.remove(r, C.ctx[c], C.join[c])
      B.context[r] -= lost + 1
      kv.give(r, p, this.sim.now, kv.blockTokensOf(r, lost))
      C.gen[c] += steps
      C.ctx[c] = C.prompt[c] + C.gen[c]
    } else {
      c = tail
      lost = C.ctx[c] - C.prefillLeft[c]
      B.pfN[r]--
      kv.give(r, p, this.sim.now, kv.blockTokensOf(r, C.ctx[c]))
    }
    C.prefillLeft[c] = C.ctx[c]
    C.hit[c] = 0
    C.chunk[c] = 0
    B.preHead[r] = ringAt(B.preHead[r], cap - 1, cap)
    B.preN[r]++
    B.preRing[off + B.preHead[r]] = c
    this.books.preemptions[p]++
    this.books.recomputed[p] += lost
    this.books.preemptionsSinceSample[p]++
    return true
  }
}
