import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/errors.js'
import {readTrace, type Task, type TraceReadOptions, type TraceRow} from '../../src/workload/index.js'
import {ROOT, dataPath} from '../helpers/cli.js'

const fixture = (name: string) => join(ROOT, 'test', 'fixtures', 'traces', name)
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-read-'))
function tmpFile(name: string, text: string): string {
  const p = join(tmp, name)
  writeFileSync(p, text)
  return p
}

async function allTasks(path: string, options?: TraceReadOptions) {
  const reader = readTrace(path, options)
  const tasks: Task[] = []
  for await (const chunk of reader.tasks()) tasks.push(...chunk)
  return {tasks, report: reader.report()}
}

async function allRows(path: string, options?: TraceReadOptions) {
  const reader = readTrace(path, options)
  const rows: TraceRow[] = []
  let chunks = 0
  for await (const chunk of reader.rows()) {
    chunks++
    rows.push(...chunk)
  }
  return {rows, chunks, report: reader.report()}
}

async function errorOf(p: Promise<unknown>): Promise<InputError> {
  try {
    await p
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error('expected an InputError')
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

describe('real public traces', () => {
  it('reads the Azure conversation trace as it is (7 fractional digits, no trailing newline)', async () => {
    const {tasks, report} = await allTasks(dataPath('traces', 'AzureLLMInferenceTrace_conv.csv'), {chunkSize: 1000})
    expect(report.format).toBe('azure')
    expect(report.timeUnit).toBe('iso')
    expect(tasks).toHaveLength(19_366)
    expect(report.rowsRead).toBe(19_366)
    expect(report.rowsSkipped).toBe(0)
    expect(report.spanS).toBeGreaterThan(3501)
    expect(report.spanS).toBeLessThan(3503)
    expect(report.firstTimeIso).toBe('2023-11-16T18:15:46.681Z')
    expect(report.lastTimeIso).toBe('2023-11-16T19:14:08.403Z')
    // The last row (no newline after it) is read: 2023-11-16 19:14:08.4025270,197,183
    expect(tasks.at(-1)?.calls[0]).toEqual({inputTokens: 197, outputTokens: 183, delayS: 0})
    expect(tasks[0].arrivalS).toBe(0)
    // Sub-millisecond precision survives: row 2 is 4.3145790 s after row 1.
    expect(tasks[1].arrivalS).toBeCloseTo(4.314579, 5)
    // README: ContextTokens median 1,020 / mean 1,155, GeneratedTokens median 129 / mean 211.
    const inputs = tasks.map((t) => t.calls[0].inputTokens)
    const outputs = tasks.map((t) => t.calls[0].outputTokens)
    expect(median(inputs)).toBe(1020)
    expect(median(outputs)).toBe(129)
    expect(Math.round(inputs.reduce((a, b) => a + b) / inputs.length)).toBe(1155)
    expect(Math.round(outputs.reduce((a, b) => a + b) / outputs.length)).toBe(211)
    expect(tasks.every((t, i) => t.id === i && t.priority === 'normal' && t.taskType === 'default')).toBe(true)
  })

  it('reads the Mooncake JSONL trace (relative milliseconds, shared timestamps)', async () => {
    const {tasks, report} = await allTasks(dataPath('traces', 'mooncake_conversation_trace.jsonl'))
    expect(report.format).toBe('mooncake')
    expect(report.timeUnit).toBe('relative-ms')
    expect(tasks).toHaveLength(12_031)
    expect(report.firstTimeS).toBe(0)
    expect(report.lastTimeS).toBeCloseTo(3536.999, 6)
    const meanIn = tasks.reduce((a, t) => a + t.calls[0].inputTokens, 0) / tasks.length
    const meanOut = tasks.reduce((a, t) => a + t.calls[0].outputTokens, 0) / tasks.length
    expect(Math.round(meanIn)).toBe(12_035)
    expect(Math.round(meanOut)).toBe(343)
    expect(tasks[0].calls[0]).toEqual({inputTokens: 6758, outputTokens: 500, delayS: 0})
  })

  it('streams in chunks of the requested size', async () => {
    const {rows, chunks} = await allRows(dataPath('traces', 'AzureLLMInferenceTrace_conv.csv'), {chunkSize: 4096})
    expect(rows).toHaveLength(19_366)
    expect(chunks).toBe(Math.ceil(19_366 / 4096))
  })
})

describe('BurstGPT format (hand-made fixture)', () => {
  it('maps Timestamp, Model, Request/Response tokens and Log Type', async () => {
    const {tasks, report} = await allTasks(fixture('burstgpt-sample.csv'))
    expect(report.format).toBe('burstgpt')
    expect(report.timeUnit).toBe('relative-s')
    expect(tasks).toHaveLength(40)
    // First data row: 1,GPT-4,1134,138,1272,API log
    expect(tasks[0]).toMatchObject({arrivalS: 1, model: 'GPT-4', taskType: 'API log', calls: [{inputTokens: 1134, outputTokens: 138, delayS: 0}]})
    expect(new Set(tasks.map((t) => t.model))).toEqual(new Set(['ChatGPT', 'GPT-4']))
  })
})

describe('bad rows', () => {
  const cases = [
    {file: 'bad-number.csv', line: 4, column: 'input_tokens', got: '12x', reason: 'bad-number', good: 3},
    {file: 'negative-tokens.csv', line: 3, column: 'output_tokens', got: '-5', reason: 'negative', good: 2},
    {file: 'bad-timestamp.csv', line: 5, column: 'TIMESTAMP', got: '2023-11-16 25:15:51.9765870', reason: 'bad-time', good: 4},
    {file: 'missing-column.csv', line: 4, column: 'completion_tokens', got: undefined, reason: 'missing-column', good: 3},
    {file: 'bad-priority.csv', line: 3, column: 'priority', got: 'urgent', reason: 'bad-priority', good: 2},
  ] as const

  for (const c of cases) {
    it(`${c.file}: names file, line ${c.line} and column ${c.column}`, async () => {
      const path = fixture(c.file)
      const e = await errorOf(allTasks(path))
      expect(e.location).toMatchObject({file: path, line: c.line, column: c.column})
      expect(e.message).toContain(`${path}:${c.line}: column "${c.column}"`)
      if (c.got !== undefined) expect(e.message).toContain(`(got "${c.got}")`)
      expect(e.exit).toBe(2)
    })

    it(`${c.file}: with skipInvalid, skips and counts`, async () => {
      const {tasks, report} = await allTasks(fixture(c.file), {skipInvalid: true})
      expect(tasks).toHaveLength(c.good)
      expect(report.rowsSkipped).toBe(1)
      expect(report.skipped).toEqual([{reason: c.reason, count: 1, firstLines: [c.line]}])
    })
  }

  it('JSONL: a cut line and a missing key name their line', async () => {
    const path = fixture('bad-lines.jsonl')
    const e = await errorOf(allTasks(path))
    expect(e.location.line).toBe(3)
    expect(e.message).toMatch(/not a JSON object/)
    const {tasks, report} = await allTasks(path, {skipInvalid: true})
    expect(tasks.map((t) => t.arrivalS)).toEqual([0, 3, 9])
    expect(report.skipped).toEqual([
      {reason: 'missing-column', count: 1, firstLines: [4]},
      {reason: 'bad-json', count: 1, firstLines: [3]},
    ])
  })

  it('a mapping to a column that does not exist is refused at line 1, listing the header', async () => {
    const e = await errorOf(allTasks(fixture('bad-number.csv'), {mapping: {inputTokens: 'prompt'}}))
    expect(e.location).toMatchObject({line: 1, column: 'prompt'})
    expect(e.message).toContain('timestamp, input_tokens, output_tokens')
  })

  it('a CSV without a time column is refused', async () => {
    const e = await errorOf(allTasks(tmpFile('notime.csv', 'a,b\n1,2\n')))
    expect(e.message).toMatch(/no arrival-time column/)
  })

  it('a missing file is an InputError, not a crash', async () => {
    const e = await errorOf(allTasks(join(tmp, 'nope.csv')))
    expect(e.message).toMatch(/cannot read the trace \(ENOENT\)/)
  })
})

describe('time detection', () => {
  const cases: Array<[string, string, string, number]> = [
    ['iso-space-7-digits', '2023-11-16 18:15:46.6805900', 'iso', 1700158546.68059],
    ['iso-T-Z', '2024-02-29T00:00:01.5Z', 'iso', 1709164801.5],
    ['iso-offset', '2024-01-01T02:00:00+02:00', 'iso', 1704067200],
    ['epoch-s', '1700158546.25', 'epoch-s', 1700158546.25],
    ['epoch-ms', '1700158546250', 'epoch-ms', 1700158546.25],
    ['relative-s', '12.5', 'relative-s', 12.5],
  ]
  for (const [name, first, unit, abs] of cases) {
    it(`${name}: ${first} is ${unit}`, async () => {
      const second = unit === 'epoch-ms' ? String(Number(first) + 2000) : unit === 'iso' ? first : String(Number(first) + 2)
      const path = tmpFile(`${name}.csv`, `time,input_tokens,output_tokens\n${first},1,1\n${second},2,2\n`)
      const {tasks, report} = await allTasks(path)
      expect(report.timeUnit).toBe(unit)
      expect(report.firstTimeS).toBeCloseTo(abs, 6)
      expect(tasks[0].arrivalS).toBe(unit === 'relative-s' ? 12.5 : 0)
      if (unit !== 'iso') expect(tasks[1].arrivalS - tasks[0].arrivalS).toBeCloseTo(2, 6)
    })
  }

  it('a header ending in _ms reads milliseconds', async () => {
    const path = tmpFile('ms.csv', 'time_ms,input_tokens,output_tokens\n0,1,1\n1500,1,1\n')
    const {tasks, report} = await allTasks(path)
    expect(report.timeUnit).toBe('relative-ms')
    expect(tasks[1].arrivalS).toBe(1.5)
  })

  it('a time of another kind than the file\'s first is refused with its line', async () => {
    const path = tmpFile('mixed.csv', 'time,input_tokens\n2023-11-16 18:15:46,1\n17,1\n')
    const e = await errorOf(allTasks(path))
    expect(e.location).toMatchObject({line: 3, column: 'time'})
    expect(e.message).toContain('(got "17")')
  })

  it('an impossible date (31 February) is a bad time', async () => {
    const path = tmpFile('feb.csv', 'time,input_tokens\n2023-02-27 00:00:00,1\n2023-02-31 00:00:00,1\n')
    const e = await errorOf(allTasks(path))
    expect(e.location.line).toBe(3)
  })
})

describe('unsorted input', () => {
  const path = fixture('unsorted.csv')

  it('is refused by default at the first row out of order, naming it', async () => {
    const e = await errorOf(allTasks(path))
    expect(e.location).toMatchObject({line: 4, column: 'arrival_s'})
    expect(e.message).toMatch(/out of order: 2 s earlier than line 3/)
    expect(e.hint).toMatch(/--reorder-window/)
  })

  it('is put in order within the reorder window', async () => {
    const {tasks, report} = await allTasks(path, {reorderWindowS: 12})
    expect(tasks.map((t) => t.arrivalS)).toEqual([0, 3, 5, 6.5, 8, 9, 20, 30])
    expect(tasks.map((t) => t.calls[0].outputTokens)).toEqual([1, 3, 2, 5, 4, 7, 6, 8])
    expect(report.rowsReordered).toBe(3)
  })

  it('is refused beyond the window (line 8 is 11 s late, window 2 s)', async () => {
    const e = await errorOf(allTasks(path, {reorderWindowS: 2}))
    expect(e.location.line).toBe(8)
    expect(e.message).toMatch(/11 s earlier than line 7, beyond the reorder window of 2 s/)
    const {tasks, report} = await allTasks(path, {reorderWindowS: 2, skipInvalid: true})
    expect(tasks.map((t) => t.arrivalS)).toEqual([0, 3, 5, 6.5, 8, 20, 30])
    expect(report.skipped).toEqual([{reason: 'out-of-order', count: 1, firstLines: [8]}])
  })
})

describe('mapping and defaults', () => {
  it('maps columns by user mapping and reads priority, type and model', async () => {
    const path = tmpFile('custom.csv', 'when,p,c,kind,prio,llm\n100,10,1,chat,HIGH,llama\n101,20,2,,,\n')
    const {tasks} = await allTasks(path, {mapping: {time: 'when', inputTokens: 'p', outputTokens: 'c', taskType: 'kind', priority: 'prio', model: 'llm'}, defaultPriority: 'low'})
    expect(tasks[0]).toMatchObject({taskType: 'chat', priority: 'high', model: 'llama', calls: [{inputTokens: 10, outputTokens: 1}]})
    // Relative times keep the file's own origin (an absolute file's would start at 0).
    expect(tasks[1]).toMatchObject({taskType: 'default', priority: 'low', arrivalS: 101})
    expect(tasks[1].model).toBeUndefined()
  })

  it('recognises header aliases (prompt_tokens, completion_tokens, type)', async () => {
    const path = tmpFile('alias.csv', 'arrival_time,prompt_tokens,completion_tokens,type\n0,5,6,code\n')
    const {tasks, report} = await allTasks(path)
    expect(report.mapping).toMatchObject({time: 'arrival_time', inputTokens: 'prompt_tokens', outputTokens: 'completion_tokens', taskType: 'type'})
    expect(tasks[0]).toMatchObject({taskType: 'code', calls: [{inputTokens: 5, outputTokens: 6}]})
  })

  it('reads CRLF line ends, a byte-order mark and blank lines', async () => {
    const path = tmpFile('crlf.csv', '\uFEFFtime,input_tokens,output_tokens\r\n0,5,1\r\n\r\n1,3,1\r\n')
    const {tasks, report} = await allTasks(path)
    expect(report.mapping.time).toBe('time')
    expect(tasks.map((t) => t.calls[0].inputTokens)).toEqual([5, 3])
  })

  it('report() before a pass is an error', () => {
    expect(() => readTrace(fixture('unsorted.csv')).report()).toThrow(/before the trace was read/)
  })
})
