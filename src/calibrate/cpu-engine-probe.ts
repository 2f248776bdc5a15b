import {median} from 'simple-statistics'

import type {CpuEngineProfile} from './cpu-engine.js'

/**
 * Measure a CPU llama.cpp profile's step-cost coefficients on an idle llama-server.
 *
 * Prefill comes from the server's own timings (prompt_ms of one request, short and long prompt).
 * Decode comes from the stream, as a client under load sees it: k requests sent together, and the
 * time per token while all k decode (after the last one's first token, before the first one's
 * last). Why not the server's predicted_ms, as before: it spans the whole of each request,
 * including the steps in which the others were still prefilling or already done, so "four slots"
 * was partly one or two, and the per-slot cost came out 0.23-0.36 ms from run to run where the
 * stream showed a full batch's step half as long again as the profile said.
 *
 * Four decode points, one or every slot at a short or a long context, pin the four decode
 * coefficients: fixed, per slot, per context token, and per context token per extra slot.
 */

export interface ProbeOptions {
  url: string
  model: string
  threads: number
  cpu: string
  slots: number
  ctxPerSlot: number
  batchTokens: number
  /** Repeats of each probe (the median is kept; default 5: one decode point moves by ±15% between repeats). */
  repeats?: number
}

interface ServerTimings {
  prompt_n: number
  prompt_ms: number
}

const promptOf = (id: string, tokens: number): string => `${id}${' the'.repeat(tokens)}`

