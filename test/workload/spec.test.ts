import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {formatDuration, parseDuration, tryParseDuration} from '../../src/util/duration.js'
import {InputError} from '../../src/errors.js'
import {WorkloadSpecSchema, loadWorkloadSpecFile, parseMappingFlag} from '../../src/workload/index.js'
import {ROOT} from '../helpers/cli.js'

describe('durations', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86_400],
    ['1w', 604_800],
    ['1h30m', 5400],
    ['500ms', 0.5],
    ['42', 42],
    ['1.5h', 5400],
  ])('%s is %d s', (text, s) => {
    expect(parseDuration(text)).toBe(s)
  })

  it.each(['', 'abc', '5x', '-3s', '1h-2m'])('"%s" is refused, quoting the text', (text) => {
    expect(tryParseDuration(text)).toBeUndefined()
    expect(() => parseDuration(text)).toThrow(`(got "${text}")`)
  })

  it('formats seconds for people', () => {
    expect(formatDuration(3502)).toBe('58m 22s')
    expect(formatDuration(90_000)).toBe('1d 1h')
    expect(formatDuration(2.5)).toBe('2.5s')
  })
})

describe('WorkloadSpecSchema', () => {
  it('accepts a full synthetic spec and turns durations into seconds', () => {
    const spec = WorkloadSpecSchema.parse({
      kind: 'synthetic',
      tasksPerDay: 5000,
      durationS: '1d',
      shape: {daily: {peakHour: 14, peakToTrough: 3}, weekly: [1, 1, 1, 1, 1, 0.5, 0.5]},
      bursts: {states: [{rateMultiplier: 4, meanDwellS: '5m'}, {rateMultiplier: 0.8, meanDwellS: '1h'}]},
      tokens: {input: {fromTrace: 'trace.csv'}, output: {dist: 'lognormal', mean: 200, cv: 1, max: 4096}},
      priorities: {critical: 1, normal: 9},
      deadlines: {critical: '30s'},
      agent: {callsPerTask: {dist: 'uniform', min: 2, max: 8}, thinkTimeS: {dist: 'exponential', mean: 5}},
    })
    expect(spec.kind === 'synthetic' && spec.durationS).toBe(86_400)
    expect(spec.kind === 'synthetic' && spec.bursts?.states[0].meanDwellS).toBe(300)
    expect(spec.kind === 'synthetic' && spec.deadlines?.critical).toBe(30)
  })

  it.each([
    [{kind: 'synthetic', durationS: 10, tokens: {input: 1, output: 1}}, 'tasksPerDay', /exactly one of tasksPerDay or ratePerS/],
    [{kind: 'synthetic', tasksPerDay: 1, ratePerS: 1, tokens: {input: 1, output: 1}}, 'tasksPerDay', /exactly one/],
    [{kind: 'synthetic', tasksPerDay: 1}, 'tokens', /tokens .* or service/],
    [{kind: 'synthetic', tasksPerDay: -5, tokens: {input: 1, output: 1}}, 'tasksPerDay', /./],
    [{kind: 'synthetic', tasksPerDay: 5, tokens: {input: 1, output: 1}, shape: {daily: [1, 2]}}, 'shape.daily', /./],
    [{kind: 'synthetic', tasksPerDay: 5, tokens: {input: 1, output: 1}, priorites: {high: 1}}, '', /priorites/],
    [{kind: 'trace', path: 'x.csv', rateScale: 2, targetTasksPerDay: 5}, 'targetTasksPerDay', /not both/],
    [{kind: 'replay', path: 'x.csv'}, 'kind', /./],
  ])('refuses %j at %s', (input, path, message) => {
    const r = WorkloadSpecSchema.safeParse(input)
    expect(r.success).toBe(false)
    const issue = r.error!.issues[0]
    if (path !== '') expect(issue.path.join('.')).toContain(path)
    expect(JSON.stringify(r.error!.issues)).toMatch(message)
  })

  it('publishes a JSON Schema with descriptions for editors', () => {
    const schema = z.toJSONSchema(WorkloadSpecSchema, {io: 'input'})
    const text = JSON.stringify(schema)
    expect(text).toContain('Mean tasks per day')
    expect(text).toContain('Markov-modulated')
    expect(text).toContain('"carry"')
  })
})

describe('spec files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetcap-spec-'))

  it('reads the workload section of a scenario, with seed and baseDir', async () => {
    const p = join(dir, 'scenario.yaml')
    writeFileSync(p, 'seed: 7\nworkload:\n  kind: synthetic\n  tasksPerDay: 500\n  durationS: 1d\n  tokens: {input: 100, output: 10}\n')
    const loaded = await loadWorkloadSpecFile(p)
    expect(loaded).toMatchObject({seed: 7, baseDir: dir, spec: {kind: 'synthetic', tasksPerDay: 500, durationS: 86_400}})
  })

  it('names the file, line and field of a schema error', async () => {
    const p = join(dir, 'bad.yaml')
    writeFileSync(p, 'workload:\n  kind: synthetic\n  tasksPerDay: 500\n  durationS: soon\n  tokens: {input: 100, output: 10}\n')
    const e = await loadWorkloadSpecFile(p).catch((error: unknown) => error)
    expect(e).toBeInstanceOf(InputError)
    expect((e as InputError).message).toBe(`${p}:4: workload.durationS: not a duration (got "soon"); write e.g. 90s, 15m, 2h, 1d`)
  })

  it('explains a union error by the branch that was meant (a lognormal without cv)', async () => {
    const p = join(dir, 'nocv.yaml')
    writeFileSync(p, 'kind: synthetic\ntasksPerDay: 100\ndurationS: 1h\ntokens:\n  input: {dist: lognormal, mean: 10}\n  output: 1\n')
    await expect(loadWorkloadSpecFile(p)).rejects.toThrow(`${p}:5: tokens.input.cv: expected number, received undefined`)
  })

  it('the example spec in docs/workload.md is valid', async () => {
    const doc = readFileSync(join(ROOT, 'docs', 'workload.md'), 'utf8')
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1]
    expect(yaml).toContain('kind: synthetic')
    const p = join(dir, 'from-docs.yaml')
    writeFileSync(p, yaml as string)
    const loaded = await loadWorkloadSpecFile(p)
    expect(loaded.seed).toBe(7)
    expect(loaded.spec).toMatchObject({kind: 'synthetic', tasksPerDay: 5000, durationS: 86_400, deadlines: {critical: 30, high: 300}})
  })

  it('names the line of a YAML syntax error', async () => {
    const p = join(dir, 'syntax.yaml')
    writeFileSync(p, 'kind: synthetic\ntasksPerDay: [1, 2\n')
    await expect(loadWorkloadSpecFile(p)).rejects.toThrow(/syntax\.yaml:\d+: not valid YAML/)
  })
})

describe('--map flag', () => {
  it('parses short and long field names', () => {
    expect(parseMappingFlag('time=TIMESTAMP,input=ContextTokens,outputTokens=GeneratedTokens,type=kind')).toEqual({
      time: 'TIMESTAMP',
      inputTokens: 'ContextTokens',
      outputTokens: 'GeneratedTokens',
      taskType: 'kind',
    })
  })

  it('refuses an unknown field or a pair without "="', () => {
    expect(() => parseMappingFlag('when=ts')).toThrow(/unknown field "when"/)
    expect(() => parseMappingFlag('time')).toThrow(/FIELD=COLUMN/)
  })
})
