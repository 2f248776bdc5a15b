import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ReplicaLimits} from '../../src/calibrate/batching-replica.js'
import {arrivalsPerSecond, type FakeOpenAiServer, startFakeOpenAi} from '../doubles/fake-openai.js'

/** 20 ms a step, whatever the batch: TTFT and each later token take one step. */
const PROFILE: ReplicaLimits = {stepTimeS: () => 0.02, maxBatchSeqs: 8, maxBatchTokens: 512, kvCacheTokens: 100_000}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body: typeof body === 'string' ? body : JSON.stringify(body)})
}

describe('fake OpenAI server', () => {
  let server: FakeOpenAiServer
  beforeAll(async () => {
    server = await startFakeOpenAi({profile: PROFILE, model: 'm'})
  })
  afterAll(async () => {
    await server.close()
  })

  it('answers completions and chat completions with the asked number of tokens and usage', async () => {
    const c = await post(`${server.url}/v1/completions`, {model: 'm', prompt: 'r1 the the the', max_tokens: 5})
    expect(c.status).toBe(200)
    const cj = (await c.json()) as {choices: Array<{text: string; finish_reason: string}>; usage: Record<string, number>}
    expect(cj.choices[0].text.trim().split(' ')).toHaveLength(5)
    expect(cj.usage).toEqual({prompt_tokens: 4, completion_tokens: 5, total_tokens: 9})
    const chat = await post(`${server.url}/v1/chat/completions`, {messages: [{role: 'system', content: 'be brief'}, {role: 'user', content: 'hello there'}], max_completion_tokens: 2})
    const chj = (await chat.json()) as {choices: Array<{message: {content: string}}>; usage: Record<string, number>}
    expect(chj.usage.prompt_tokens).toBe(4)
    expect(chj.choices[0].message.content).toBe(' tok tok')
  })

  it('streams one SSE event per token, then usage and [DONE], and takes a step per token', async () => {
    const started = performance.now()
    const r = await post(`${server.url}/v1/chat/completions`, {messages: [{role: 'user', content: 'x'}], max_tokens: 10, stream: true, stream_options: {include_usage: true}})
    const text = await r.text()
    const elapsed = performance.now() - started
    expect(r.headers.get('content-type')).toBe('text/event-stream')
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '))
    expect(events).toHaveLength(12)
    expect(events.at(-1)).toBe('data: [DONE]')
    expect(JSON.parse(events[10].slice(6)).usage.completion_tokens).toBe(10)
    // 10 steps of 20 ms (timers only ever fire late).
    expect(elapsed).toBeGreaterThanOrEqual(195)
  })

  it('rejects bad requests with OpenAI-style errors and counts them apart', async () => {
    const rejected = server.stats.rejected
    expect((await post(`${server.url}/v1/completions`, 'not json')).status).toBe(400)
    expect((await post(`${server.url}/v1/completions`, {model: 'other', prompt: 'x'})).status).toBe(404)
    expect((await post(`${server.url}/v1/completions`, {prompt: 'x', max_tokens: 0})).status).toBe(400)
    expect((await post(`${server.url}/v1/chat/completions`, {messages: 'x'})).status).toBe(400)
    expect((await fetch(`${server.url}/v2/anything`)).status).toBe(404)
    expect(server.stats.rejected).toBe(rejected + 4)
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(200)
  })

  it('fails the same requests on every run for a seed', async () => {
    const fates = async (): Promise<number[]> => {
      const s = await startFakeOpenAi({profile: PROFILE, errorRate: 0.5, seed: 42})
      const out: number[] = []
      for (let i = 0; i < 12; i++) out.push((await post(`${s.url}/v1/completions`, {prompt: 'a', max_tokens: 1})).status)
      await s.close()
      return out
    }
    const a = await fates()
    expect(a).toEqual(await fates())
    expect(a).toContain(500)
    expect(a).toContain(200)
  })

  it('frees the batch slot of a client that hangs up', async () => {
    const s = await startFakeOpenAi({profile: {...PROFILE, maxBatchSeqs: 1}})
    try {
      // 10,000 tokens would hold the only batch slot for 200 s; the client reads one event and leaves.
      const r0 = await post(`${s.url}/v1/completions`, {prompt: 'a', max_tokens: 10_000, stream: true})
      const reader = r0.body!.getReader()
      await reader.read()
      await reader.cancel()
      // With one batch slot, this request could only finish because the abandoned one left.
      const started = performance.now()
      const r = await post(`${s.url}/v1/completions`, {prompt: 'a', max_tokens: 3})
      expect(r.status).toBe(200)
      expect(performance.now() - started).toBeLessThan(2_000)
      expect(arrivalsPerSecond(s.arrivalsS).reduce((a, b) => a + b, 0)).toBe(2)
    } finally {
      await s.close()
    }
  })
})
