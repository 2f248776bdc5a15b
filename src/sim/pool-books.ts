/**
 * The per-pool books a report's cost, utilization and token figures come from: calls and tokens
 * served, replica-seconds billed, busy seconds, calls in flight × seconds, prefix-cache hits and
 * preemptions. Time integrals are kept lazily: a replica's busy level since it last changed, a call's
 * time in flight when it leaves its replica.
 */
import type {Simulation} from '../engine/simulation.js'
import type {CallTable} from './calls.js'
import type {KvManager} from './kv-manager.js'
import type {ReplicaTable} from './replica-table.js'

/** Per-pool totals kept during a run. */
export interface PoolTotals {
  callsServed: number
  inputTokens: number
  outputTokens: number
  /** Replica-seconds spent stepping (LLM) or busy-slot fraction × seconds (generic). */
  busyReplicaS: number
  /** KV tokens held × seconds (LLM). */
  kvTokenS: number
  /** Replica-seconds the pool existed (ready or not). */
  replicaS: number
  /** Calls in flight × seconds, summed over the pool's replicas. */
  inFlightS: number
  /** Prompt tokens served from the prefix cache instead of prefilled (LLM pools with prefixCache). */
  prefixHitTokens: number
  /** Cached contexts evicted (to make room for new calls) before their task's next call came. */
  prefixEvictions: number
  /** Sequences preempted because the paged KV cache was full (recompute). */
  preemptions: number
  /** KV tokens thrown away by those preemptions (computed again on resume). */
  recomputedTokens: number
}

export class PoolBooks {
  readonly calls: Float64Array
  readonly inTokens: Float64Array
  readonly outTokens: Float64Array
  /** Replica-seconds busy: an LLM replica stepping, a generic replica's busy slots / slots. */
  readonly busyS: Float64Array
  readonly replicaS: Float64Array
  readonly inFlightS: Float64Array
  readonly prefixHits: Float64Array
  readonly prefixEvictions: Float64Array
  readonly preemptions: Float64Array
  readonly recomputed: Float64Array
  /** Preemptions since the last time-series sample. */
  readonly preemptionsSinceSample: Float64Array

  constructor(
    pools: number,
    private readonly sim: Simulation,
    private readonly replicas: ReplicaTable,
    private readonly callTable: CallTable,
    private readonly kv: KvManager,
    private readonly isLlm: boolean,
  ) {
    this.calls = new Float64Array(pools)
    this.inTokens = new Float64Array(pools)
    this.outTokens = new Float64Array(pools)
    this.busyS = new Float64Array(pools)
    this.replicaS = new Float64Array(pools)
    this.inFlightS = new Float64Array(pools)
    this.prefixHits = new Float64Array(pools)
    this.prefixEvictions = new Float64Array(pools)
    this.preemptions = new Float64Array(pools)
    this.recomputed = new Float64Array(pools)
    this.preemptionsSinceSample = new Float64Array(pools)
  }

  /** Replica r's busy level changes now (LLM: 1 while stepping; 0 idle or gone). */
  setLevel(r: number, level: number): void {
    const R = this.replicas
    const now = this.sim.now
    const busy = R.level[r] * (now - R.levelSince[r])
    this.busyS[R.pool[r]] += busy
    R.busyS[r] += busy
    R.level[r] = level
    R.levelSince[r] = now
  }

  /**
   * Call c leaves replica r now (it completed, or was taken back): book its time in flight to the
   * pool and, on a generic replica (busy = calls running / slots), its share of busy time.
   */
  bookCall(c: number, r: number): void {
    const R = this.replicas
    const d = this.callTable.dispatchS[c]
    const inFlight = this.sim.now - d
    const p = R.pool[r]
    this.inFlightS[p] += inFlight
    R.dispSum[r] -= d
    if (!this.isLlm) {
      const busy = inFlight / R.cap[r]
      this.busyS[p] += busy
      R.busyS[r] += busy
    }
  }

  /** Seconds in flight so far of the calls running on replica r, not booked yet. */
  unbookedS(r: number): number {
    return this.replicas.out[r] * this.sim.now - this.replicas.dispSum[r]
  }

  /** Seconds replica r has spent busy (stepping, or slot-fraction busy) up to now. */
  replicaBusyS(r: number): number {
    const R = this.replicas
    if (!this.isLlm) return R.busyS[r] + this.unbookedS(r) / R.cap[r]
    return R.busyS[r] + R.level[r] * (this.sim.now - R.levelSince[r])
  }

  /** Close every replica's books at now (the run's end): busy time, KV held, calls still running, replica-seconds. */
  close(): void {
    const R = this.replicas
    const now = this.sim.now
    for (let r = 0; r < R.n; r++) {
      this.setLevel(r, R.level[r])
      if (this.isLlm) this.kv.note(r, R.pool[r], now)
      // Calls still running (a run cut at its duration): book their time so far.
      const p = R.pool[r]
      const unbooked = this.unbookedS(r)
      this.inFlightS[p] += unbooked
      if (!this.isLlm) {
        this.busyS[p] += unbooked / R.cap[r]
        R.busyS[r] += unbooked / R.cap[r]
      }
      R.dispSum[r] = R.out[r] * now
      this.replicaS[R.pool[r]] += Math.min(now, R.goneAt[r]) - R.bornAt[r]
    }
  }

  /** Per-pool totals so far (replicaS is filled in by close()). */
  totals(): PoolTotals[] {
    return Array.from(this.calls, (_, p) => ({
      callsServed: this.calls[p],
      inputTokens: this.inTokens[p],
      outputTokens: this.outTokens[p],
      busyReplicaS: this.busyS[p],
      kvTokenS: this.kv.poolTokenS[p],
      replicaS: this.replicaS[p],
      inFlightS: this.inFlightS[p],
      prefixHitTokens: this.prefixHits[p],
      prefixEvictions: this.prefixEvictions[p],
      preemptions: this.preemptions[p],
      recomputedTokens: this.recomputed[p],
    }))
  }
}
