/**
 * The KV-cache manager of every replica of a fleet (index r): capacity, tokens held, and their
 * time integral per pool (KV occupancy). Two policies, per pool:
 * - `reserve`: a call holds its prompt plus its whole output from admission to completion;
 * - `paged` (as vLLM): whole blocks, a prompt's at admission, one more whenever a decoding sequence
 *   opens a block (PagedKvIndex counts them for a whole decode run at once).
 * The batcher (fleet-model.ts) decides what runs and whom to preempt; this module keeps the books.
 */
import {InputError} from '../errors.js'
import {blocksFor, DEFAULT_SCHEDULER, type KvAllocation, PagedKvIndex} from './kv-blocks.js'
import type {LlmPoolConfig} from './types.js'

export class KvManager {
  /** Tokens replica r can hold (whole blocks when paged; +∞ for generic replicas). */
  cap: Float64Array
  /** Tokens held (reserved, or in allocated blocks) now. */
  used: Float64Array
  /** 1 when replica r allocates paged blocks. */
  paged: Uint8Array
  private blockTokens: Int32Array
  private since: Float64Array
  /** Blocks taken at the start of r's current decode run (given back in part when it is cut). */
  private runBlocks: Float64Array
  readonly index = new PagedKvIndex()
  /** KV tokens held × seconds, per pool. */
  readonly poolTokenS: Float64Array

  constructor(replicas: number, pools: number) {
    this.cap = new Float64Array(replicas)
    this.used = new Float64Array(replicas)
    this.paged = new Uint8Array(replicas)
    this.blockTokens = new Int32Array(replicas)
    this.since = new Float64Array(replicas)
    this.runBlocks = new Float64Array(replicas)
    this.poolTokenS = new Float64Array(pools)
  }

  /** Room for `replicas` replicas (keeps what is there). */
  grow(replicas: number): void {
    const g = <T extends Float64Array | Uint8Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(replicas)
      b.set(a)
      return b
    }
    this.cap = g(this.cap)
    this.used = g(this.used)
    this.paged = g(this.paged)
    this.blockTokens = g(this.blockTokens)
    this.since = g(this.since)
    this.runBlocks = g(this.runBlocks)
  }

  /** Replica r starts empty now: of an LLM pool, or a generic replica (no KV limit) when pool is undefined. */
  initReplica(r: number, pool: LlmPoolConfig | undefined, now: number): void {
    this.since[r] = now
    this.used[r] = 0
    if (pool === undefined) {
      this.cap[r] = Number.POSITIVE_INFINITY
      this.paged[r] = 0
      return
    }
    const s = schedulerOf(pool)
    this.cap[r] = kvCapacityTokens(pool)
    this.paged[r] = s.kvAllocation === 'paged' ? 1 : 0
    this.blockTokens[r] = s.blockTokens
    if (this.paged[r] === 1) this.index.init(r, s.blockTokens)
  }

  /** Integrate r's tokens held up to now into its pool's total. */
  note(r: number, pool: number, now: number): void {
    this.poolTokenS[pool] += this.used[r] * (now - this.since[r])
    this.since[r] = now
  }

  /** Hold `tokens` more (reserved) or `blocks·blockTokens` more (paged) on r from now. */
  take(r: number, pool: number, now: number, tokens: number): void {
    this.note(r, pool, now)
    this.used[r] += tokens
  }

  /** Give back `tokens` held on r. */
  give(r: number, pool: number, now: number, tokens: number): void {
    this.note(r, pool, now)
    this.used[r] -= tokens
  }

  /** Empty r (its batch was taken away). */
  clear(r: number, pool: number, now: number): void {
    this.note(r, pool, now)
    this.used[r] = 0
    if (this.paged[r] === 1) this.index.clear(r)
  }

  free(r: number): number {
    return this.cap[r] - this.used[r]
  }

  /** Tokens per block of paged replica r. */
  blockSize(r: number): number {
    return this.blockTokens[r]
  }

  /** Tokens in the whole blocks that hold `tokens` tokens on paged replica r. */
  blockTokensOf(r: number, tokens: number): number {
    const bs = this.blockTokens[r]
    return blocksFor(tokens, bs) * bs
  }

  /** Tokens of the blocks the decoding sequences of paged r open in its next step. */
  nextStepTokens(r: number, stepsDone: number, decoding: number): number {
    return this.index.newBlocks(r, stepsDone, 1, decoding) * this.blockTokens[r]
  }

  /**
   * A decode run of paged r starts: of the k steps wanted, those whose new blocks fit (at least
   * one when the caller made room for the next step); their blocks are taken now. Returns the steps.
   */
  startRun(r: number, pool: number, now: number, stepsDone: number, k: number, decoding: number): number {
    const bs = this.blockTokens[r]
    const steps = this.index.stepsThatFit(r, stepsDone, k, this.free(r) / bs, decoding)
    const blocks = this.index.newBlocks(r, stepsDone, steps, decoding)
    this.runBlocks[r] = blocks
    if (blocks > 0) this.take(r, pool, now, blocks * bs)
    return steps
  }

  /** r's decode run was cut to `steps` steps: give back the blocks of the steps it no longer makes. */
  cutRun(r: number, pool: number, now: number, stepsDone: number, steps: number, decoding: number): void {
    const keep = this.index.newBlocks(r, stepsDone, steps, decoding)
    this.give(r, pool, now, (this.runBlocks[r] - keep) * this.blockTokens[r])
    this.runBlocks[r] = keep
  }
}

/** The scheduler settings of an LLM pool, defaults filled in. */
export function schedulerOf(pool: LlmPoolConfig): {kvAllocation: KvAllocation; blockTokens: number} {
  const s = pool.scheduler
  const blockTokens = s?.blockTokens ?? DEFAULT_SCHEDULER.blockTokens
  if (!(Number.isInteger(blockTokens) && blockTokens >= 1 && blockTokens <= 4096)) {
    throw new InputError({field: `fleet.pools.${pool.name}.scheduler.blockTokens`}, 'must be an integer from 1 to 4096')
  }
  // Unset in the scenario: as the profile's engine admits (serving.yaml engines.*.kvAdmission), else paged.
  return {kvAllocation: s?.kvAllocation ?? pool.serving.kvAdmission ?? DEFAULT_SCHEDULER.kvAllocation, blockTokens}
}

/** KV tokens one replica of the pool can hold: whole blocks only when paged. */
export function kvCapacityTokens(pool: LlmPoolConfig): number {
  const s = schedulerOf(pool)
  const kv = pool.serving.kvCacheTokens
  return s.kvAllocation === 'paged' ? Math.floor(kv / s.blockTokens) * s.blockTokens : kv
}
