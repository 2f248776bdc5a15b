/**
 * Paged KV cache of one LLM replica, as vLLM's block manager keeps it: the cache is cut into blocks
 * of `blockTokens` tokens, a sequence holds ceil(context / blockTokens) blocks, and a decoding
 * sequence takes a new block in the step that writes the first token of a block.
 *
 * The fleet model jumps over decode-only stretches in one event, so it needs, without stepping, how
 * many new blocks the next j steps take. Every decoding sequence writes one token per step, so the
 * step in which a sequence needs a block depends only on its "phase": (context − steps done) mod
 * blockTokens, which no step changes. Counting decoding sequences per phase makes "blocks the next j
 * steps need" an O(blockTokens) sum and "how many steps fit in the free blocks" one pass over a cycle.
 */

import type {KvAllocation} from '../scenario/scheduler.js'

export {KV_ALLOCATIONS, type KvAllocation} from '../scenario/scheduler.js'

/** vLLM's default block size (tokens per KV block) on GPUs. */
export const DEFAULT_BLOCK_TOKENS = 16

/** Scheduler settings of one pool's replicas (engine defaults, overridable per pool in the scenario). */
export interface SchedulerSettings {
  kvAllocation: KvAllocation
  /** Tokens per KV block (paged allocation). */
  blockTokens: number
}

export const DEFAULT_SCHEDULER: SchedulerSettings = {kvAllocation: 'paged', blockTokens: DEFAULT_BLOCK_TOKENS}

/** Phase counts of the decoding sequences of every paged replica (one small array per replica). */
export class PagedKvIndex {
  private readonly counts: (Int32Array | undefined)[] = []

  /** Start tracking replica r with blocks of `blockTokens` (or reset it: its batch was emptied). */
  init(r: number, blockTokens: number): void {
    this.counts[r] = new Int32Array(blockTokens)
  }

  clear(r: number): void {
    this.counts[r]?.fill(0)
  }

  /** A sequence with `context` tokens in KV joins the decoding batch when `stepsDone` steps are done. */
  add(r: number, context: number, stepsDone: number): void {
    const cnt = this.counts[r] as Int32Array
    cnt[mod(context - stepsDone, cnt.length)]++
  }

  /** Remove a sequence added with add(r, context, stepsDone). */
  remove(r: number, context: number, stepsDone: number): void {
    const cnt = this.counts[r] as Int32Array
    cnt[mod(context - stepsDone, cnt.length)]--
  }

  /**
   * New blocks the decoding sequences take over the j steps after `stepsDone` (none completing):
   * in step S a sequence of phase φ writes token position φ + S − 1, which opens a block when it is a
   * multiple of the block size. `decoding` is the number of sequences counted.
   */
  newBlocks(r: number, stepsDone: number, j: number, decoding: number): number {
    const cnt = this.counts[r] as Int32Array
    const bs = cnt.length
    const full = Math.floor(j / bs)
    let blocks = full * decoding
    const rest = j - full * bs
    for (let i = 1; i <= rest; i++) blocks += cnt[mod(1 - (stepsDone + i), bs)]
    return blocks
  }

  /** Largest j ≤ maxSteps such that the next j steps take at most `freeBlocks` new blocks. */
  stepsThatFit(r: number, stepsDone: number, maxSteps: number, freeBlocks: number, decoding: number): number {
    if (decoding === 0) return maxSteps
    const cnt = this.counts[r] as Int32Array
    const bs = cnt.length
    // Every full cycle of bs steps takes exactly one block per sequence.
    const cycles = Math.floor(freeBlocks / decoding)
    if (cycles * bs >= maxSteps) return maxSteps
    let left = freeBlocks - cycles * decoding
    let j = cycles * bs
    for (let i = 1; i <= bs && j < maxSteps; i++) {
      left -= cnt[mod(1 - (stepsDone + j + 1), bs)]
      if (left < 0) break
      j++
    }
    return j
  }
}

/** Blocks that hold `tokens` tokens. */
export function blocksFor(tokens: number, blockTokens: number): number {
  return Math.ceil(tokens / blockTokens)
}

function mod(a: number, m: number): number {
  const x = a % m
  return x < 0 ? x + m : x
}
