import {z} from 'zod'

import {InputError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {parseYamlInput, readInputFile} from '../util/read-input.js'
import type {ReplicaLimits} from './batching-replica.js'

/**
 * A serving profile for llama.cpp's llama-server on CPU cores ("CPU llama.cpp"): the engine's
 * slots, batch size and per-slot context are its batch and KV limits, and one engine step (one
 * llama_decode over every slot's tokens) costs
 *
 *   fixedS + prefillTokenS × prompt tokens + decodeSeqS × decoding slots
 *     + (contextTokenS + contextSlotTokenS × (decoding slots − 1)) × their context
 *
 * seconds, each coefficient measured on the server itself (probeCpuEngine in cpu-engine-probe.ts,
 * on the idle server) and carrying that source. The last term is measured, not assumed: a profile
 * linear in the context under-predicted a full batch's step by a quarter (2026-12-04: 3.6 ms
 * measured at workload C's rate, 2.7 ms predicted); the per-slot term is how much more a context
 * token costs as more slots decode together.
 * `fleetcap calibrate` then fits factors from a k6 run under load: stepTimeScale on the decode
 * terms (fixed, per slot, per context token) and, when the run measured TTFT and inter-token gaps
 * from the stream, prefillTimeScale on the prefill term (else stepTimeScale covers it too).
 */
const Sourced = z.object({value: z.number().nonnegative(), source: z.string().min(1)})

export const CpuEngineProfileSchema = z.object({
  apiVersion: z.literal('fleetcap.dev/v1'),
  kind: z.literal('CpuEngineProfile'),
  engine: z.object({name: z.string(), url: z.string(), model: z.string()}),
  hardware: z.object({threads: z.number().int().positive(), cpu: z.string()}),
  limits: z.object({
    slots: z.object({value: z.number().int().positive(), source: z.string().min(1)}),
    batchTokens: z.object({value: z.number().int().positive(), source: z.string().min(1)}),
    ctxPerSlot: z.object({value: z.number().int().positive(), source: z.string().min(1)}),
  }),
  stepCost: z.object({
    fixedS: Sourced,
    prefillTokenS: Sourced,
    decodeSeqS: Sourced,
    contextTokenS: Sourced,
    /** Extra cost per context token for each decoding slot beyond the first (optional: older profiles lack it). */
    contextSlotTokenS: Sourced.optional(),
  }),
  stepTimeScale: z.object({value: z.number().positive(), source: z.string()}).optional(),
  prefillTimeScale: z.object({value: z.number().positive(), source: z.string()}).optional(),
})
export type CpuEngineProfile = z.infer<typeof CpuEngineProfileSchema>

/** The replica model the predictors and the fake server run, for this profile (times `scale`). */
export function cpuEngineLimits(p: CpuEngineProfile): ReplicaLimits {
  const c = p.stepCost
  const decode = p.stepTimeScale?.value ?? 1
  const prefillScale = p.prefillTimeScale?.value ?? decode
  const perSlotContext = c.contextSlotTokenS?.value ?? 0
  return {
    stepTimeS: (prefill, decodeSeqs, context) =>
      prefillScale * c.prefillTokenS.value * prefill + decode * (c.fixedS.value + c.decodeSeqS.value * decodeSeqs + (c.contextTokenS.value + perSlotContext * Math.max(0, decodeSeqs - 1)) * context),
    maxBatchSeqs: p.limits.slots.value,
    maxBatchTokens: p.limits.batchTokens.value,
    // llama-server admits a request only into a free slot; each slot holds its own context.
    kvCacheTokens: p.limits.slots.value * p.limits.ctxPerSlot.value,
  }
}

export async function readCpuEngineProfile(path: string): Promise<CpuEngineProfile> {
  const parsed = CpuEngineProfileSchema.safeParse(parseYamlInput(path, await readInputFile(path)))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InputError({file: path, field: issue.path.join('.')}, issue.message)
  }
  return parsed.data
}

export async function writeCpuEngineProfile(path: string, p: CpuEngineProfile): Promise<void> {
  const {stringify} = await import('yaml')
  const header = '# CPU llama.cpp serving profile: step-cost coefficients measured on the server (fleetcap probe),\n# stepTimeScale fitted by calibration from a k6 run under load.\n'
  await writeFileAtomic(path, header + stringify(p, {lineWidth: 0}))
}
