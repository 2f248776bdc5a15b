import {describe, expect, it} from 'vitest'

import {BatchingReplica, type ReplicaLimits} from '../../src/calibrate/batching-replica.js'
import {replayPredictor} from '../../src/calibrate/predict.js'

/** Test cost model: 10 ms a step, plus 1 ms per 100 prompt tokens and 1 ms per decoding sequence. */
const limits: ReplicaLimits = {
  stepTimeS: (prefill, decodeSeqs) => 0.01 + prefill * 1e-5 + decodeSeqs * 1e-3,
  maxBatchSeqs: 2,
  maxBatchTokens: 256,
  kvCacheTokens: 10_000,
}

function drain(r: BatchingReplica<{inputTokens: number; outputTokens: number; name: string}>): Array<{t: number; name: string; index: number}> {
  const out: Array<{t: number; name: string; index: number}> = []
  let t = 0
  for (let d = r.step(); d !== undefined; d = r.step()) {
    t += d
    for (const tok of r.finishStep().tokens) out.push({t: Math.round(t * 1e6) / 1e6, name: tok.req.name, index: tok.index})
  }
  return out
}

describe('continuous-batching replica', () => {
  it('emits the first token after prefill and one token per decode step', () => {
    const r = new BatchingReplica<{inputTokens: number; outputTokens: number; name: string}>(limits)
    r.enqueue({inputTokens: 100, outputTokens: 3, name: 'a'})
    // prefill step: 10 + 1 ms; then two decode steps of 10 + 1 ms.
    expect(drain(r)).toEqual([
      {t: 0.011, name: 'a', index: 1},
      {t: 0.022, name: 'a', index: 2},
      {t: 0.033, name: 'a', index: 3},
    ])
    expect(r.idle).toBe(true)
  })

  it('chunks long prompts by the token budget and caps the batch at maxBatchSeqs', () => {
    const r = new BatchingReplica<{inputTokens: number; outputTokens: number; name: string}>(limits)
    r.enqueue({inputTokens: 600, outputTokens: 1, name: 'long'})
    r.enqueue({inputTokens: 10, outputTokens: 1, name: 'b'})
    r.enqueue({inputTokens: 10, outputTokens: 1, name: 'c'})
    const tokens = drain(r)
    // Prefill budget goes first come, first served: 600 tokens at 256 a step take 3 steps, 'b' gets
    // the rest of the third; 'c' waits for a batch slot (maxBatchSeqs 2) until both leave.
    const t3 = 3 * 0.01 + 600 * 1e-5 + 10 * 1e-5
    expect(tokens).toEqual([
      {t: Math.round(t3 * 1e6) / 1e6, name: 'long', index: 1},
      {t: Math.round(t3 * 1e6) / 1e6, name: 'b', index: 1},
      {t: Math.round((t3 + 0.01 + 10 * 1e-5) * 1e6) / 1e6, name: 'c', index: 1},
    ])
  })

  it('slows every step by the scale factor', () => {
    const run = (scale: number): number => {
      const r = new BatchingReplica<{inputTokens: number; outputTokens: number; name: string}>(limits, scale)
      r.enqueue({inputTokens: 50, outputTokens: 20, name: 'a'})
      return drain(r).at(-1)!.t
    }
    expect(run(1.3) / run(1)).toBeCloseTo(1.3, 9)
  })
})

describe('replay predictor', () => {
  it('predicts unloaded latency from the cost model and grows it with load', () => {
    const predict = replayPredictor(limits)
    const light = predict({executor: 'constant-arrival-rate', stages: [{durationS: 10, ratePerS: 1}], tasks: [[[100, 11, 0]]], origin: {}}, 1) as Awaited<ReturnType<typeof predict>>
    expect(light.ttftP50Ms).toBeCloseTo(11, 6)
    expect(light.tpotP50Ms).toBeCloseTo(11, 6)
    expect(light.latencyP50Ms).toBeCloseTo(11 * 11, 6)
    // 11 requests in 10 s: k6's constant-arrival-rate starts one at t = 0 and one at the end.
    expect(light.throughputRps).toBeCloseTo(1.1, 9)
    const heavy = predict({executor: 'constant-arrival-rate', stages: [{durationS: 10, ratePerS: 40}], tasks: [[[100, 11, 0]]], origin: {}}, 1) as Awaited<ReturnType<typeof predict>>
    expect(heavy.latencyP95Ms!).toBeGreaterThan(light.latencyP95Ms! * 2)
  })
})
