/**
 * The roofline step-cost model: one engine iteration (continuous batching, as vLLM runs it) costs
 *
 *   overhead + all-reduce + combine(compute, memory)
 *
 * compute = matmul FLOPs of every token in the step / (TP × peak × computeEff)
 *         + attention FLOPs of every (query, key) pair / (TP × peak × attentionEff)
 * memory  = (weight bytes + KV bytes read for the decode contexts) / TP / (HBM bandwidth × memEff)
 * all-reduce = 2 per layer when TP > 1: latency log2(TP) stages × allReduceLatencyS, plus the
 *              ring's 2(TP − 1)/TP × activation bytes over the intra-node link × commEff
 * overhead = per step + per sequence in the step + extra when the step prefills (vLLM replays decode
 *            steps as CUDA graphs but runs prefill eagerly)
 * combine = max (the kernels overlap compute and memory traffic) or sum, whichever calibrates better
 *           (calibrate.ts fits both and keeps the better one per GPU).
 *
 * Every term is linear in the decode context, so a run of decode steps has a closed form.
 */
import type {ServingProfile} from '../types.js'
import type {LlmDerived} from './llm.js'
import type {CostFactors} from './schema.js'

export interface RooflineHardware {
  denseTflops: number
  hbmBandwidthGBs: number
  interconnectGBs: number
}

export interface RooflineModel {
  derived: LlmDerived
  layers: number
  hiddenSize: number
  kvHeads: number
}

/** Constants of one (model, GPU, TP, factors) combination, precomputed so a step costs a few flops. */
export class RooflineCost {
  /** Seconds per token of matmul work. */
  readonly matmulSPerToken: number
  /** Seconds per (query, key) attention pair. */
  readonly attnSPerPair: number
  /** Seconds to stream one GPU's share of the weights. */
  readonly weightReadS: number
  /** Seconds to read one token of KV cache (one GPU's share). */
  readonly kvReadSPerToken: number
  /** Fixed per-step seconds: CPU/scheduler overhead plus all-reduce latency. */
  readonly fixedS: number
  readonly seqOverheadS: number
  readonly prefillOverheadS: number
  /** All-reduce transfer seconds per token in the step. */
  readonly commSPerToken: number
  readonly combineMax: boolean
  /** KV bytes per token on one GPU (KV heads are split across TP ranks, replicated when fewer). */
  readonly kvBytesPerTokenPerGpu: number

  constructor(model: RooflineModel, hw: RooflineHardware, tp: number, f: CostFactors) {
    const peak = hw.denseTflops * 1e12 * tp
    const d = model.derived
    this.matmulSPerToken = (2 * d.matmulParams) / (peak * f.computeEff)
    this.attnSPerPair = d.attentionFlopsPerPair / (peak * f.attentionEff)
    const bw = hw.hbmBandwidthGBs * 1e9 * f.memEff
    this.weightReadS = d.weightBytes / tp / bw
    const kvHeadsPerGpu = Math.max(1, model.kvHeads / tp)
    this.kvBytesPerTokenPerGpu = (d.kvBytesPerToken / model.kvHeads) * kvHeadsPerGpu
    this.kvReadSPerToken = this.kvBytesPerTokenPerGpu / bw
    const allReduces = 2 * model.layers
    this.fixedS = f.stepOverheadS + (tp > 1 ? allReduces * Math.log2(tp) * f.allReduceLatencyS : 0)
    this.seqOverheadS = f.seqOverheadS
    this.prefillOverheadS = f.prefillOverheadS
    // Activations are BF16 (2 bytes per element) in the all-reduce.
    this.commSPerToken = tp > 1 ? (allReduces * model.hiddenSize * 2 * ((2 * (tp - 1)) / tp)) / (hw.interconnectGBs * 1e9 * f.commEff) : 0
    this.combineMax = f.combine === 'max'
  }

  /**
   * One step: `tokens` new tokens (prefill tokens plus one per decoding sequence) of `seqs`
   * sequences, `prefill` whether any are prompt tokens, `attnPairs` (query, key) pairs of attention,
   * `kvTokensRead` tokens of KV cache streamed from HBM.
   */
  step(tokens: number, seqs: number, prefill: boolean, attnPairs: number, kvTokensRead: number): number {
    if (tokens <= 0) return 0
    const compute = tokens * this.matmulSPerToken + attnPairs * this.attnSPerPair
    const memory = this.weightReadS + kvTokensRead * this.kvReadSPerToken
    const core = this.combineMax ? (compute > memory ? compute : memory) : compute + memory
    return this.fixedS + seqs * this.seqOverheadS + (prefill ? this.prefillOverheadS : 0) + tokens * this.commSPerToken + core
  }

