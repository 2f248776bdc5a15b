/**
 * Contracts of the fleet model: GPU profiles (hardware facts with sources), serving profiles (a model
 * served on a GPU type at a tensor-parallel degree) and the step-cost model the simulator charges.
 */

/** A number together with where it came from: vendor data sheet, paper, benchmark, price list. */
export interface Sourced<T = number> {
  value: T
  source: string
}

export interface GpuProfile {
  /** Canonical name, e.g. "A100-80GB". */
  name: string
  aliases: string[]
  memoryGiB: Sourced
  hbmBandwidthGBs: Sourced
  /** Dense (not sparse) BF16/FP16 tensor-core peak. */
  denseBf16Tflops: Sourced
  powerW: Sourced
  pricePerHourUsd: Sourced
  /** Node label value (nvidia.com/gpu.product) for manifests. */
  productLabel?: string
}

/**
 * Cost of engine iterations on one replica (continuous batching, iteration-level, as vLLM does).
 * One step prefills some prompt tokens and decodes one token for each running sequence.
 * Implementations must be pure and cheap: the simulator calls them inside its hot loop.
 */
export interface StepCostModel {
  /**
   * Seconds for one step that prefills `prefillTokens` prompt tokens and decodes one token for each of
   * `decodeSeqs` sequences whose contexts add up to `decodeContextTokens`.
   */
  stepTimeS(prefillTokens: number, decodeSeqs: number, decodeContextTokens: number): number
  /**
   * Exact total seconds of `steps` consecutive decode-only steps with `seqs` sequences whose total
   * context is `contextTokens` at the first step and grows by `seqs` each step. Closed form, so the
   * simulator needs no event per generated token.
   */
  decodeRunTimeS(steps: number, seqs: number, contextTokens: number): number
}

/** What stands behind a profile's step costs. */
export type ProfileStatus =
  /** This GPU, engine and precision have fitted rows (models/serving.yaml publicCalibration.fits). */
  | 'measured'
  /** Factors carried from another GPU, engine or precision (statusBasis says which). */
  | 'transferred'
  /** The roofline on start factors: no fit behind it at all. */
  | 'roofline'

/**
 * Uncertainty of a profile's step times: multipliers on step time at the band's edges. `slow` ≥ 1 is
 * the pessimistic edge, `fast` ≤ 1 the optimistic one; `coverage` the share of held-out measurements
 * the band held (nominally 0.8: the 10th to 90th percentile of measured/predicted time).
 */
export interface ProfileBand {
  slow: number
  fast: number
  coverage: number
  basis: string
}

export interface ServingProfile extends StepCostModel {
  /** e.g. "llama-3.1-8b@A100-80GB:tp1". */
  id: string
  model: string
  gpu: string
  tensorParallel: number
  /** GPUs one replica occupies (= tensorParallel). */
  gpusPerReplica: number
  /** KV-cache budget in tokens: (memory × utilization − weights − activations) / KV bytes per token. */
  kvCacheTokens: number
  /** Largest number of sequences in one batch (vLLM max_num_seqs). */
  maxBatchSeqs: number
  /** Largest number of tokens one step may process (vLLM max_num_batched_tokens; chunked prefill). */
  maxBatchTokens: number
  /** Seconds from a ready node to a ready replica: image pull excluded, model load included. */
  coldStartS: number
  /** Price of one replica per hour (GPU price × GPUs per replica). */
  pricePerHourUsd: number
  status: ProfileStatus
  /** What the status rests on: the fit's group and rows, or where transferred factors come from. */
  statusBasis: string
  band: ProfileBand
}
