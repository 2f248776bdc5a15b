/**
 * Fast analytic bounds on a fleet, used to prune candidates before simulation and as the whole answer
 * with --fast. Per serving profile: the throughput of a replica at its KV- or batch-limited batch size
 * from the step-cost model; per fleet: an M/M/c queue (Erlang C) whose servers are the batch slots,
 * with the Allen–Cunneen correction for the service-time variability.
 */
import type {ServingProfile} from '../fleet/types.js'
import type {WorkloadStats} from './workload.js'

export interface ReplicaCapacity {
  /** Sequences one replica runs at once: min(max_num_seqs, KV tokens / (prompt + output)). */
  batch: number
  /** Seconds a call holds a batch slot when the batch is full (its share of decode and prefill steps). */
  slotTimeS: number
  /** Calls per second one replica completes at a full batch. */
  callsPerS: number
  /** Seconds per output token at a full batch. */
  tpotFullS: number
  /** Seconds per output token alone in the batch. */
  tpotAloneS: number
  /** Seconds to prefill a p95 prompt with a full batch decoding alongside. */
  prefillP95S: number
  /** Prompt tokens per second while prompts wait (every step a full prefill chunk), at a given batch. */
  prefillTokensPerS: (batch: number) => number
}

/** Throughput of one replica of `profile` on this workload's token mix. */
export function replicaCapacity(profile: ServingProfile, w: WorkloadStats): ReplicaCapacity {
  const P = Math.max(1, w.meanInputTokens)
  const O = Math.max(1, w.meanOutputTokens)
  // Admission reserves prompt + all output tokens in the KV cache (as the simulator does).
  const batch = Math.max(1, Math.min(profile.maxBatchSeqs, Math.floor(profile.kvCacheTokens / (P + O))))
  const ctx = batch * (P + O / 2)
  const decodeS = profile.decodeRunTimeS(O, batch, ctx)
  // Chunked prefill shares steps with decodes: charge the marginal cost of the prompt tokens.
  const chunk = Math.max(1, profile.maxBatchTokens - batch)
  const perChunk = Math.max(0, profile.stepTimeS(chunk, batch, ctx) - profile.stepTimeS(0, batch, ctx))
  // Prompt tokens a call computes: less what the prefix cache holds (WorkloadStats.meanPrefixHitTokens).
  const prefillS = ((batch * Math.max(1, P - w.meanPrefixHitTokens)) / chunk) * perChunk
  const cycleS = decodeS + prefillS
  const p95Chunks = Math.ceil(Math.max(1, w.p95InputTokens) / chunk)
  return {
    batch,
    slotTimeS: cycleS,
    callsPerS: batch / cycleS,
    tpotFullS: decodeS / O,
    tpotAloneS: profile.decodeRunTimeS(O, 1, P + O / 2) / O,
    prefillP95S: p95Chunks * profile.stepTimeS(Math.min(chunk, w.p95InputTokens), batch, ctx),
    prefillTokensPerS: (b) => {
      const c = Math.max(1, profile.maxBatchTokens - b)
      return c / profile.stepTimeS(c, b, b * (P + O / 2))
    },
  }
}

/** Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = λ/μ (erlangs). */
export function erlangC(c: number, a: number): number {
  if (a <= 0) return 0
  if (a >= c) return 1
  // Erlang B by its stable recursion, then C from B.
  let b = 1
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b)
  const rho = a / c
  return b / (1 - rho + rho * b)
}

export interface FleetEstimate {
  /** Offered load / capacity at the sized peak. */
  utilization: number
  /** Probability a call waits for a batch slot. */
  waitProbability: number
  /** 95th percentile of the wait for a slot, seconds (Allen–Cunneen corrected). */
  waitP95S: number
  ttftP95S: number
  tpotS: number
  /** One call's mean end-to-end latency, seconds. */
  callE2eS: number
  /** A task's mean end-to-end latency (calls in sequence with think time), seconds. */
  taskE2eS: number
  /** Rough p95 of the task latency: a p95-long chain of mean-latency calls. */
  taskE2eP95S: number
}

