/**
 * What the step-cost model predicts for one public measurement, modelled as what was measured:
 *   static  — one batch: a prefill step of the whole batch, then osl − 1 decode steps (closed form);
 *   offline — a saturated server: the steady state of continuous batching with the KV cache full
 *             (analytic here; checked against the simulator by src/calibrate/public-sim-check.ts).
 */
import type {PublicRow} from './public-data.js'
import type {RooflineCost} from './roofline.js'
import type {ReplicaShape} from './shape.js'

export interface RowPrediction {
  /** Predicted and measured throughput (tokens/s, the kind the row reports). */
  predTokS: number
  measTokS: number
  /** Per-output-token latency (s), where the row measured a latency. */
  predLatS?: number
  measLatS?: number
}

/** Seconds for one static batch of `batch` prompts of `isl` tokens generating `osl` tokens each. */
export function staticBatchS(cost: RooflineCost, isl: number, osl: number, batch: number): number {
  const prefill = cost.step(isl * batch, batch, true, (batch * isl * (isl + 1)) / 2, 0)
  // The prefill produced the first output token; each of the osl − 1 decode steps reads the
  // batch's whole context, which starts at isl + 1 per sequence.
  return prefill + cost.decodeRun(osl - 1, batch, batch * (isl + 1))
}

/** Sequences a saturated replica runs at once: the KV cache full, or the engine's batch limit. */
export function steadyBatch(shape: ReplicaShape, isl: number, osl: number): number {
  // Paged allocation holds each sequence's current context (isl + osl/2 on average over its life);
  // reserving admission holds its whole final length.
  const perSeq = shape.kvAdmission === 'paged' ? isl + osl / 2 : isl + osl
  return Math.max(1, Math.min(shape.maxBatchSeqs, Math.floor(shape.kvCacheTokens / perSeq)))
}

/**
 * Output tokens/s of a saturated replica (identical requests, continuous batching). Over one
 * generation B sequences each prefill isl tokens and decode osl; the prefill rides along the decode
 * steps (in-flight batching mixes them), and when the token budget cannot hold a generation's
 * tokens in osl steps the generation takes more steps.
 */
export function steadyStateOutputTokS(shape: ReplicaShape, cost: RooflineCost, isl: number, osl: number): number {
  const b = steadyBatch(shape, isl, osl)
  const tokens = b * (isl + osl)
  const steps = Math.max(osl, Math.ceil(tokens / shape.maxBatchTokens))
  const prefillPerStep = (b * isl) / steps
  const decodePerStep = (b * osl) / steps
  const ctx = decodePerStep * (isl + osl / 2)
  // A prefill chunk attends on average to half of its prompt.
  const pairs = (prefillPerStep * (isl + 1)) / 2 + ctx
  const step = cost.step(prefillPerStep + decodePerStep, decodePerStep + (prefillPerStep > 0 ? b / osl : 0), prefillPerStep > 0, pairs, ctx)
  return (b * osl) / (steps * step)
}

export function predictRow(row: PublicRow, shape: ReplicaShape, cost: RooflineCost): RowPrediction {
  if (row.kind === 'static') {
    const t = staticBatchS(cost, row.isl, row.osl, row.batch)
    const tokens = row.batch * (row.isl + row.osl)
    return {predTokS: tokens / t, measTokS: tokens / row.e2eS!, predLatS: t / row.osl, measLatS: row.e2eS! / row.osl}
  }
  return {predTokS: steadyStateOutputTokS(shape, cost, row.isl, row.osl), measTokS: row.outputTokS!}
}

/** Why a row is not a test of the step-cost model, or undefined. */
export function rowExclusion(row: PublicRow, shape: ReplicaShape): string | undefined {
  if (row.kind === 'static' && row.batch * (row.isl + row.osl) > shape.kvCacheTokens) {
    return 'static batch larger than the KV cache (the engine preempts: a capacity effect, SOURCES.md caveat 5)'
  }
  if (row.kind === 'static' && row.batch > shape.maxBatchSeqs && row.engine === 'vllm') return 'batch above max_num_seqs'
  return undefined
}
