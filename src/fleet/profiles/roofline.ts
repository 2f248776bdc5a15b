/**
 * The roofline step-cost model: one engine iteration (continuous batching, as vLLM runs it) costs
 *
 *   cpu + gpu     or, where the CPU work overlaps the GPU's (asynchronous launches), max(cpu, gpu)
 *   gpu = all-reduce + combine(compute, memory)
 *
 * compute = matmul FLOPs of every token in the step / (TP × peak × computeEff)
 *         + attention FLOPs of every (query, key) pair / (TP × peak × attentionEff)
 * memory  = (weight bytes + KV bytes read for the decode contexts) / TP / (HBM bandwidth × memEff)
 * all-reduce = 2 per layer when TP > 1: latency log2(TP) stages × allReduceLatencyS, plus the
 *              ring's 2(TP − 1)/TP × activation bytes over the intra-node link × commEff
 * (the prefill extra: vLLM replays decode steps as CUDA graphs but runs prefill eagerly)
 * combine = max (the kernels overlap compute and memory traffic) or sum
 * cpu = per step + per sequence in the step + extra when the step prefills
 * calibrate.ts fits every form ("max", "sum", "overlap" = max(cpu, all-reduce + max(compute, memory)))
 * and keeps the best per GPU.
 *
 * Every term is linear in the decode context, so a run of decode steps has a closed form.
 */
import type {ProfileBand, ProfileStatus, ServingProfile} from '../types.js'
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
  /** CPU/scheduler seconds per step. */
  readonly cpuFixedS: number
  /** All-reduce latency seconds per step. */
  readonly gpuFixedS: number
  readonly seqOverheadS: number
  readonly prefillOverheadS: number
  /** All-reduce transfer seconds per token in the step. */
  readonly commSPerToken: number
  readonly combineMax: boolean
  /** CPU time overlaps GPU time: a step costs max(cpu, gpu) instead of cpu + gpu. */
  readonly overlapCpu: boolean
  /** Multiplier on every step (CostFactors.timeScale). */
  readonly timeScale: number
  /** Scratch for decodeRun's upper envelope (no allocation per call). */
  private readonly la = new Float64Array(3)
  private readonly lb = new Float64Array(3)
  private readonly cuts = new Float64Array(5)
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
    this.cpuFixedS = f.stepOverheadS
    this.gpuFixedS = tp > 1 ? allReduces * Math.log2(tp) * f.allReduceLatencyS : 0
    this.seqOverheadS = f.seqOverheadS
    this.prefillOverheadS = f.prefillOverheadS
    // Activations are BF16 (2 bytes per element) in the all-reduce.
    this.commSPerToken = tp > 1 ? (allReduces * model.hiddenSize * 2 * ((2 * (tp - 1)) / tp)) / (hw.interconnectGBs * 1e9 * f.commEff) : 0
    this.combineMax = f.combine !== 'sum'
    this.overlapCpu = f.combine === 'overlap'
    this.timeScale = f.timeScale ?? 1
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
    const gpu = this.gpuFixedS + tokens * this.commSPerToken + (this.combineMax ? (compute > memory ? compute : memory) : compute + memory)
    const cpu = this.cpuFixedS + seqs * this.seqOverheadS + (prefill ? this.prefillOverheadS : 0)
    return (this.overlapCpu ? (cpu > gpu ? cpu : gpu) : cpu + gpu) * this.timeScale
  }

  /**
   * Exact sum of `steps` decode-only steps of `seqs` sequences whose total context is `context` at
   * the first step and grows by `seqs` per step. Every term is a line in the step index k, so a step
   * is a constant plus the upper envelope of at most three lines (CPU, compute, memory); the sum
   * splits where the leading line changes (at most twice) into arithmetic series.
   */
  decodeRun(steps: number, seqs: number, context: number): number {
    if (steps <= 0 || seqs <= 0) return 0
    const cpu = this.cpuFixedS + seqs * this.seqOverheadS
    const gpuFixed = this.gpuFixedS + seqs * this.commSPerToken
    const ac = seqs * this.matmulSPerToken + context * this.attnSPerPair
    const bc = seqs * this.attnSPerPair
    const am = this.weightReadS + context * this.kvReadSPerToken
    const bm = seqs * this.kvReadSPerToken
    const la = this.la
    const lb = this.lb
    let lines = 0
    if (this.combineMax) {
      la[0] = gpuFixed + ac
      lb[0] = bc
      la[1] = gpuFixed + am
      lb[1] = bm
      lines = 2
    } else {
      la[0] = gpuFixed + ac + am
      lb[0] = bc + bm
      lines = 1
    }
    let constant = 0
    if (this.overlapCpu) {
      la[lines] = cpu
      lb[lines] = 0
      lines++
    } else {
      constant = cpu
    }
    return (steps * constant + this.envelopeSum(lines, steps)) * this.timeScale
  }

  /** Σ_{k=0}^{n−1} max_i (la[i] + lb[i]·k) over the first `lines` lines, exactly. */
  private envelopeSum(lines: number, n: number): number {
    const la = this.la
    const lb = this.lb
    const cuts = this.cuts
    // Integer split points: ceil of every pairwise crossing inside (0, n).
    let m = 0
    cuts[m++] = 0
    for (let i = 0; i < lines; i++) {
      for (let j = i + 1; j < lines; j++) {
        if (lb[i] === lb[j]) continue
        const x = Math.ceil((la[j] - la[i]) / (lb[i] - lb[j]))
        if (x > 0 && x < n) cuts[m++] = x
      }
    }
    cuts[m++] = n
    // Insertion sort of at most five numbers.
    for (let i = 1; i < m; i++) {
      const v = cuts[i]
      let j = i - 1
      while (j >= 0 && cuts[j] > v) {
        cuts[j + 1] = cuts[j]
        j--
      }
      cuts[j + 1] = v
    }
    let total = 0
    for (let r = 0; r + 1 < m; r++) {
      const k0 = cuts[r]
      const k1 = cuts[r + 1]
      if (k1 <= k0) continue
      // Within [k0, k1) no crossing separates two integer points: the line leading at the middle
      // leads at every point of the range.
      const mid = (k0 + k1 - 1) / 2
      let best = 0
      let bestV = la[0] + lb[0] * mid
      for (let i = 1; i < lines; i++) {
        const v = la[i] + lb[i] * mid
        if (v > bestV) {
          bestV = v
          best = i
        }
      }
      total += arithmeticSum(la[best], lb[best], k0, k1)
    }
    return total
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
  status: ProfileStatus
  statusBasis: string
  band: ProfileBand
  /** How the engine admits KV (serving.yaml engines.*.kvAdmission): the simulator's default for the pool. */
  kvAdmission?: 'paged' | 'reserve'
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
  readonly status: ProfileStatus
  readonly statusBasis: string
  readonly band: ProfileBand
  readonly kvAdmission?: 'paged' | 'reserve'

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
    this.status = init.status
    this.statusBasis = init.statusBasis
    this.band = init.band
    if (init.kvAdmission !== undefined) this.kvAdmission = init.kvAdmission
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
