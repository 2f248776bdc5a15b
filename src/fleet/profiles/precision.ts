/**
 * The two dimensions of a serving profile beside GPU and TP: the engine that serves it and the
 * numeric precision of its weights and KV cache. Names are validated here (one-line errors listing
 * the known names); bytes and the tensor-core peak a precision runs at are derived here.
 */
import {InputError} from '../../errors.js'
import type {GpuSpec} from './schema.js'

/**
 * Engines with their own fitted overheads. `vllm` is the default: it is the engine most fleets run
 * and the one the seeds' pools describe; the 2023 stack Splitwise measured is kept by name.
 */
export const ENGINES = ['vllm', 'tensorrt-llm', 'vllm-splitwise-2023'] as const
export type Engine = (typeof ENGINES)[number]
export const DEFAULT_ENGINE: Engine = 'vllm'

export const WEIGHT_PRECISIONS = ['fp16', 'fp8', 'int8', 'int4', 'fp4'] as const
export type WeightPrecision = (typeof WEIGHT_PRECISIONS)[number]
export const KV_PRECISIONS = ['fp16', 'fp8', 'int8'] as const
export type KvPrecision = (typeof KV_PRECISIONS)[number]

export interface Precision {
  weights: WeightPrecision
  kv: KvPrecision
}

/** The checkpoint's own width: what a model is served at unless a precision is asked for. */
export const DEFAULT_PRECISION: Precision = {weights: 'fp16', kv: 'fp16'}

/** Spellings the public data and users use for the same thing. */
const WEIGHT_ALIASES: Record<string, WeightPrecision> = {
  fp16: 'fp16', bf16: 'fp16', float16: 'fp16', bfloat16: 'fp16', half: 'fp16', mixed: 'fp16',
  fp8: 'fp8', 'fp8-e4m3': 'fp8', w8a8fp8: 'fp8',
  int8: 'int8', 'int8-sq': 'int8', w8a8: 'int8', smoothquant: 'int8',
  int4: 'int4', 'int4-gptq': 'int4', 'int4-awq': 'int4', gptq: 'int4', awq: 'int4', w4a16: 'int4',
  fp4: 'fp4', nvfp4: 'fp4',
}
const KV_ALIASES: Record<string, KvPrecision> = {fp16: 'fp16', bf16: 'fp16', auto: 'fp16', fp8: 'fp8', 'fp8-e4m3': 'fp8', int8: 'int8'}

/**
 * Bytes per weight. int4 is weight-only with one FP16 scale and zero per 128 weights (GPTQ/AWQ
 * group size 128: 4 + 32/128 bits); fp4 is NVFP4, one FP8 scale per 16 weights (4 + 8/16 bits).
 */
export const WEIGHT_BYTES: Record<WeightPrecision, number> = {fp16: 2, fp8: 1, int8: 1, int4: 4.25 / 8, fp4: 4.5 / 8}
export const KV_BYTES: Record<KvPrecision, number> = {fp16: 2, fp8: 1, int8: 1}

export function parseEngine(name: string, field = 'engine'): Engine {
  const n = name.trim().toLowerCase()
  const alias: Record<string, Engine> = {trtllm: 'tensorrt-llm', 'trt-llm': 'tensorrt-llm', tensorrt: 'tensorrt-llm', splitwise: 'vllm-splitwise-2023'}
  const hit = (ENGINES as readonly string[]).includes(n) ? (n as Engine) : alias[n]
  if (!hit) throw new InputError({field}, `unknown engine "${name}"; known: ${ENGINES.join(', ')}`)
  return hit
}

export function parseWeightPrecision(name: string, field = 'precision'): WeightPrecision {
  const hit = WEIGHT_ALIASES[name.trim().toLowerCase()]
  if (!hit) throw new InputError({field}, `unknown weight precision "${name}"; known: ${WEIGHT_PRECISIONS.join(', ')} (bf16 = fp16)`)
  return hit
}

export function parseKvPrecision(name: string, field = 'precision'): KvPrecision {
  const hit = KV_ALIASES[name.trim().toLowerCase()]
  if (!hit) throw new InputError({field}, `unknown KV-cache precision "${name}"; known: ${KV_PRECISIONS.join(', ')} (bf16 = fp16)`)
  return hit
}

/**
 * "fp8" (weights fp8, KV cache fp16) or "fp8/fp8" (weights/KV). The KV cache stays at 16 bits
 * unless asked for: vLLM's kv_cache_dtype default is "auto" (the model's dtype).
 */
export function parsePrecision(spec: string, field = 'precision'): Precision {
  const [w, kv, extra] = spec.split('/')
  if (extra !== undefined || w === undefined || w.trim() === '') {
    throw new InputError({field}, `precision "${spec}" must be WEIGHTS or WEIGHTS/KV, e.g. fp8 or fp8/fp8`)
  }
  return {weights: parseWeightPrecision(w, field), kv: kv === undefined ? 'fp16' : parseKvPrecision(kv, field)}
}

export const precisionLabel = (p: Precision): string => (p.kv === 'fp16' ? p.weights : `${p.weights}/${p.kv}`)
export const isDefaultPrecision = (p: Precision): boolean => p.weights === 'fp16' && p.kv === 'fp16'

/**
 * The dense tensor-core peak the matmuls of this precision run at, and why. FP8/INT8 use their own
 * peak where the GPU has those tensor cores; otherwise (fp8 on Ampere, int4 weight-only) the weights
 * are dequantized and multiplied at the 16-bit peak: only the bytes read shrink.
 */
export function computePeak(gpu: GpuSpec, weights: WeightPrecision): {tflops: number; basis: string} {
  const bf16 = {tflops: gpu.denseBf16Tflops.value, basis: 'BF16/FP16 dense peak'}
  if (weights === 'fp8' && gpu.denseFp8Tflops) return {tflops: gpu.denseFp8Tflops.value, basis: 'FP8 dense peak'}
  if (weights === 'int8' && gpu.denseInt8Tops) return {tflops: gpu.denseInt8Tops.value, basis: 'INT8 dense peak (W8A8)'}
  if (weights === 'fp4') {
    if (gpu.denseFp4Tflops) return {tflops: gpu.denseFp4Tflops.value, basis: 'FP4 dense peak'}
    if (gpu.denseFp8Tflops) return {tflops: gpu.denseFp8Tflops.value, basis: `FP8 dense peak (${gpu.name} has no FP4 tensor cores)`}
  }
  if (weights === 'fp16') return bf16
  return {tflops: bf16.tflops, basis: `BF16/FP16 dense peak (${weights} weights are dequantized: ${gpu.name} has no ${weights.toUpperCase()} tensor cores, or the format is weight-only)`}
}

/** A pool's or plan's {weights, kv} (bf16 allowed) as a precision spec string, or undefined. */
export function poolPrecision(p: {weights: string; kv?: string} | undefined): string | undefined {
  if (p === undefined) return undefined
  return p.kv === undefined ? p.weights : `${p.weights}/${p.kv}`
}