async function post(url: string, body: object): Promise<Response> {
  // cache_prompt false: a slot that still holds an earlier probe's prompt would otherwise prefill
  // only the tokens that differ, and the long prompt would cost what the short one does.
  const res = await fetch(`${url}/v1/completions`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({...body, cache_prompt: false})})
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`)
  return res
}

/** One request, not streamed: the server's own prefill timing. */
async function prefillTiming(url: string, model: string, promptTokens: number, id: string): Promise<ServerTimings> {
  const res = await post(url, {model, prompt: promptOf(id, promptTokens), max_tokens: 1, temperature: 0, ignore_eos: true})
  const body = (await res.json()) as {timings?: ServerTimings}
  if (!body.timings) throw new Error(`${url}: no "timings" in the response: not a llama-server?`)
  return body.timings
}

/** One streamed request: the arrival time (ms) of each token, and the prompt's length in tokens. */
async function streamTimes(url: string, model: string, promptTokens: number, maxTokens: number, id: string): Promise<{times: number[]; promptN: number}> {
  const res = await post(url, {model, prompt: promptOf(id, promptTokens), max_tokens: maxTokens, temperature: 0, ignore_eos: true, stream: true})
  if (!res.body) throw new Error(`${url}: empty streamed response`)
  const times: number[] = []
  let promptN = promptTokens
  let buf = ''
  const decoder = new TextDecoder()
  for await (const chunk of res.body) {
    const now = performance.now()
    buf += decoder.decode(chunk as Uint8Array, {stream: true})
    let end: number
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, end)
      buf = buf.slice(end + 2)
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue
      const data = JSON.parse(event.slice(6)) as {choices?: Array<{finish_reason: string | null}>; usage?: {prompt_tokens?: number}}
      if (data.usage?.prompt_tokens !== undefined) promptN = data.usage.prompt_tokens
      // The closing event (finish_reason set, no token) comes after the last token's own event.
      if (data.choices?.[0]?.finish_reason === null) times.push(now)
    }
  }
  return {times, promptN}
}

/**
 * The decode step with `k` slots decoding together, each at about `promptTokens` + half of
 * `maxTokens` of context: the window in which all k decode, over the tokens each got in it. Not
 * the median gap: with four streams the client reads several tokens in one chunk, and most gaps
 * then measure 0.
 */
async function decodeStep(o: ProbeOptions, k: number, promptTokens: number, maxTokens: number, id: () => string): Promise<{stepS: number; contextPerSlot: number}> {
  // allSettled, not all: a retry after a failure must not start while the others still stream.
  const settled = await Promise.allSettled(Array.from({length: k}, async () => streamTimes(o.url, o.model, promptTokens, maxTokens, id())))
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  const runs = settled.map((r) => (r as PromiseFulfilledResult<{times: number[]; promptN: number}>).value)
  const start = Math.max(...runs.map((r) => r.times[0]))
  const end = Math.min(...runs.map((r) => r.times.at(-1) ?? -Infinity))
  const steps = median(runs.map((r) => r.times.filter((t) => t > start && t <= end).length))
  if (!(steps >= 8)) throw new Error(`${o.url}: ${k} requests of ${maxTokens} tokens decoded together for only ${steps} steps: is --parallel below ${k}?`)
  return {stepS: (end - start) / steps / 1000, contextPerSlot: median(runs.map((r) => r.promptN)) + maxTokens / 2}
}

/**
 * Run `f`, and once more if the connection failed (fetch rejects with a TypeError; an HTTP error
 * status does not). Seen once in about fifteen probes of a local llama-server: "other side closed"
 * in the middle of a four-slot decode point.
 */
async function onceMore<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return f()
  }
}

export async function probeCpuEngine(o: ProbeOptions): Promise<CpuEngineProfile> {
  const repeats = o.repeats ?? 5
  let n = 0
  const id = (): string => `p${n++}`
  const rep = async <T>(f: () => Promise<T>, key: (t: T) => number): Promise<T> => {
    const v: T[] = []
    for (let i = 0; i < repeats; i++) v.push(await onceMore(f))
    const m = median(v.map(key))
    return v.reduce((best, x) => (Math.abs(key(x) - m) < Math.abs(key(best) - m) ? x : best))
  }
  await prefillTiming(o.url, o.model, 16, id()) // warm-up

  const shortP = 64
  const longP = Math.min(1024, o.ctxPerSlot - 200)
  const short = await rep(
    async () => prefillTiming(o.url, o.model, shortP, id()),
    (t) => t.prompt_ms,
  )
  const long = await rep(
    async () => prefillTiming(o.url, o.model, longP, id()),
    (t) => t.prompt_ms,
  )
  const prefillTokenS = Math.max(0, (long.prompt_ms - short.prompt_ms) / (long.prompt_n - short.prompt_n) / 1000)

  const tokens = 128
  const N = o.slots
  const step = async (k: number, p: number): Promise<{stepS: number; contextPerSlot: number}> =>
    rep(
      async () => decodeStep(o, k, p, tokens, id),
      (r) => r.stepS,
    )
  const oneShort = await step(1, 16)
  const oneLong = await step(1, longP)
  const allShort = N > 1 ? await step(N, 16) : oneShort
  const allLong = N > 1 ? await step(N, longP) : oneLong
  // Per context token with one slot, and with all N (slope over the N slots' summed context).
  const c1 = Math.max(0, (oneLong.stepS - oneShort.stepS) / (oneLong.contextPerSlot - oneShort.contextPerSlot))
  const cN = N > 1 ? Math.max(0, (allLong.stepS - allShort.stepS) / (N * (allLong.contextPerSlot - allShort.contextPerSlot))) : c1
  const contextSlotTokenS = N > 1 ? Math.max(0, (cN - c1) / (N - 1)) : 0
  const decodeSeqS = N > 1 ? Math.max(0, (allShort.stepS - oneShort.stepS - cN * N * allShort.contextPerSlot + c1 * oneShort.contextPerSlot) / (N - 1)) : 0
  const fixedS = Math.max(0, oneShort.stepS - decodeSeqS - c1 * oneShort.contextPerSlot)

  const at = `${o.url} (${o.model}, ${o.threads} thread(s), ${o.cpu}), median of ${repeats}`
  const ms = (x: number): string => `${(x * 1000).toFixed(3)} ms`
  const point = (k: number, r: {stepS: number; contextPerSlot: number}): string => `${ms(r.stepS)} with ${k} slot(s) at ${Math.round(r.contextPerSlot)} tokens each`
  const streamed = `streamed token gaps while all slots decode, ${tokens} tokens per request`
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
      fixedS: {value: fixedS, source: `probe ${at}: ${streamed}: ${point(1, oneShort)}, less its per-slot and context parts`},
      prefillTokenS: {value: prefillTokenS, source: `probe ${at}: prompt_ms ${short.prompt_ms.toFixed(1)} at ${short.prompt_n} tokens, ${long.prompt_ms.toFixed(1)} at ${long.prompt_n}`},
      decodeSeqS: {value: decodeSeqS, source: `probe ${at}: ${streamed}: ${point(1, oneShort)}, ${point(N, allShort)}`},
      contextTokenS: {value: c1, source: `probe ${at}: ${streamed}: ${point(1, oneShort)}, ${point(1, oneLong)}`},
      contextSlotTokenS: {value: contextSlotTokenS, source: `probe ${at}: ${streamed}: ${point(N, allShort)}, ${point(N, allLong)}`},
    },
  }
}
