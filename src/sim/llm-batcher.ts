/**
 * The batcher of every LLM replica: iteration-level (continuous) batching, as vLLM does. An admitted
 * call's prompt waits in the replica's prefill ring; each step decodes one token for every running
 * sequence and, with chunked prefill, spends the rest of maxBatchTokens on waiting prompts in
 * admission order. Steps with prefill are simulated one by one; decode-only stretches are one event
 * that jumps straight to the next completion using the cost model's closed-form decodeRunTimeS. Work
 * that arrives during such a run cuts it at the next step boundary (binary search on decodeRunTimeS).
 * TTFT is the end of the step that finishes the prompt (that step emits the first token).
 *
 * KV: `reserve` takes the prompt plus all the output at admission; `paged` takes blocks as the call
 * grows and may preempt (preemption.ts). The KV manager keeps the books.
 */
import type {Simulation} from '../engine/simulation.js'
import {heapPop, heapPush, ringAt} from './batch-queues.js'
import {type BatchState, PH_BOUNDARY, PH_DECODE, PH_IDLE, PH_KICK, PH_PREFILL} from './batch-state.js'
import type {CallFlow} from './call-flow.js'
import type {CallTable} from './calls.js'
import type {CentralQueue} from './central-queue.js'
import type {FleetCounters} from './counters.js'
import {EV_STEP} from './events.js'
import type {KvManager} from './kv-manager.js'
import type {PoolBooks} from './pool-books.js'
import type {PagedPreemption} from './preemption.js'
import type {PrefixCache} from './prefix-cache.js'
import type {ReplicaTable} from './replica-table.js'
import type {Router} from './router.js'
import type {LlmPoolConfig, PoolConfig} from './types.js'

export class LlmBatcher {
  private flow!: CallFlow
  private queue!: CentralQueue
  private router!: Router

  constructor(
    private readonly sim: Simulation,
    private readonly pools: readonly PoolConfig[],
    private readonly replicas: ReplicaTable,
    private readonly calls: CallTable,
    readonly state: BatchState,
    private readonly kv: KvManager,
    private readonly paged: PagedPreemption,
    private readonly books: PoolBooks,
    private readonly counters: FleetCounters,
    private readonly cache: PrefixCache | undefined,
  ) {}

  link(flow: CallFlow, queue: CentralQueue, router: Router): void {
    this.flow = flow
    this.queue = queue
    this.router = router
  }

  /** Put LLM call c into replica r's batch: allocate (or reserve) its KV, queue its prompt, wake the replica. */
  admit(c: number, r: number): void {
    const now = this.sim.now
    const C = this.calls
    const B = this.state
    C.ctx[c] = C.prompt[c]
    C.gen[c] = 0
    C.prefillLeft[c] = C.prompt[c]
    C.hit[c] = 0
    C.chunk[c] = 0
    C.doneAt[c] = Number.POSITIVE_INFINITY
    if (this.kv.paged[r] === 1) {
      // Paged: blocks for the prompt now, one more per block of output as it is generated.
      this.paged.enqueuePrefill(c, r)
    } else {
      this.kv.take(r, this.replicas.pool[r], now, C.prompt[c] + C.output[c])
      const at = ringAt(B.pfHead[r], B.pfN[r]++, this.replicas.cap[r])
      B.pfRing[B.seqOff[r] + at] = c
    }
    if (this.cache !== undefined) this.usePrefixCache(c, r, this.cache)
    switch (B.phase[r]) {
      case PH_IDLE:
        B.phase[r] = PH_KICK
        this.sim.schedule(now, EV_STEP, r, ++B.gen[r])
        break
      case PH_DECODE:
        this.cutDecodeRun(r)
        break
      default:
        // PH_PREFILL, PH_KICK, PH_BOUNDARY: the new sequence joins at the next boundary anyway.
        break
    }
  }

  /**
   * Call c was admitted to replica r: take its task's cached context (a hit when it is on r and the
   * pool caches prefixes; at least the prompt's last token is always computed), then evict idle
   * contexts until what r reserves and what it keeps idle fit its KV cache.
   */
  private usePrefixCache(c: number, r: number, cache: PrefixCache): void {
    const C = this.calls
    const cached = cache.take(C.task[c], r)
    const p = this.replicas.pool[r]
    if (cached > 0 && this.replicas.poolCaches[p] === 1) {
      const prompt = C.prompt[c]
      let hit = C.shared[c] < cached ? C.shared[c] : cached
      if (hit > prompt - 1) hit = prompt - 1
      C.hit[c] = hit
      C.prefillLeft[c] = prompt - hit
      this.books.prefixHits[p] += hit
    }
    this.books.prefixEvictions[p] += cache.evictTo(r, this.kv.free(r))
  }

