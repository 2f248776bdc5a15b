import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {createWorkload, WorkloadSpecSchema, type Task, type WorkloadSpecInput} from '../../src/workload/index.js'
import {readTrace} from '../../src/workload/index.js'
import {ROOT, dataPath} from '../helpers/cli.js'

const DAY = 86_400
const TOKENS = {input: 1000, output: 200}

async function generate(input: WorkloadSpecInput, seed = 1, chunkSize?: number): Promise<Task[]> {
  const spec = WorkloadSpecSchema.parse(input)
  const out: Task[] = []
  for await (const chunk of createWorkload(spec, {baseDir: ROOT, rng: new RandomStreams(seed), chunkSize})) {
    for (const t of chunk) out.push(t)
  }
  return out
}

/** Counts per window of `w` seconds over [0, duration). */
function counts(tasks: Task[], w: number, durationS: number): number[] {
  const c = new Array(Math.ceil(durationS / w)).fill(0)
  for (const t of tasks) c[Math.floor(t.arrivalS / w)]++
  return c
}

function meanVar(xs: number[]): {mean: number; variance: number} {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)
  return {mean, variance}
}

describe('arrivals', () => {
  it('hits the mean rate within 1 % over a long run (flat)', async () => {
    const tasks = await generate({kind: 'synthetic', tasksPerDay: 50_000, durationS: 20 * DAY, tokens: TOKENS})
    expect(tasks.length / 20).toBeGreaterThan(49_500)
    expect(tasks.length / 20).toBeLessThan(50_500)
    // Sorted, inside the duration, ids in order.
    let ordered = true
    for (let i = 1; i < tasks.length; i++) ordered &&= tasks[i].arrivalS >= tasks[i - 1].arrivalS && tasks[i].id === i
    expect(ordered).toBe(true)
    expect(tasks.at(-1)!.arrivalS).toBeLessThan(20 * DAY)
    // Poisson: index of dispersion of per-minute counts close to 1.
    const {mean, variance} = meanVar(counts(tasks, 60, 20 * DAY))
    expect(variance / mean).toBeGreaterThan(0.9)
    expect(variance / mean).toBeLessThan(1.1)
  })

  it('accepts ratePerS and a duration text', async () => {
    const tasks = await generate({kind: 'synthetic', ratePerS: 5, durationS: '2h', tokens: TOKENS})
    expect(tasks.length).toBeGreaterThan(36_000 * 0.97)
    expect(tasks.length).toBeLessThan(36_000 * 1.03)
  })

  it('shows the daily shape in hourly counts (peak 14h, peak-to-trough 3) and keeps the daily total', async () => {
    const days = 14
    const tasks = await generate({kind: 'synthetic', tasksPerDay: 100_000, durationS: days * DAY, shape: {daily: {peakHour: 14, peakToTrough: 3}}, tokens: TOKENS})
    const byHour = new Array(24).fill(0)
    for (const t of tasks) byHour[Math.floor(t.arrivalS / 3600) % 24]++
    const peak = byHour.indexOf(Math.max(...byHour))
    const trough = byHour.indexOf(Math.min(...byHour))
    expect([13, 14]).toContain(peak)
    expect([1, 2]).toContain(trough)
    expect(byHour[14] / byHour[2]).toBeGreaterThan(2.7)
    expect(byHour[14] / byHour[2]).toBeLessThan(3.2)
    expect(tasks.length / days).toBeGreaterThan(99_000)
    expect(tasks.length / days).toBeLessThan(101_000)
  })

  it('follows 24 hourly multipliers and weekly multipliers (normalized to mean 1)', async () => {
    const hourly = Array.from({length: 24}, (_, h) => (h >= 9 && h < 17 ? 3 : h < 6 ? 0 : 1))
    const weekly = [1, 1, 1, 1, 1, 0.25, 0.25]
    const tasks = await generate({kind: 'synthetic', tasksPerDay: 20_000, durationS: 14 * DAY, shape: {daily: hourly, weekly}, tokens: TOKENS})
    const byHour = new Array(24).fill(0)
    const byDay = new Array(7).fill(0)
    for (const t of tasks) {
      byHour[Math.floor(t.arrivalS / 3600) % 24]++
      byDay[Math.floor(t.arrivalS / DAY) % 7]++
    }
    expect(byHour.slice(0, 6).every((n) => n === 0)).toBe(true)
    expect(byHour[12] / byHour[20]).toBeGreaterThan(2.6)
    expect(byHour[12] / byHour[20]).toBeLessThan(3.4)
    expect(byDay[2] / byDay[6]).toBeGreaterThan(3.5)
    expect(byDay[2] / byDay[6]).toBeLessThan(4.5)
    expect(tasks.length / 14).toBeGreaterThan(19_600)
    expect(tasks.length / 14).toBeLessThan(20_400)
  })

  it('MMPP bursts: index of dispersion far above Poisson, mean rate kept', async () => {
    const tasks = await generate({
      kind: 'synthetic',
      tasksPerDay: 50_000,
      durationS: 20 * DAY,
      bursts: {states: [{rateMultiplier: 5, meanDwellS: 300}, {rateMultiplier: 0.5, meanDwellS: '20m'}]},
      tokens: TOKENS,
    })
    const {mean, variance} = meanVar(counts(tasks, 60, 20 * DAY))
    expect(variance / mean).toBeGreaterThan(3)
    expect(tasks.length / 20).toBeGreaterThan(50_000 * 0.95)
    expect(tasks.length / 20).toBeLessThan(50_000 * 1.05)
  })
})

