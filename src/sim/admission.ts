/**
 * Whether a replica can take a call now: it is READY, its pool is not cut off, it has a free slot
 * (sequence or server), and, on an LLM replica, its KV cache has room. Every routing policy asks this
 * of the replicas it considers.
 */
import type {BatchState} from './batch-state.js'
import type {CallTable} from './calls.js'
import type {KvManager} from './kv-manager.js'
import type {ReplicaTable} from './replica-table.js'
import {ReplicaState} from './types.js'

export class Admission {
  constructor(
    private readonly replicas: ReplicaTable,
    private readonly calls: CallTable,
    private readonly kv: KvManager,
    private readonly batch: BatchState,
    private readonly isLlm: boolean,
  ) {}

  canTake(r: number, c: number): boolean {
    const R = this.replicas
    if (R.state[r] !== ReplicaState.READY || R.poolBlocked[R.pool[r]] !== 0 || R.out[r] >= R.cap[r]) return false
    if (!this.isLlm) return true // generic servers hold no KV cache
    const kv = this.kv
    // Reserve: the prompt and all the output up front.
    if (kv.paged[r] === 0) return kv.used[r] + this.calls.prompt[c] + this.calls.output[c] <= kv.cap[r]
    return this.pagedHasRoom(r, c)
  }

  /**
   * Paged admission (vLLM V1's order): no preempted call waits on r, and the prompt's blocks fit
   * beside the blocks the running sequences take in the next step; the whole call must fit r's cache.
   */
  private pagedHasRoom(r: number, c: number): boolean {
    const kv = this.kv
    const B = this.batch
    const prompt = this.calls.prompt[c]
    if (B.preN[r] > 0 || prompt + this.calls.output[c] > kv.cap[r]) return false
    const free = kv.free(r)
    // Room for the prompt and a new block for every decoding sequence: no need to count phases.
    if (prompt + kv.blockSize(r) * (B.decoding[r] + 1) <= free) return true
    return kv.blockTokensOf(r, prompt) + kv.nextStepTokens(r, B.stepsDone[r], B.decoding[r]) <= free
  }
}