  /** Cut the replica's decode-only run at the first step boundary at or after now. */
  private cutDecodeRun(r: number): void {
    const B = this.state
    const serving = (this.pools[this.replicas.pool[r]] as LlmPoolConfig).serving
    const slow = this.replicas.slow[r]
    const elapsed = this.sim.now - B.runStart[r]
    const n = B.decoding[r]
    const ctx = B.context[r]
    let lo = 1
    let hi = B.runK[r]
    // Smallest j in [1, k] with decodeRunTimeS(j) ≥ elapsed.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (serving.decodeRunTimeS(mid, n, ctx) * slow >= elapsed) hi = mid
      else lo = mid + 1
    }
    if (lo === B.runK[r]) return
    B.runK[r] = lo
    // Paged: the run's blocks were taken at its start; give back those of the steps it no longer makes.
    if (this.kv.paged[r] === 1) this.kv.cutRun(r, this.replicas.pool[r], this.sim.now, B.stepsDone[r], lo, n)
    // max(): runStart + T(j) can round to a hair before now although T(j) ≥ now − runStart.
    const at = B.runStart[r] + serving.decodeRunTimeS(lo, n, ctx) * slow
    this.sim.schedule(at > this.sim.now ? at : this.sim.now, EV_STEP, r, ++B.gen[r])
  }

  /** An LLM replica finished a step (or a decode run), or was kicked awake. */
  stepBoundary(r: number): void {
    const B = this.state
    const C = this.calls
    const counters = this.counters
    const pool = this.pools[this.replicas.pool[r]] as LlmPoolConfig
    const phase = B.phase[r]
    B.phase[r] = PH_BOUNDARY
    const off = B.seqOff[r]
    if (phase === PH_DECODE) {
      const k = B.runK[r]
      B.stepsDone[r] += k
      B.context[r] += B.decoding[r] * k
      counters.outputTokens += B.decoding[r] * k
      // Samples inside the run counted the tokens of the steps done by then.
      counters.sOutTokens += B.decoding[r] * (k - B.runBooked[r])
    } else if (phase === PH_PREFILL) {
      const now = this.sim.now
      B.stepsDone[r] += 1
      B.context[r] += B.decoding[r]
      counters.outputTokens += B.decoding[r]
      counters.sOutTokens += B.decoding[r]
      const done = B.stepsDone[r]
      const cap = this.replicas.cap[r]
      // The step prefilled a prefix of the ring (FIFO); all but possibly its last entry finished.
      while (B.pfN[r] > 0) {
        const head = B.pfHead[r]
        const c = B.pfRing[off + head]
        const chunk = C.chunk[c]
        if (chunk === 0) break
        C.chunk[c] = 0
        if ((C.prefillLeft[c] -= chunk) > 0) break
        B.pfHead[r] = head + 1 === cap ? 0 : head + 1
        B.pfN[r]--
        // Prompt finished: this step emitted a token (the first, unless a preempted call was recomputed).
        if (C.gen[c]++ === 0) C.firstTokenS[c] = now
        counters.outputTokens++
        counters.sOutTokens++
        C.join[c] = done
        C.doneAt[c] = done + C.output[c] - C.gen[c]
        B.decoding[r] = heapPush(B.decodeHeap, off, B.decoding[r], c, C.doneAt)
        if (this.kv.paged[r] === 1) this.kv.index.add(r, C.ctx[c], done)
        B.context[r] += C.ctx[c] + 1
      }
      B.minDone[r] = B.decoding[r] > 0 ? C.doneAt[B.decodeHeap[off]] : Number.POSITIVE_INFINITY
    }
    if (phase !== PH_KICK && B.minDone[r] <= B.stepsDone[r]) this.completeFinished(r)
    if (this.queue.size > 0) this.queue.drain()
    this.startStep(r, pool)
  }

  /** Finish the sequences whose last token was produced (the heap's top while it is due). */
  private completeFinished(r: number): void {
    const B = this.state
    const C = this.calls
    const off = B.seqOff[r]
    const done = B.stepsDone[r]
    const kv = this.kv
    const p = this.replicas.pool[r]
    const now = this.sim.now
    while (B.decoding[r] > 0) {
      const c = B.decodeHeap[off]
      if (C.doneAt[c] > done) break
      B.decoding[r] = heapPop(B.decodeHeap, off, B.decoding[r], C.doneAt)
      B.context[r] -= C.prompt[c] + C.output[c]
      if (kv.paged[r] === 1) {
        // Its KV holds its context at the last decode step: what it was prefilled with, one per step.
        kv.index.remove(r, C.ctx[c], C.join[c])
        kv.give(r, p, now, kv.blockTokensOf(r, C.ctx[c] + done - C.join[c]))
      } else {
        kv.give(r, p, now, C.prompt[c] + C.output[c])
      }
      this.books.bookCall(c, r)
      this.router.addOutstanding(r, -1)
      this.flow.completeCall(c, r)
    }
    B.minDone[r] = B.decoding[r] > 0 ? C.doneAt[B.decodeHeap[off]] : Number.POSITIVE_INFINITY
  }

  /** Start the replica's next step: a prefill step if prompts wait, else a decode run, else idle. */
  private startStep(r: number, pool: LlmPoolConfig): void {
    const now = this.sim.now
    const s = pool.serving
    const B = this.state
    const p = this.replicas.pool[r]
    // Paged KV: make room for the next step's new blocks (preempting), then take back preempted calls.
    let stepTokens = 0
    if (this.kv.paged[r] === 1) stepTokens = this.paged.makeRoomForStep(r)
    const n = B.pfN[r]
    const decoding = B.decoding[r]
    if (n > 0) {
      // Chunked prefill: decoding sequences take one token each of the step's token budget; the
      // rest goes to prompts in admission order.
      const C = this.calls
      let budget = s.maxBatchTokens - decoding
      if (budget < 1) budget = 1
      let prefill = 0
      const off = B.seqOff[r]
      const cap = this.replicas.cap[r]
      let at = B.pfHead[r]
      // A prompt whose start came from the prefix cache attends to it: its cached and already
      // prefilled tokens are read like a decoding sequence's context.
      let cachedContext = 0
      for (let i = 0; i < n && budget > 0; i++) {
        const c = B.pfRing[off + at]
        if (++at === cap) at = 0
        const left = C.prefillLeft[c]
        const chunk = left < budget ? left : budget
        C.chunk[c] = chunk
        budget -= chunk
        prefill += chunk
        if (C.hit[c] > 0) cachedContext += C.ctx[c] - left
      }
      if (stepTokens > 0) this.kv.take(r, p, now, stepTokens)
      this.books.setLevel(r, 1)
      B.phase[r] = PH_PREFILL
      this.sim.schedule(now + s.stepTimeS(prefill, decoding, B.context[r] + cachedContext) * this.replicas.slow[r], EV_STEP, r, ++B.gen[r])
    } else if (decoding > 0) {
      let k = B.minDone[r] - B.stepsDone[r]
      // Paged: run only as far as the free blocks last; the boundary there preempts.
      if (this.kv.paged[r] === 1) k = this.kv.startRun(r, p, now, B.stepsDone[r], k, decoding)
      this.books.setLevel(r, 1)
      B.phase[r] = PH_DECODE
      B.runStart[r] = now
      B.runK[r] = k
      B.runBooked[r] = 0
      this.sim.schedule(now + s.decodeRunTimeS(k, decoding, B.context[r]) * this.replicas.slow[r], EV_STEP, r, ++B.gen[r])
    } else {
      this.books.setLevel(r, 0)
      B.phase[r] = PH_IDLE
    }
  }

  /** Empty replica r's batch and KV (its calls were taken back); its pending step event is void. */
  clear(r: number): void {
    this.kv.clear(r, this.replicas.pool[r], this.sim.now)
    this.state.clear(r)
  }

  /** Count, in this sample, the tokens of the steps of r's decode run done by `now` (not when the run ends). */
  bookRunTokens(r: number, now: number): void {
    const B = this.state
    if (B.phase[r] !== PH_DECODE) return
    const serving = (this.pools[this.replicas.pool[r]] as LlmPoolConfig).serving
    const elapsed = now - B.runStart[r]
    const n = B.decoding[r]
    const ctx = B.context[r]
    // Largest j in [booked, k] with decodeRunTimeS(j) ≤ elapsed.
    let lo = B.runBooked[r]
    let hi = B.runK[r]
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2)
      if (serving.decodeRunTimeS(mid, n, ctx) * this.replicas.slow[r] <= elapsed) lo = mid
      else hi = mid - 1
    }
    this.counters.sOutTokens += n * (lo - B.runBooked[r])
    B.runBooked[r] = lo
  }
}
