/**
 * Whether an engine runs a precision on a GPU: each engine's `precisionSupport` table in
 * serving.yaml gives the lowest CUDA compute capability per weight and KV precision (with its
 * source), each GPU its own in gpus.yaml. A combination below the minimum is refused with one line
 * that says why and what the GPU does run, so no profile, pool or plan is built on hardware that
 * cannot serve it (fp8 on a V100, say).
 */
import {InputError} from '../../errors.js'
import {type Engine, KV_PRECISIONS, type Precision, WEIGHT_PRECISIONS} from './precision.js'
import type {EngineSpec, GpuSpec} from './schema.js'

/** The engine cannot run this precision on this GPU's architecture. */
export class UnsupportedPrecisionError extends InputError {}

const sm = (cc: number): string => `sm${Math.round(cc * 10)}`

/** The weight and KV precisions this engine runs on this GPU (for messages and listings). */
export function supportedPrecisions(gpu: GpuSpec, spec: EngineSpec): {weights: string[]; kv: string[]} {
  const cc = gpu.architecture.computeCapability
  const ok = (e: {minComputeCapability: number} | undefined): boolean => e !== undefined && cc >= e.minComputeCapability
  return {
    weights: WEIGHT_PRECISIONS.filter((w) => ok(spec.precisionSupport.weights[w])),
    kv: KV_PRECISIONS.filter((k) => ok(spec.precisionSupport.kv[k])),
  }
}

/**
 * Throw UnsupportedPrecisionError (field `engine` when the engine runs nothing on this GPU, else
 * `precision`) unless the engine runs these weights and this KV cache on the GPU's architecture.
 */
export function assertPrecisionSupported(gpu: GpuSpec, engine: Engine, spec: EngineSpec, precision: Precision): void {
  const cc = gpu.architecture.computeCapability
  const arch = `${gpu.name} (${gpu.architecture.name}, ${sm(cc)})`
  const can = supportedPrecisions(gpu, spec)
  if (can.weights.length === 0 || can.kv.length === 0) {
    const min = spec.precisionSupport.weights.fp16?.minComputeCapability
    throw new UnsupportedPrecisionError({field: 'engine'}, `${engine} does not run on ${arch}${min === undefined ? '' : `: it needs ${sm(min)} or newer`} (serving.yaml engines.${engine}.precisionSupport)`)
  }
  const parts: Array<['weights' | 'kv', string]> = [['weights', precision.weights], ['kv', precision.kv]]
  for (const [what, p] of parts) {
    const entry = what === 'weights' ? spec.precisionSupport.weights[precision.weights] : spec.precisionSupport.kv[precision.kv]
    if (entry !== undefined && cc >= entry.minComputeCapability) continue
    const label = what === 'weights' ? `${p} weights` : `an ${p} KV cache`
    const why = entry === undefined ? `${engine} has no ${p} ${what === 'weights' ? 'weight' : 'KV-cache'} format` : `${engine} runs ${label} from ${sm(entry.minComputeCapability)}: ${entry.how}`
    throw new UnsupportedPrecisionError(
      {field: 'precision'},
      `${label} on ${arch} with ${engine}: not supported (${why}; sources in serving.yaml engines.${engine}.precisionSupport); with ${engine} ${gpu.name} runs weights ${can.weights.join('/')}, KV cache ${can.kv.join('/')}`,
    )
  }
}
