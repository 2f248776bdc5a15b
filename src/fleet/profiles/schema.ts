/**
 * Schemas of the three data files in models/ (gpus.yaml, llms.yaml, serving.yaml). Validated once at
 * load; the rest of the code trusts the parsed types.
 */
import {z} from 'zod'

const source = z.string().trim().min(1, 'every number needs a non-empty source')
export const sourcedNumber = z.strictObject({value: z.number().positive(), source})

export const gpuSchema = z.strictObject({
  name: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  productLabel: z.string().min(1).optional(),
  memoryGiB: sourcedNumber,
  hbmBandwidthGBs: sourcedNumber,
  denseBf16Tflops: sourcedNumber,
  powerW: sourcedNumber,
  /** $/GPU-hour with who charges it and when (prices from different providers are not one list). */
  pricePerHourUsd: z.strictObject({value: z.number().positive(), source, provider: z.string().trim().min(1), asOf: z.string().trim().min(1)}),
  /** One-way GPU-to-GPU bandwidth inside a node, for the tensor-parallel all-reduce. */
  interconnectGBs: sourcedNumber,
  /** GPU generation and CUDA compute capability (sm_XY): what decides the precisions an engine runs on it. */
  architecture: z.strictObject({
    name: z.enum(['Volta', 'Turing', 'Ampere', 'Ada', 'Hopper', 'Blackwell']),
    computeCapability: z.number().min(1).max(20),
    source,
  }),
  /** Dense low-precision tensor-core peaks, where the GPU has such tensor cores (absent = none). */
  denseFp8Tflops: sourcedNumber.optional(),
  denseFp4Tflops: sourcedNumber.optional(),
  denseInt8Tops: sourcedNumber.optional(),
})
export const gpusFileSchema = z.strictObject({gpus: z.array(gpuSchema).min(1)})
export type GpuSpec = z.infer<typeof gpuSchema>

export const llmSchema = z.strictObject({
  name: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  source,
  statedParamsB: sourcedNumber,
  layers: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  intermediateSize: z.number().int().positive(),
  attentionHeads: z.number().int().positive(),
  kvHeads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  vocabSize: z.number().int().positive(),
  mlpMatrices: z.union([z.literal(2), z.literal(3)]),
  tiedEmbeddings: z.boolean(),
  maxContextTokens: z.number().int().positive(),
  bytesPerParam: z.number().positive(),
})
export const llmsFileSchema = z.strictObject({models: z.array(llmSchema).min(1)})
export type LlmSpec = z.infer<typeof llmSchema>

const positiveSourced = sourcedNumber
const fraction = z.number().gt(0).lte(1)

/** The roofline's de-rating factors and overheads for one GPU type, as fitted by calibrate.ts. */
export const costFactorsSchema = z.strictObject({
  computeEff: fraction,
  attentionEff: fraction,
  memEff: fraction,
  /** Achieved fraction of the intra-node link bandwidth in the all-reduce. */
  commEff: fraction,
  /** CPU/scheduler seconds per step (BLIS β7), per sequence in the step (β6), extra per prefill step. */
  stepOverheadS: z.number().nonnegative(),
  seqOverheadS: z.number().nonnegative(),
  prefillOverheadS: z.number().nonnegative(),
  /** Latency of one all-reduce per log2(TP) stage. */
  allReduceLatencyS: z.number().nonnegative(),
  combine: z.enum(['max', 'sum', 'overlap']),
  /** Multiplier on every step's time: the V100 tie to A100 through same-harness ratios (default 1). */
  timeScale: z.number().positive().optional(),
})
export type CostFactors = z.infer<typeof costFactorsSchema>

export const errorStatsSchema = z.strictObject({
  rows: z.number().int().nonnegative(),
  medianAbsPct: z.number().nonnegative(),
  p90AbsPct: z.number().nonnegative(),
  maxAbsPct: z.number().nonnegative(),
})

export const gpuCalibrationSchema = z.strictObject({
  gpu: z.string().min(1),
  /** Where the factors come from: a fit (with its data) or another GPU's fit carried over. */
  method: z.string().min(1),
  factors: costFactorsSchema,
  fittedOn: z.string().optional(),
  train: errorStatsSchema.optional(),
  heldOut: errorStatsSchema.optional(),
})

export const profileErrorSchema = z.strictObject({
  profile: z.string(),
  rows: z.number().int().nonnegative(),
  medianAbsPct: z.number().nonnegative(),
  p90AbsPct: z.number().nonnegative(),
  maxAbsPct: z.number().nonnegative(),
  prefillMedianAbsPct: z.number().nonnegative(),
  decodeMedianAbsPct: z.number().nonnegative(),
})

export const servingEntrySchema = z.strictObject({
  model: z.string().min(1),
  gpu: z.string().min(1),
  tensorParallel: z.array(z.number().int().positive()).min(1),
  maxBatchSeqs: z.number().int().positive().optional(),
  maxBatchTokens: z.number().int().positive().optional(),
})

/** The lowest compute capability an engine runs a precision on, how, and where that is stated. */
const precisionSupportEntry = z.strictObject({minComputeCapability: z.number().min(1).max(20), how: z.string().min(1), source})
const precisionSupportSchema = z.strictObject({
  /** Weight precisions the engine runs (absent: not at all); keys are WEIGHT_PRECISIONS. */
  weights: z.partialRecord(z.enum(['fp16', 'fp8', 'int8', 'int4', 'fp4']), precisionSupportEntry),
  /** KV-cache precisions (absent: not at all); keys are KV_PRECISIONS. */
  kv: z.partialRecord(z.enum(['fp16', 'fp8', 'int8']), precisionSupportEntry),
})
export type PrecisionSupport = z.infer<typeof precisionSupportSchema>

