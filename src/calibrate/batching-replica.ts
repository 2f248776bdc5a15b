import type {ServingProfile} from '../fleet/types.js'

/**
 * One serving replica with iteration-level continuous batching, as vLLM schedules it: every engine
 * step decodes one token for each running sequence and spends the rest of the step's token budget
 * on (chunked) prefill of admitted prompts; a sequence's first token comes out of the step that
 * finishes its prefill. The step's duration is the serving profile's `stepTimeS`, times a scale.
 *
 * The model knows nothing of clocks: `step()` plans one step and returns its duration; the caller
 * advances time (a wall-clock timer in the fake OpenAI server, a virtual clock in the replay
 * predictor) and then calls `finishStep()`. One model serves both, so what the fixture serves and
 * what the replay predicts follow the same rules.
 */
export type ReplicaLimits = Pick<ServingProfile, 'stepTimeS' | 'maxBatchSeqs' | 'maxBatchTokens' | 'kvCacheTokens'>

export interface ReplicaRequest {
  readonly inputTokens: number
  readonly outputTokens: number
}

interface Sequence<R extends ReplicaRequest> {
  req: R
  prefilled: number
  generated: number
  /** Prompt tokens this step prefills (set by step(), applied by finishStep()). */
  chunk: number
}

/** What one finished step produced: a token for each listed request (its `generated` count after). */
export interface StepResult<R extends ReplicaRequest> {
  tokens: Array<{req: R; index: number; last: boolean}>
}

export class BatchingReplica<R extends ReplicaRequest> {
  private readonly waiting: Sequence<R>[] = []
  private waitingHead = 0
  private running: Sequence<R>[] = []
  private reservedKv = 0
  private stepping = false

  constructor(
    private readonly limits: ReplicaLimits,
    /** Multiplies every step time: 1 follows the profile; 1.3 is a replica 30% slower than its profile. */
    private readonly stepScale = 1,
  ) {
    if (!(stepScale > 0)) throw new RangeError(`stepScale must be > 0, got ${stepScale}`)
  }

  enqueue(req: R): void {
    this.waiting.push({req, prefilled: 0, generated: 0, chunk: 0})
  }

  /**
   * Drop a request (its client went away), as vLLM aborts a request on disconnect. Between steps
   * only: a request in the planned step leaves when the step finishes. Returns whether it was here.
   */
  abort(req: R): boolean {
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      if (this.waiting[i].req === req) {
        this.waiting.splice(i, 1)
        return true
      }
    }
    const i = this.running.findIndex((s) => s.req === req)
    if (i < 0) return false
    if (this.stepping) {
      this.aborted.add(req)
      return true
    }
    this.reservedKv -= req.inputTokens + req.outputTokens
    this.running.splice(i, 1)
    return true
  }

  private readonly aborted = new Set<R>()

  /** Requests admitted or waiting: what a router balances on. */
  get load(): number {
    return this.running.length + this.waiting.length - this.waitingHead
  }

  get idle(): boolean {
    return this.load === 0
  }

  /**
   * Plan the next step: admit waiting requests (FIFO, while the batch has room in sequences and
   * KV cache), decode every prefilled sequence, prefill with the remaining token budget. Returns the
   * step's duration in seconds, or undefined when there is nothing to do.
   */
  step(): number | undefined {
    if (this.stepping) throw new Error('step() called twice without finishStep()')
    while (this.waitingHead < this.waiting.length && this.running.length < this.limits.maxBatchSeqs) {
      const next = this.waiting[this.waitingHead]
      const kv = next.req.inputTokens + next.req.outputTokens
      // A request larger than the whole cache still runs alone rather than blocking forever.
      if (this.running.length > 0 && this.reservedKv + kv > this.limits.kvCacheTokens) break
      this.waitingHead++
      this.reservedKv += kv
      this.running.push(next)
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead)
      this.waitingHead = 0
    }
    if (this.running.length === 0) return undefined
    let decodeSeqs = 0
    let decodeContext = 0
    for (const s of this.running) {
      s.chunk = 0
      if (s.prefilled === s.req.inputTokens) {
        decodeSeqs++
        decodeContext += s.req.inputTokens + s.generated
      }
    }
    let budget = Math.max(0, this.limits.maxBatchTokens - decodeSeqs)
    let prefillTokens = 0
    for (const s of this.running) {
      if (budget === 0) break
      const left = s.req.inputTokens - s.prefilled
      if (left === 0) continue
      s.chunk = Math.min(left, budget)
      budget -= s.chunk
      prefillTokens += s.chunk
    }
    // A batch whose token budget is all taken by decodes still makes progress on one prompt.
    if (prefillTokens === 0 && decodeSeqs === 0) {
      const s = this.running[0]
      s.chunk = s.req.inputTokens - s.prefilled
      prefillTokens = s.chunk
    }
    this.stepping = true
    return this.limits.stepTimeS(prefillTokens, decodeSeqs, decodeContext) * this.stepScale
  }

  /** Apply the planned step: tokens come out, finished sequences leave the batch. */
  finishStep(): StepResult<R> {
    if (!this.stepping) throw new Error('finishStep() without step()')
    this.stepping = false
    const tokens: StepResult<R>['tokens'] = []
    const still: Sequence<R>[] = []
    for (const s of this.running) {
      if (this.aborted.size > 0 && this.aborted.has(s.req)) {
        this.aborted.delete(s.req)
        this.reservedKv -= s.req.inputTokens + s.req.outputTokens
        continue
      }
      const wasDecoding = s.prefilled === s.req.inputTokens && s.chunk === 0
      s.prefilled += s.chunk
      const emits = wasDecoding || (s.chunk > 0 && s.prefilled === s.req.inputTokens)
      if (emits) {
        s.generated++
        const last = s.generated >= s.req.outputTokens
        tokens.push({req: s.req, index: s.generated, last})
        if (last) {
          this.reservedKv -= s.req.inputTokens + s.req.outputTokens
          continue
        }
      }
      still.push(s)
    }
    this.running = still
    return {tokens}
  }
}

/** Route to the replica with the least requests in it; ties go to the lowest index (deterministic). */
export function leastLoaded<R extends ReplicaRequest>(replicas: readonly BatchingReplica<R>[]): BatchingReplica<R> {
  let best = replicas[0]
  for (const r of replicas) if (r.load < best.load) best = r
  return best
}