describe('determinism', () => {
  const spec: WorkloadSpecInput = {
    kind: 'synthetic',
    tasksPerDay: 20_000,
    durationS: '6h',
    shape: {daily: {peakHour: 10, peakToTrough: 2}},
    bursts: {states: [{rateMultiplier: 3, meanDwellS: 120}, {rateMultiplier: 1, meanDwellS: 600}]},
    tokens: {input: {dist: 'lognormal', mean: 800, cv: 1}, output: {dist: 'uniform', min: 10, max: 400}},
    taskTypes: {chat: 3, code: 1},
    priorities: {high: 1, normal: 3},
    agent: {callsPerTask: {dist: 'uniform', min: 1, max: 4}, thinkTimeS: {dist: 'exponential', mean: 3}},
  }

  it('same seed gives identical tasks, whatever the chunk size', async () => {
    const a = await generate(spec, 42)
    const b = await generate(spec, 42, 100)
    expect(a.length).toBeGreaterThan(1000)
    expect(b).toEqual(a)
  })

  it('a different seed gives different tasks', async () => {
    const a = await generate(spec, 42)
    const b = await generate(spec, 43)
    expect(b.slice(0, 10).map((t) => t.arrivalS)).not.toEqual(a.slice(0, 10).map((t) => t.arrivalS))
  })

  it('delivers chunks of at most chunkSize', async () => {
    const s = WorkloadSpecSchema.parse({kind: 'synthetic', ratePerS: 10, durationS: 1000, tokens: TOKENS})
    const sizes: number[] = []
    for await (const c of createWorkload(s, {baseDir: ROOT, rng: new RandomStreams(1), chunkSize: 512})) sizes.push(c.length)
    expect(Math.max(...sizes)).toBe(512)
    expect(sizes.slice(0, -1).every((n) => n === 512)).toBe(true)
  })
})

