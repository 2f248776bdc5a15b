/**
 * The shape of one replica of (model, GPU, TP, engine, precision): the roofline inputs (bytes and
 * peaks for this precision) and the memory split (weights, activations, KV cache) the engine makes.
 * Shared by the catalog (profiles) and the calibration (which refits factors on fixed shapes).
 */
import type {Catalog} from './catalog.js'
import {deriveLlm, type LlmDerived} from './llm.js'
import {computePeak, type Engine, type Precision} from './precision.js'
import {type RooflineHardware, RooflineCost, type RooflineModel} from './roofline.js'
import type {CostFactors, EngineSpec, GpuSpec, LlmSpec} from './schema.js'

export interface ReplicaShape {
  model: LlmSpec
  gpu: GpuSpec
  tp: number
  engine: Engine
  precision: Precision
  derived: LlmDerived
  roofModel: RooflineModel
  hardware: RooflineHardware
  peakBasis: string
  usableBytesPerGpu: number
  weightBytesPerGpu: number
  activationBytesPerGpu: number
  kvBytesPerTokenPerGpu: number
  kvCacheTokens: number
  maxBatchSeqs: number
  maxBatchTokens: number
  kvAdmission: 'paged' | 'reserve'
  memoryNote: string
}

/**
 * Bytes one GPU reserves for the forward pass's activations at the largest step: the MLP's
 * intermediate (gate and up, split by TP) and the residual stream for every token of the step, plus
 * FP32 logits for every sequence. A derived estimate (vLLM measures it with a profiling run).
 * Activations stay 16-bit whatever the weights are.
 */
export function activationBytes(m: LlmSpec, tp: number, maxBatchTokens: number, maxBatchSeqs: number): number {
  const perToken = (4 * m.hiddenSize + (2 * m.intermediateSize) / tp) * 2
  return maxBatchTokens * perToken + maxBatchSeqs * m.vocabSize * 4
}

/** The engine's settings, from serving.yaml `engines` (the Splitwise-era set uses `defaults`). */
export function engineSpec(catalog: Catalog, engine: Engine): EngineSpec {
  return catalog.serving.engines[engine]
}

export function replicaShape(
  catalog: Catalog,
  model: LlmSpec,
  gpu: GpuSpec,
  tp: number,
  engine: Engine,
  precision: Precision,
  overrides: {maxBatchSeqs?: number; maxBatchTokens?: number} = {},
): ReplicaShape {
  const e = engineSpec(catalog, engine)
  const maxBatchSeqs = overrides.maxBatchSeqs ?? e.maxBatchSeqs.value
  const maxBatchTokens = overrides.maxBatchTokens ?? e.maxBatchTokens.value
  const derived = deriveLlm(model, precision)
  const peak = computePeak(gpu, precision.weights)
  const roofModel: RooflineModel = {derived, layers: model.layers, hiddenSize: model.hiddenSize, kvHeads: model.kvHeads}
  const hardware: RooflineHardware = {denseTflops: peak.tflops, hbmBandwidthGBs: gpu.hbmBandwidthGBs.value, interconnectGBs: gpu.interconnectGBs.value}
  const memory = gpu.memoryGiB.value * 2 ** 30
  const weightBytesPerGpu = derived.weightBytes / tp
  const activationBytesPerGpu = activationBytes(model, tp, maxBatchTokens, maxBatchSeqs)
  const kvHeadsPerGpu = Math.max(1, model.kvHeads / tp)
  const kvBytesPerTokenPerGpu = (derived.kvBytesPerToken / model.kvHeads) * kvHeadsPerGpu
  const f = e.memoryFraction.value
  // vLLM caps all its memory at a fraction of the GPU; TensorRT-LLM gives the KV cache a fraction
  // of what is free after weights and activations.
  const usableBytesPerGpu = e.memoryMode === 'of-total' ? memory * f : memory
  const kvBytes = e.memoryMode === 'of-total' ? usableBytesPerGpu - weightBytesPerGpu - activationBytesPerGpu : (memory - weightBytesPerGpu - activationBytesPerGpu) * f
  const kvCacheTokens = Math.floor(kvBytes / kvBytesPerTokenPerGpu)
  const memoryNote = e.memoryMode === 'of-total' ? `gpu_memory_utilization ${f}` : `KV cache gets ${f} of the memory free after weights and activations`
  return {
    model, gpu, tp, engine, precision, derived, roofModel, hardware, peakBasis: peak.basis,
    usableBytesPerGpu, weightBytesPerGpu, activationBytesPerGpu, kvBytesPerTokenPerGpu, kvCacheTokens,
    maxBatchSeqs, maxBatchTokens, kvAdmission: e.kvAdmission.value, memoryNote,
  }
}

export const costOf = (s: ReplicaShape, f: CostFactors): RooflineCost => new RooflineCost(s.roofModel, s.hardware, s.tp, f)
