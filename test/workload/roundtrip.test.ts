import {existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {
  TRACE_CSV_HEADER,
  WorkloadSpecSchema,
  createWorkload,
  readTrace,
  writeTraceCsv,
  type Task,
  type TaskStream,
  type WorkloadSpecInput,
} from '../../src/workload/index.js'
import {ROOT, dataPath} from '../helpers/cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-rt-'))

async function collect(stream: TaskStream): Promise<Task[]> {
  const out: Task[] = []
  for await (const c of stream) out.push(...c)
  return out
}

function workload(input: WorkloadSpecInput, seed = 1, durationS?: number): TaskStream {
  return createWorkload(WorkloadSpecSchema.parse(input), {baseDir: ROOT, rng: new RandomStreams(seed), durationS})
}

describe('writeTraceCsv → readTrace round trip', () => {
  it('reads back exactly the tasks it wrote: agent chains, mixes, models, deadlines', async () => {
    const spec: WorkloadSpecInput = {
      kind: 'synthetic',
      tasksPerDay: 30_000,
      durationS: '3h',
      tokens: {input: {dist: 'lognormal', mean: 900, cv: 1}, output: {dist: 'exponential', mean: 150}},
      taskTypes: {chat: 1, 'code, review': 1},
      priorities: {critical: 1, normal: 4, low: 1},
      models: {'llama-3-70b': 1, 'mixtral "8x7b"': 1},
      deadlines: {critical: 5},
      agent: {callsPerTask: {dist: 'uniform', min: 1, max: 6}, stepInputTokens: {dist: 'uniform', min: 0, max: 300}, thinkTimeS: {dist: 'lognormal', mean: 2, cv: 2}},
    }
    const expected = await collect(workload(spec, 9))
    // Later calls of a chain say how much of their prompt the previous call's context is (prefix_tokens).
    expect(expected.some((t) => t.calls.length > 1 && (t.calls[1].sharedPrefixTokens ?? 0) > 0)).toBe(true)
    const path = join(tmp, 'agents.csv')
    const w = await writeTraceCsv(workload(spec, 9), path)
    expect(w.tasks).toBe(expected.length)
    expect(w.rows).toBe(expected.reduce((a, t) => a + t.calls.length, 0))
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(TRACE_CSV_HEADER)
    const reader = readTrace(path)
    const back = await collect(reader.tasks())
    expect(back).toEqual(expected)
    expect(reader.report()).toMatchObject({format: 'csv', timeUnit: 'relative-s', rowsRead: w.rows, rowsSkipped: 0})
    // No temp file is left beside the output.
    expect(readdirSync(tmp).filter((f) => f.startsWith('.fleetcap-tmp'))).toEqual([])
  })

  it('round-trips generic service-time tasks', async () => {
    const spec: WorkloadSpecInput = {kind: 'synthetic', ratePerS: 3, durationS: '20m', service: {distribution: 'lognormal', meanS: 1.5, cv: 0.8}}
    const expected = await collect(workload(spec, 4))
    const path = join(tmp, 'service.csv')
    await writeTraceCsv(workload(spec, 4), path)
    expect(await collect(readTrace(path).tasks())).toEqual(expected)
  })

  it('a chain whose rows are not consecutive is refused, naming line and call_index', async () => {
    const path = join(tmp, 'broken-chain.csv')
    writeFileSync(path, `${TRACE_CSV_HEADER}\n0,10,1,default,normal,,0,0,0,,,\n0,10,1,default,normal,,1,0,0,,,\n0,12,1,default,normal,,0,1,2,,,\n`)
    await expect(collect(readTrace(path).tasks())).rejects.toThrow(/broken-chain\.csv:4: column "call_index": call 1 of task "0" does not follow/)
  })

  it('refuses a shared prefix longer than the prompt, naming line and column', async () => {
    const path = join(tmp, 'bad-prefix.csv')
    writeFileSync(path, `${TRACE_CSV_HEADER}\n0,10,1,default,normal,,0,0,0,,,\n0,12,1,default,normal,,0,1,2,,,13\n`)
    await expect(collect(readTrace(path).tasks())).rejects.toThrow(/bad-prefix\.csv:3: column "prefix_tokens": more shared prefix tokens than input tokens \(13 > 12\)/)
  })

  it('leaves no file behind when the stream fails half way', async () => {
    const path = join(tmp, 'failed.csv')
    async function* failing(): AsyncGenerator<readonly Task[]> {
      yield [{id: 0, arrivalS: 0, taskType: 'default', priority: 'normal', calls: [{inputTokens: 1, outputTokens: 1, delayS: 0}]}]
      throw new Error('source failed')
    }
    await expect(writeTraceCsv(failing(), path)).rejects.toThrow('source failed')
    expect(existsSync(path)).toBe(false)
    expect(readdirSync(tmp).filter((f) => f.startsWith('.fleetcap-tmp'))).toEqual([])
  })
})

