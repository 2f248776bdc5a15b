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
 *   fixedS + prefillTokenS × prompt tokens + decodeSeqS × decoding slots + contextTokenS × their context
 *
 * seconds, each coefficient measured on the server itself (probeCpuEngine: llama-server's own
 * per-request timings, one request or one batch at a time, no load) and carrying that source.
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
  stepCost: z.object({fixedS: Sourced, prefillTokenS: Sourced, decodeSeqS: Sourced, contextTokenS: Sourced}),
  stepTimeScale: z.object({value: z.number().positive(), source: z.string()}).optional(),
  prefillTimeScale: z.object({value: z.number().positive(), source: z.string()}).optional(),
})
export type CpuEngineProfile = z.infer<typeof CpuEngineProfileSchema>

/** The replica model the predictors and the fake server run, for this profile (times `scale`). */
export function cpuEngineLimits(p: CpuEngineProfile): ReplicaLimits {
  const c = p.stepCost
  const decode = p.stepTimeScale?.value ?? 1
  const prefillScale = p.prefillTimeScale?.value ?? decode
  return {
    stepTimeS: (prefill, decodeSeqs, context) =>
      prefillScale * c.prefillTokenS.value * prefill + decode * (c.fixedS.value + c.decodeSeqS.value * decodeSeqs + c.contextTokenS.value * context),
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

interface ServerTimings {
  prompt_n: number
  prompt_ms: number
  predicted_n: number
  predicted_ms: number
}

async function complete(url: string, model: string, promptTokens: number, maxTokens: number, id: string): Promise<ServerTimings> {
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({model, prompt: `${id}${' the'.repeat(promptTokens)}`, max_tokens: maxTokens, temperature: 0, ignore_eos: true}),
  })
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`)
  const body = (await res.json()) as {timings?: ServerTimings}
  if (!body.timings) throw new Error(`${url}: no "timings" in the response: not a llama-server?`)
  return body.timings
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

export interface ProbeOptions {
  url: string
  model: string
  threads: number
  cpu: string
  slots: number
  ctxPerSlot: number
  batchTokens: number
  /** Repeats of each probe (the median is kept). */
  repeats?: number
}

/**
 * Measure the step-cost coefficients with llama-server's own timings (prompt_ms, predicted_ms per
 * request), on an otherwise idle server: prefill at a short and a long prompt (slope = cost per
 * prompt token), decode alone and with every slot busy (slope = cost per decoding slot), decode
 * after a long prompt (slope = cost per context token).
 */
export async function probeCpuEngine(o: ProbeOptions): Promise<CpuEngineProfile> {
  const repeats = o.repeats ?? 3
  let n = 0
  const id = (): string => `p${n++}`
  const rep = async (f: () => Promise<number>): Promise<number> => {
    const v: number[] = []
    for (let i = 0; i < repeats; i++) v.push(await f())
    return median(v)
  }
  await complete(o.url, o.model, 16, 4, id()) // warm-up
  const shortP = 64
  const longP = Math.min(1024, o.ctxPerSlot - 200)
  const prefill = async (p: number): Promise<{n: number; ms: number}> => {
    const t = await complete(o.url, o.model, p, 1, id())
    return {n: t.prompt_n, ms: t.prompt_ms}
  }
  let shortN = 0
  let longN = 0
  const shortMs = await rep(async () => {
    const r = await prefill(shortP)
    shortN = r.n
    return r.ms
  })
  const longMs = await rep(async () => {
    const r = await prefill(longP)
    longN = r.n
    return r.ms
  })
  const prefillTokenS = Math.max(0, (longMs - shortMs) / (longN - shortN) / 1000)
  const decodeTokens = 64
  const perToken = (t: ServerTimings): number => t.predicted_ms / Math.max(1, t.predicted_n - 1) / 1000
  const single = await rep(async () => perToken(await complete(o.url, o.model, 16, decodeTokens, id())))
  const batched = await rep(async () => {
    const all = await Promise.all(Array.from({length: o.slots}, async () => complete(o.url, o.model, 16, decodeTokens, id())))
    return median(all.map(perToken))
  })
  const longCtx = await rep(async () => perToken(await complete(o.url, o.model, longP, decodeTokens, id())))
  const decodeSeqS = o.slots > 1 ? Math.max(0, (batched - single) / (o.slots - 1)) : 0
  const shortCtx = shortN > 0 ? 16 + 3 + decodeTokens / 2 : 0
  const contextTokenS = Math.max(0, (longCtx - single) / (longN - 16))
  const fixedS = Math.max(0, single - decodeSeqS - contextTokenS * shortCtx)
  const at = `${o.url} (${o.model}, ${o.threads} thread(s), ${o.cpu}), median of ${repeats}`
  const ms = (x: number): string => `${(x * 1000).toFixed(3)} ms`
  return {
    apiVersion: 'fleetcap.dev/v1',
    kind: 'CpuEngineProfile',
    engine: {name: 'llama.cpp llama-server', url: o.url, model: o.model},
    hardware: {threads: o.threads, cpu: o.cpu},
    limits: {
      slots: {value: o.slots, source: 'llama-server --parallel (slots decoded together)'},
      batchTokens: {value: o.batchTokens, source: 'llama-server --batch-size (tokens one llama_decode takes; default 2048)'},
      ctxPerSlot: {value: o.ctxPerSlot, source: 'llama-server --ctx-size ÷ --parallel (KV cache per slot)'},
    },
    stepCost: {
      fixedS: {value: fixedS, source: `probe ${at}: decode step alone ${ms(single)} less its per-slot and context parts`},
      prefillTokenS: {value: prefillTokenS, source: `probe ${at}: prompt_ms ${shortMs.toFixed(1)} at ${shortN} tokens, ${longMs.toFixed(1)} at ${longN}`},
      decodeSeqS: {value: decodeSeqS, source: `probe ${at}: decode step ${ms(single)} with 1 slot, ${ms(batched)} with ${o.slots}`},
      contextTokenS: {value: contextTokenS, source: `probe ${at}: decode step ${ms(single)} after a 16-token prompt, ${ms(longCtx)} after ${longN}`},
    },
  }
}