  /**
   * Exact sum of `steps` decode-only steps of `seqs` sequences whose total context is `context` at
   * the first step and grows by `seqs` per step. Each step is c + max(a₁ + b₁k, a₂ + b₂k) (or the
   * sum): the max switches side at most once, so the sum splits there into two arithmetic series.
   */
  decodeRun(steps: number, seqs: number, context: number): number {
    if (steps <= 0 || seqs <= 0) return 0
    const fixed = this.fixedS + seqs * (this.commSPerToken + this.seqOverheadS)
    const ac = seqs * this.matmulSPerToken + context * this.attnSPerPair
    const bc = seqs * this.attnSPerPair
    const am = this.weightReadS + context * this.kvReadSPerToken
    const bm = seqs * this.kvReadSPerToken
    let core: number
    if (!this.combineMax) {
      core = arithmeticSum(ac + am, bc + bm, 0, steps)
    } else if (bc === bm) {
      core = arithmeticSum(ac >= am ? ac : am, bc, 0, steps)
    } else {
      // compute(k) >= memory(k)  <=>  (bc − bm)·k >= am − ac
      const cross = (am - ac) / (bc - bm)
      const split = Math.min(steps, Math.max(0, Math.ceil(cross)))
      // Below `split` one side leads, from `split` on the other.
      const lowIsCompute = bc < bm
      core = lowIsCompute
        ? arithmeticSum(ac, bc, 0, split) + arithmeticSum(am, bm, split, steps)
        : arithmeticSum(am, bm, 0, split) + arithmeticSum(ac, bc, split, steps)
    }
    return steps * fixed + core
  }
}

/** Σ_{k=k0}^{k1−1} (a + b·k). */
function arithmeticSum(a: number, b: number, k0: number, k1: number): number {
  const n = k1 - k0
  if (n <= 0) return 0
  return n * a + (b * (k0 + k1 - 1) * n) / 2
}

export interface RooflineProfileInit {
  id: string
  model: string
  gpu: string
  tensorParallel: number
  kvCacheTokens: number
  maxBatchSeqs: number
  maxBatchTokens: number
  coldStartS: number
  pricePerHourUsd: number
  cost: RooflineCost
}

/** A ServingProfile backed by the roofline cost model. Pure and allocation-free on the hot path. */
export class RooflineServingProfile implements ServingProfile {
  readonly id: string
  readonly model: string
  readonly gpu: string
  readonly tensorParallel: number
  readonly gpusPerReplica: number
  readonly kvCacheTokens: number
  readonly maxBatchSeqs: number
  readonly maxBatchTokens: number
  readonly coldStartS: number
  readonly pricePerHourUsd: number
  readonly cost: RooflineCost

  constructor(init: RooflineProfileInit) {
    this.id = init.id
    this.model = init.model
    this.gpu = init.gpu
    this.tensorParallel = init.tensorParallel
    this.gpusPerReplica = init.tensorParallel
    this.kvCacheTokens = init.kvCacheTokens
    this.maxBatchSeqs = init.maxBatchSeqs
    this.maxBatchTokens = init.maxBatchTokens
    this.coldStartS = init.coldStartS
    this.pricePerHourUsd = init.pricePerHourUsd
    this.cost = init.cost
  }

  /**
   * The prefill tokens of a step are taken as one sequence's causal chunk (n(n+1)/2 attention
   * pairs), the conservative reading when only their sum is known; `prefillTimeS` takes the split.
   */
  stepTimeS(prefillTokens: number, decodeSeqs: number, decodeContextTokens: number): number {
    const prefill = prefillTokens > 0
    const pairs = (prefillTokens * (prefillTokens + 1)) / 2 + decodeContextTokens
    return this.cost.step(prefillTokens + decodeSeqs, decodeSeqs + (prefill ? 1 : 0), prefill, pairs, decodeContextTokens)
  }

  /** One step that prefills `batch` prompts of `promptTokens` each (no decoding sequences). */
  prefillTimeS(promptTokens: number, batch = 1): number {
    return this.cost.step(promptTokens * batch, batch, true, (batch * promptTokens * (promptTokens + 1)) / 2, 0)
  }

  decodeRunTimeS(steps: number, seqs: number, contextTokens: number): number {
    return this.cost.decodeRun(steps, seqs, contextTokens)
  }
}
