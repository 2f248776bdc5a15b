/**
 * Each LLM replica's batch, as per-replica typed arrays (read by the batcher, the paged-KV
 * preemption and the admission test). Each replica owns maxBatchSeqs entries at seqOff in three
 * shared arrays: a FIFO ring of sequences still prefilling (pfRing, admission order), a min-heap of
 * decoding sequences keyed by the step at which they finish (decodeHeap, size `decoding`), and a deque
 * of preempted sequences waiting to be prefilled again (preRing). Finding completions and the next
 * one costs O(log B) instead of a scan of the batch.
 */
import {grown} from './replica-table.js'

// Phase of an LLM replica.
export const PH_IDLE = 0
export const PH_PREFILL = 1 // one step that prefills (and decodes the running sequences once)
export const PH_DECODE = 2 // a run of decode-only steps jumping to the next completion
export const PH_KICK = 3 // woken at `now` to start a step (batches work dispatched at the same instant)
export const PH_BOUNDARY = 4 // inside its own step-boundary handler

export class BatchState {
  phase: Uint8Array
  /** Generation of the replica's pending step event (a stale one is ignored). */
  gen: Int32Array
  /** The current decode run: its start, its steps, and the steps whose tokens a sample has counted. */
  runStart: Float64Array
  runK: Float64Array
  runBooked: Float64Array
  /** Decoding sequences, and their total context tokens. */
  decoding: Int32Array
  context: Float64Array
  /** Decode steps since the replica started. */
  stepsDone: Float64Array
  /** Smallest doneAt among decoding sequences. */
  minDone: Float64Array
  seqOff: Int32Array
  pfHead: Int32Array
  pfN: Int32Array
  preHead: Int32Array
  preN: Int32Array
  pfRing: Int32Array
  decodeHeap: Int32Array
  preRing: Int32Array
  /** Entries of the three rings handed out so far. */
  seqTop = 0
  /** Admissions so far (paged KV: the order that picks whom to preempt). */
  admitCount = 0

  constructor(replicas: number, seqs: number) {
    this.phase = new Uint8Array(replicas)
    this.gen = new Int32Array(replicas)
    this.runStart = new Float64Array(replicas)
    this.runK = new Float64Array(replicas)
    this.runBooked = new Float64Array(replicas)
    this.decoding = new Int32Array(replicas)
    this.context = new Float64Array(replicas)
    this.stepsDone = new Float64Array(replicas)
    this.minDone = new Float64Array(replicas)
    this.seqOff = new Int32Array(replicas)
    this.pfHead = new Int32Array(replicas)
    this.pfN = new Int32Array(replicas)
    this.preHead = new Int32Array(replicas)
    this.preN = new Int32Array(replicas)
    this.pfRing = new Int32Array(Math.max(1, seqs))
    this.decodeHeap = new Int32Array(Math.max(1, seqs))
    this.preRing = new Int32Array(Math.max(1, seqs))
  }

  /** Replica r starts with an empty batch; its ring entries are at seqOff. */
  initReplica(r: number, seqOff: number): void {
    this.seqOff[r] = seqOff
    this.minDone[r] = Number.POSITIVE_INFINITY
  }

  /** Hand out ring entries for a new replica of `maxBatchSeqs` sequences; returns their offset. */
  reserveSeqs(maxBatchSeqs: number): number {
    const seqOff = this.seqTop
    const need = seqOff + maxBatchSeqs
    if (need > this.pfRing.length) {
      const size = Math.max(need, this.pfRing.length * 2)
      this.pfRing = grown(this.pfRing, size)
      this.decodeHeap = grown(this.decodeHeap, size)
      this.preRing = grown(this.preRing, size)
    }
    this.seqTop = need
    return seqOff
  }

  /** Empty replica r's batch: prefill ring, preempted queue and decode state; its pending step event is void. */
  clear(r: number): void {
    this.gen[r]++
    this.phase[r] = PH_IDLE
    this.pfN[r] = 0
    this.pfHead[r] = 0
    this.preN[r] = 0
    this.preHead[r] = 0
    this.decoding[r] = 0
    this.context[r] = 0
    this.minDone[r] = Number.POSITIVE_INFINITY
  }

  grow(cap: number): void {
    this.phase = grown(this.phase, cap)
    this.gen = grown(this.gen, cap)
    this.runStart = grown(this.runStart, cap)
    this.runK = grown(this.runK, cap)
    this.runBooked = grown(this.runBooked, cap)
    this.decoding = grown(this.decoding, cap)
    this.context = grown(this.context, cap)
    this.stepsDone = grown(this.stepsDone, cap)
    this.minDone = grown(this.minDone, cap)
    this.seqOff = grown(this.seqOff, cap)
    this.pfHead = grown(this.pfHead, cap)
    this.pfN = grown(this.pfN, cap)
    this.preHead = grown(this.preHead, cap)
    this.preN = grown(this.preN, cap)
  }
}