/** One engine's scheduler and memory settings, each with its source. */
export const engineSpecSchema = z.strictObject({
  description: z.string().min(1),
  maxBatchSeqs: z.strictObject({value: z.number().int().positive(), source}),
  maxBatchTokens: z.strictObject({value: z.number().int().positive(), source}),
  /** of-total: all memory capped at the fraction (vLLM); of-free: KV gets the fraction of what is free after weights (TensorRT-LLM). */
  memoryMode: z.enum(['of-total', 'of-free']),
  memoryFraction: z.strictObject({value: fraction, source}),
  /** paged: KV blocks on demand (vLLM); reserve: a request's whole output reserved at admission (TensorRT-LLM GUARANTEED_NO_EVICT). */
  kvAdmission: z.strictObject({value: z.enum(['paged', 'reserve']), source}),
  /** Which weight and KV precisions the engine runs on which GPU architecture, with sources. */
  precisionSupport: precisionSupportSchema,
})
export type EngineSpec = z.infer<typeof engineSpecSchema>

export const bandSchema = z.strictObject({
  slow: z.number().gte(1),
  fast: z.number().gt(0).lte(1),
  coverage: fraction,
  basis: z.string().min(1),
})

export const groupStatsSchema = z.strictObject({
  rows: z.number().int().nonnegative(),
  throughputMedianAbsPct: z.number().nonnegative(),
  throughputP90AbsPct: z.number().nonnegative(),
  latencyRows: z.number().int().nonnegative(),
  latencyMedianAbsPct: z.number().nonnegative(),
  latencyP90AbsPct: z.number().nonnegative(),
})
export type GroupStats = z.infer<typeof groupStatsSchema>

export const publicFitSchema = z.strictObject({
  gpu: z.string().min(1),
  engine: z.string().min(1),
  weights: z.string().min(1),
  kv: z.string().min(1),
  method: z.string().min(1),
  factors: costFactorsSchema,
  fitRows: z.number().int().nonnegative(),
  /** TP degrees among the fit rows: the all-reduce terms are fitted only where some are > 1. */
  tps: z.array(z.number().int().positive()),
  sources: z.array(z.string()),
  train: groupStatsSchema,
  holdout: groupStatsSchema,
  band: bandSchema,
  /** Share of the holdout rows (never seen by the fit or the band) inside the band, percent; null without rows. */
  bandHoldoutCoverage: z.strictObject({rows: z.number().int().nonnegative(), pct: z.number().min(0).max(100).nullable()}).optional(),
})
export type PublicFit = z.infer<typeof publicFitSchema>

export const validationRowSchema = z.strictObject({
  kind: z.string(),
  group: z.string(),
  left: z.string(),
  stats: groupStatsSchema,
})
export type ValidationRow = z.infer<typeof validationRowSchema>

export const publicCalibrationSchema = z.strictObject({
  data: z.string().min(1),
  method: z.string().min(1),
  minFitRows: z.number().int().positive(),
  skipped: z.record(z.string(), z.number().int()),
  fits: z.array(publicFitSchema),
  validation: z.array(validationRowSchema),
  /** Band of a profile whose factors come from another GPU (leave-one-GPU-out residuals). */
  transferBand: bandSchema,
  /** Band of a profile on start factors alone (residuals of the unfitted roofline). */
  rooflineBand: bandSchema,
  /** Band of the vllm-splitwise-2023 fits (Splitwise held-out rows). */
  splitwiseBand: bandSchema,
  v100Tie: z.strictObject({
    from: z.string(),
    timeScale: z.number().positive(),
    pairsFit: z.number().int().nonnegative(),
    pairsHoldout: z.number().int().nonnegative(),
    holdoutRatioMedianAbsPct: z.number().nonnegative(),
    band: bandSchema,
    method: z.string(),
  }),
})
export type PublicCalibration = z.infer<typeof publicCalibrationSchema>

export const servingFileSchema = z.strictObject({
  defaults: z.strictObject({
    gpuMemoryUtilization: z.strictObject({value: fraction, source}),
    maxBatchSeqs: z.strictObject({value: z.number().int().positive(), source}),
    maxBatchTokens: z.strictObject({value: z.number().int().positive(), source}),
    modelLoadGBs: positiveSourced,
    engineInitS: z.strictObject({value: z.number().nonnegative(), source}),
  }),
  /** Alternative CPU/scheduler overheads (another engine version) that replace the fitted ones. */
  engineOverheads: z
    .record(
      z.string().min(1),
      z.strictObject({
        source,
        stepOverheadS: z.number().nonnegative(),
        seqOverheadS: z.number().nonnegative(),
        layerOverheadS: z.number().nonnegative(),
        prefillOverheadS: z.number().nonnegative(),
      }),
    )
    .default({}),
  engines: z.strictObject({
    vllm: engineSpecSchema,
    'tensorrt-llm': engineSpecSchema,
    'vllm-splitwise-2023': engineSpecSchema,
  }),
  profiles: z.array(servingEntrySchema).min(1),
  /** Generated by npm run calibrate from the public measurements (absent until the first run). */
  publicCalibration: publicCalibrationSchema.optional(),
  calibration: z.strictObject({
    data: z.string().min(1),
    excluded: z.array(z.string()),
    method: z.string().min(1),
    gpus: z.array(gpuCalibrationSchema).min(1),
    profileErrors: z.array(profileErrorSchema).default([]),
  }),
})
export type ServingFile = z.infer<typeof servingFileSchema>
export type GpuCalibration = z.infer<typeof gpuCalibrationSchema>
export type ErrorStats = z.infer<typeof errorStatsSchema>