export interface PoolCapacity {
  replicas: number
  capacity: ReplicaCapacity
}

/** Queueing estimate for a fleet (one or more pools sharing one queue) at the workload's peak rate. */
export function estimateFleet(pools: readonly PoolCapacity[], w: WorkloadStats): FleetEstimate {
  const lambda = w.callRatePerS
  let slots = 0
  let rate = 0
  let prefill = 0
  // Prompts wait for prefill inside their replica (chunked prefill, admission order): per pool an
  // M/G/1 queue of prompt work (Pollaczek–Khinchine), the replica's whole step blocked per chunk.
  let pfWaitP95 = 0
  let pfShare = 0
  let tpotFull = 0
  let tpotAlone = 0
  for (const p of pools) {
    slots += p.replicas * p.capacity.batch
    rate += p.replicas * p.capacity.callsPerS
    // Weight per-call figures by the share of calls the pool serves (its capacity).
    const share = p.replicas * p.capacity.callsPerS
    prefill += share * p.capacity.prefillP95S
    tpotFull += share * p.capacity.tpotFullS
    tpotAlone += share * p.capacity.tpotAloneS
  }
  if (rate <= 0 || slots <= 0) return infeasible()
  const rhoAll = lambda / rate
  for (const p of pools) {
    if (p.replicas <= 0) continue
    const lambdaR = (lambda * p.capacity.callsPerS) / rate
    const inflight = Math.min(p.capacity.batch, Math.max(1, rhoAll * p.capacity.batch))
    const tokPerS = p.capacity.prefillTokensPerS(inflight)
    const rhoPf = (lambdaR * w.meanInputTokens) / tokPerS
    if (rhoPf >= 1) return {...infeasible(), utilization: Math.max(rhoAll, rhoPf)}
    const meanS = w.meanInputTokens / tokPerS
    const wait = (rhoPf / (1 - rhoPf)) * meanS * (1 + w.inputCv2) / 2
    const p95 = rhoPf > 0.05 ? (wait / rhoPf) * Math.log(rhoPf / 0.05) : 0
    const share = p.replicas * p.capacity.callsPerS
    pfWaitP95 = Math.max(pfWaitP95, p95)
    pfShare += share
  }
  void pfShare
  prefill /= rate
  tpotFull /= rate
  tpotAlone /= rate
  const utilization = lambda / rate
  if (utilization >= 1) return {...infeasible(), utilization}
  const mu = rate / slots // per slot
  const c = Math.round(slots)
  const pw = erlangC(c, lambda / mu)
  const ac = (1 + w.outputCv2) / 2
  const tail = pw > 0.05 ? Math.log(pw / 0.05) / (c * mu - lambda) : 0
  const waitP95S = tail * ac
  const meanWait = (pw / (c * mu - lambda)) * ac
  // Decode speed degrades with the batch: interpolate between alone and full by utilization.
  const tpotS = tpotAlone + (tpotFull - tpotAlone) * utilization
  const ttftP95S = waitP95S + pfWaitP95 + prefill
  const callE2eS = meanWait + prefill / 2 + tpotS * w.meanOutputTokens
  const taskE2eS = w.callsPerTask * callE2eS + Math.max(0, w.callsPerTask - 1) * w.meanThinkS
  // Long chains make the slow tasks: the p95 chain length at the mean call latency.
  const longCalls = Math.max(w.callsPerTask, w.p95CallsPerTask)
  const taskE2eP95S = longCalls * callE2eS + Math.max(0, longCalls - 1) * w.meanThinkS
  return {utilization, waitProbability: pw, waitP95S, ttftP95S, tpotS, callE2eS, taskE2eS, taskE2eP95S}
}

function infeasible(): FleetEstimate {
  const inf = Number.POSITIVE_INFINITY
  return {utilization: inf, waitProbability: 1, waitP95S: inf, ttftP95S: inf, tpotS: inf, callE2eS: inf, taskE2eS: inf, taskE2eP95S: inf}
}