describe('trace replay workloads', () => {
  const azure = dataPath('traces', 'AzureLLMInferenceTrace_conv.csv')

  it('replays the trace as it is', async () => {
    const tasks = await collect(workload({kind: 'trace', path: azure}))
    expect(tasks).toHaveLength(19_366)
    expect(tasks[0].arrivalS).toBe(0)
  })

  it('rateScale 2 halves every arrival time', async () => {
    const plain = await collect(workload({kind: 'trace', path: azure}))
    const fast = await collect(workload({kind: 'trace', path: azure, rateScale: 2}))
    expect(fast).toHaveLength(plain.length)
    expect(fast[1000].arrivalS).toBeCloseTo(plain[1000].arrivalS / 2, 9)
  })

  it('targetTasksPerDay sets the replay speed to reach that mean rate', async () => {
    const tasks = await collect(workload({kind: 'trace', path: azure, targetTasksPerDay: 50_000}))
    const perDay = ((tasks.length - 1) / tasks.at(-1)!.arrivalS) * 86_400
    expect(perDay).toBeCloseTo(50_000, 0)
  })

  it('loop repeats the trace to fill the duration and cuts at it, ids continuing', async () => {
    const mooncake = dataPath('traces', 'mooncake_conversation_trace.jsonl')
    const tasks = await collect(workload({kind: 'trace', path: mooncake, loop: true}, 1, 3 * 3600))
    // One pass lasts 3,537 s, so 3 h holds three whole passes and the start of a fourth.
    expect(tasks.length).toBeGreaterThan(3 * 12_031)
    expect(tasks.length).toBeLessThan(4 * 12_031)
    expect(tasks.at(-1)!.arrivalS).toBeLessThan(3 * 3600)
    expect(tasks.at(-1)!.arrivalS).toBeGreaterThan(3 * 3600 - 60)
    expect(tasks.every((t, i) => t.id === i)).toBe(true)
    for (let i = 1; i < tasks.length; i++) if (tasks[i].arrivalS < tasks[i - 1].arrivalS) throw new Error(`unsorted at ${i}`)
    // The second pass starts one mean gap after the first pass's last arrival.
    const second = tasks[12_031]
    expect(second.calls[0]).toEqual(tasks[0].calls[0])
    expect(second.arrivalS).toBeGreaterThan(3536.999)
    expect(second.arrivalS).toBeLessThan(3536.999 + 1)
  })

  it('the scenario duration cuts a replay that sets none', async () => {
    const tasks = await collect(workload({kind: 'trace', path: azure}, 1, 300))
    expect(tasks.at(-1)!.arrivalS).toBeLessThan(300)
    expect(tasks.length).toBeGreaterThan(1000)
  })

  it('durationS cuts a plain replay', async () => {
    const tasks = await collect(workload({kind: 'trace', path: azure, durationS: '10m'}))
    expect(tasks.at(-1)!.arrivalS).toBeLessThan(600)
    expect(tasks.length).toBeGreaterThan(2500)
    expect(tasks.length).toBeLessThan(4000)
  })
})