describe('tokens, mixes, deadlines', () => {
  it('parametric token distributions have their means; clamps hold', async () => {
    const tasks = await generate({
      kind: 'synthetic',
      ratePerS: 50,
      durationS: '1h',
      tokens: {input: {dist: 'lognormal', mean: 2000, cv: 1.5}, output: {dist: 'normal', mean: 300, sd: 200, min: 1, max: 1000}},
    })
    const ins = tasks.map((t) => t.calls[0].inputTokens)
    const outs = tasks.map((t) => t.calls[0].outputTokens)
    const meanIn = ins.reduce((a, b) => a + b) / ins.length
    expect(meanIn).toBeGreaterThan(2000 * 0.95)
    expect(meanIn).toBeLessThan(2000 * 1.05)
    expect(outs.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(1)
    expect(outs.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(1000)
    expect(ins.every(Number.isInteger) && outs.every(Number.isInteger)).toBe(true)
  })

  it('tokens fitted from the Azure trace resample its (input, output) pairs', async () => {
    const azure = dataPath('traces', 'AzureLLMInferenceTrace_conv.csv')
    const pairs = new Set<string>()
    let logSum = 0
    let n = 0
    for await (const c of readTrace(azure).rows()) {
      for (const r of c) {
        pairs.add(`${r.inputTokens},${r.outputTokens}`)
        logSum += Math.log(r.inputTokens as number)
        n++
      }
    }
    const geometricMean = Math.exp(logSum / n)
    const tasks = await generate({kind: 'synthetic', ratePerS: 20, durationS: '1h', tokens: {input: {fromTrace: azure}, output: {fromTrace: azure}}})
    expect(tasks.every((t) => pairs.has(`${t.calls[0].inputTokens},${t.calls[0].outputTokens}`))).toBe(true)
    const meanIn = tasks.reduce((a, t) => a + t.calls[0].inputTokens, 0) / tasks.length
    expect(meanIn).toBeGreaterThan(1155 * 0.97)
    expect(meanIn).toBeLessThan(1155 * 1.03)
    // A lognormal fit: its median is the trace's geometric mean (the trace's own median is 1,020).
    const fitted = await generate({kind: 'synthetic', ratePerS: 20, durationS: '1h', tokens: {input: {fromTrace: azure, fit: 'lognormal'}, output: 100}})
    const sorted = fitted.map((t) => t.calls[0].inputTokens).sort((a, b) => a - b)
    const med = sorted[Math.floor(sorted.length / 2)]
    expect(med).toBeGreaterThan(geometricMean * 0.95)
    expect(med).toBeLessThan(geometricMean * 1.05)
  })

  it('task-type, priority and model mixes follow their weights; deadlines by priority', async () => {
    const tasks = await generate({
      kind: 'synthetic',
      ratePerS: 20,
      durationS: '1h',
      tokens: TOKENS,
      taskTypes: {chat: 7, code: 3},
      priorities: {critical: 1, high: 1, normal: 6, low: 2},
      models: {'llama-70b': 1, 'llama-8b': 1},
      deadlines: {critical: 10, low: '5m'},
    })
    const share = (f: (t: Task) => boolean) => tasks.filter(f).length / tasks.length
    expect(share((t) => t.taskType === 'chat')).toBeCloseTo(0.7, 1)
    expect(share((t) => t.priority === 'normal')).toBeCloseTo(0.6, 1)
    expect(share((t) => t.priority === 'low')).toBeCloseTo(0.2, 1)
    expect(share((t) => t.model === 'llama-8b')).toBeCloseTo(0.5, 1)
    expect(tasks.filter((t) => t.priority === 'critical').every((t) => t.deadlineS === 10)).toBe(true)
    expect(tasks.filter((t) => t.priority === 'low').every((t) => t.deadlineS === 300)).toBe(true)
    expect(tasks.filter((t) => t.priority === 'normal').every((t) => t.deadlineS === undefined)).toBe(true)
  })
})

describe('agent chains', () => {
  it('draws calls per task, carries context from call to call, and waits think time between calls', async () => {
    const tasks = await generate({
      kind: 'synthetic',
      ratePerS: 5,
      durationS: '2h',
      tokens: {input: {dist: 'uniform', min: 500, max: 1500}, output: {dist: 'uniform', min: 50, max: 150}},
      agent: {callsPerTask: {dist: 'uniform', min: 1, max: 5}, stepInputTokens: 200, thinkTimeS: {dist: 'exponential', mean: 4}},
    })
    const calls = tasks.map((t) => t.calls.length)
    expect(calls.reduce((a, b) => Math.min(a, b))).toBe(1)
    expect(calls.reduce((a, b) => Math.max(a, b))).toBe(5)
    const meanCalls = calls.reduce((a, b) => a + b) / calls.length
    expect(meanCalls).toBeGreaterThan(2.9)
    expect(meanCalls).toBeLessThan(3.1)
    const delays: number[] = []
    for (const t of tasks) {
      expect(t.calls[0].delayS).toBe(0)
      for (let k = 1; k < t.calls.length; k++) {
        const prev = t.calls[k - 1]
        expect(t.calls[k].inputTokens).toBe(prev.inputTokens + prev.outputTokens + 200)
        delays.push(t.calls[k].delayS)
      }
    }
    const meanDelay = delays.reduce((a, b) => a + b) / delays.length
    expect(meanDelay).toBeGreaterThan(3.7)
    expect(meanDelay).toBeLessThan(4.3)
  })

  it('a fixed context growth adds a draw per call, capped at maxContextTokens', async () => {
    const tasks = await generate({
      kind: 'synthetic',
      ratePerS: 1,
      durationS: '1h',
      tokens: {input: 1000, output: 100},
      agent: {callsPerTask: 30, contextGrowthTokens: 500, maxContextTokens: 8000},
    })
    for (const t of tasks) {
      expect(t.calls).toHaveLength(30)
      expect(t.calls.map((c) => c.inputTokens).slice(0, 4)).toEqual([1000, 1500, 2000, 2500])
      expect(t.calls.at(-1)!.inputTokens).toBe(8000)
    }
  })
})

describe('generic service-time tasks', () => {
  for (const [distribution, cvExpected] of [
    ['exponential', 1],
    ['deterministic', 0],
    ['lognormal', 0.5],
  ] as const) {
    it(`${distribution}: mean and spread of service times`, async () => {
      const tasks = await generate({kind: 'synthetic', ratePerS: 20, durationS: '1h', service: {distribution, meanS: 2, cv: 0.5}})
      const s = tasks.map((t) => t.serviceTimeS as number)
      const {mean, variance} = meanVar(s)
      expect(mean).toBeGreaterThan(1.94)
      expect(mean).toBeLessThan(2.06)
      expect(Math.sqrt(variance) / mean).toBeCloseTo(cvExpected, 1)
      expect(tasks[0].calls).toEqual([{inputTokens: 0, outputTokens: 0, delayS: 0}])
    })
  }
})
