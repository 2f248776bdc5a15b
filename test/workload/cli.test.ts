import {existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {ROOT, dataPath} from '../helpers/cli.js'
import {runCommand as runCli} from '../helpers/run-command.js'

const fixture = (name: string) => join(ROOT, 'test', 'fixtures', 'traces', name)
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-cli-'))
const azure = dataPath('traces', 'AzureLLMInferenceTrace_conv.csv')

/** One line of error, an optional hint, and never a stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n').filter((l) => !l.includes('ExperimentalWarning'))
  expect(lines[0]).toMatch(/^Error: /)
  expect(lines[0]).toMatch(pattern)
  expect(lines.slice(1).every((l) => l.startsWith('Hint: '))).toBe(true)
  expect(stderr).not.toMatch(/\n\s+at /)
}

beforeAll(() => {
  // End-to-end tests run the built CLI: build needs to be current (scripts/test.sh builds first).
  statSync(join(ROOT, 'dist', 'commands', 'trace', 'inspect.js'))
})

describe('fleetcap trace inspect', () => {
  it('prints a table and a rate sparkline for the Azure trace', async () => {
    const r = await runCli(['trace', 'inspect', azure, '--bucket', '5m'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('azure (time: iso')
    expect(r.stdout).toMatch(/rows\s+19,366/)
    expect(r.stdout).toMatch(/span\s+58m 22s/)
    expect(r.stdout).toMatch(/rate\s+[▁▂▃▄▅▆▇█]{12}\s+\(12 buckets of 5m\)/)
    expect(r.stdout).toMatch(/input tokens\s+1,154\.7\s+1,020/)
  })

  it('--json returns the inspection object', async () => {
    const r = await runCli(['trace', 'inspect', dataPath('traces', 'mooncake_conversation_trace.jsonl'), '--json', '--bucket', '600'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j).toMatchObject({format: 'mooncake', timeUnit: 'relative-ms', rows: 12_031, tasks: 12_031, rowsSkipped: 0, bucketS: 600})
    expect(j.ratePerBucket).toHaveLength(6)
    expect(Object.keys(j.inputTokens).sort()).toEqual(['count', 'max', 'mean', 'min', 'p50', 'p90', 'p99'])
    expect(j.spanS).toBeCloseTo(3536.999, 3)
  })

  it('a bad row: exit 2 and one line naming file, line and column', async () => {
    const file = fixture('bad-number.csv')
    const r = await runCli(['trace', 'inspect', file])
    expect(r.code).toBe(2)
    expectOneLineError(r.stderr, new RegExp(`${file.replaceAll('.', '\\.')}:4: column "input_tokens": not a number \\(got "12x"\\)`))
    expect(r.stderr).toMatch(/Hint: .*--skip-invalid/)
  })

  it('--skip-invalid counts and reports the bad rows', async () => {
    const r = await runCli(['trace', 'inspect', fixture('bad-lines.jsonl'), '--skip-invalid'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/skipped\s+2: missing-column 1 \(lines 4\); bad-json 1 \(lines 3\)/)
    const j = JSON.parse((await runCli(['trace', 'inspect', fixture('bad-lines.jsonl'), '--skip-invalid', '--json'])).stdout)
    expect(j.rowsSkipped).toBe(2)
    expect(j.rows).toBe(3)
  })

  it('--map and --reorder-window reach the reader', async () => {
    const file = join(tmp, 'custom.csv')
    writeFileSync(file, 'ts,p,c\n10,5,1\n8,6,2\n12,7,3\n')
    expect((await runCli(['trace', 'inspect', file, '--map', 'time=ts,input=p,output=c'])).code).toBe(2)
    const r = await runCli(['trace', 'inspect', file, '--map', 'time=ts,input=p,output=c', '--reorder-window', '5s', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({rows: 3, rowsReordered: 1, spanS: 4, mapping: {time: 'ts', inputTokens: 'p', outputTokens: 'c'}})
  })

  it('a missing file and a bad flag value exit 2 without a stack', async () => {
    const r = await runCli(['trace', 'inspect', join(tmp, 'nope.csv')])
    expect(r.code).toBe(2)
    expectOneLineError(r.stderr, /nope\.csv: cannot read the trace \(ENOENT\)/)
    const b = await runCli(['trace', 'inspect', azure, '--bucket', 'soon'])
    expect(b.code).toBe(2)
    expectOneLineError(b.stderr, /--bucket: "soon" is not a duration/)
  })

  it('--json errors are JSON on stdout with the exit code', async () => {
    const r = await runCli(['trace', 'inspect', fixture('negative-tokens.csv'), '--json'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error).toMatchObject({exit: 2, message: expect.stringContaining(':3: column "output_tokens": negative count (got "-5")')})
  })
})

describe('fleetcap trace generate', () => {
  it('writes a CSV that inspect reads back, same seed => same bytes', async () => {
    const a = join(tmp, 'a.csv')
    const b = join(tmp, 'b.csv')
    const args = ['--tasks-per-day', '20000', '--duration', '6h', '--shape', 'daily', '--input-tokens', '800', '--output-tokens', '120', '--seed', '5']
    const r = await runCli(['trace', 'generate', ...args, '--out', a, '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j).toMatchObject({out: a, seed: 5, durationS: 21_600})
    // 6 h from midnight with the trough at 2 h: well under a quarter of 20,000.
    expect(j.tasks).toBeGreaterThan(2000)
    expect(j.tasks).toBeLessThan(5000)
    expect(j.rows).toBe(j.tasks)
    expect((await runCli(['trace', 'generate', ...args, '--out', b])).code).toBe(0)
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'))
    const back = JSON.parse((await runCli(['trace', 'inspect', a, '--json'])).stdout)
    expect(back.tasks).toBe(j.tasks)
    expect(back.inputTokens.mean).toBe(800)
  })

  it('refuses to overwrite an existing file unless --force', async () => {
    const out = join(tmp, 'keep.csv')
    writeFileSync(out, 'precious\n')
    const args = ['trace', 'generate', '--rate', '1', '--duration', '60', '--input-tokens', '1', '--output-tokens', '1', '--out', out]
    const r = await runCli(args)
    expect(r.code).toBe(2)
    expectOneLineError(r.stderr, /keep\.csv: the output file exists/)
    expect(readFileSync(out, 'utf8')).toBe('precious\n')
    expect((await runCli([...args, '--force'])).code).toBe(0)
    expect(readFileSync(out, 'utf8')).toMatch(/^arrival_s,/)
  })

  it('--spec generates agent chains from a YAML spec (tokens fitted from a trace, path relative to the spec)', async () => {
    const spec = join(tmp, 'agents.yaml')
    writeFileSync(
      spec,
      [
        'seed: 3',
        'workload:',
        '  kind: synthetic',
        '  tasksPerDay: 5000',
        '  durationS: 2h',
        '  tokens:',
        `    input: {fromTrace: ${JSON.stringify(azure)}}`,
        `    output: {fromTrace: ${JSON.stringify(azure)}}`,
        '  priorities: {high: 1, normal: 3}',
        '  agent:',
        '    callsPerTask: {dist: uniform, min: 2, max: 6}',
        '    thinkTimeS: {dist: exponential, mean: 3}',
        '',
      ].join('\n'),
    )
    const out = join(tmp, 'agents.csv')
    const r = await runCli(['trace', 'generate', '--spec', spec, '--out', out, '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.seed).toBe(3)
    expect(j.rows).toBeGreaterThan(j.tasks * 3)
    const back = JSON.parse((await runCli(['trace', 'inspect', out, '--json'])).stdout)
    expect(back.tasks).toBe(j.tasks)
    expect(back.callsPerTask.min).toBe(2)
    expect(back.callsPerTask.max).toBe(6)
    expect(Object.keys(back.priorities).sort()).toEqual(['high', 'normal'])
  })

  it('a bad spec: exit 2, one line with file, line and field', async () => {
    const spec = join(tmp, 'bad.yaml')
    writeFileSync(spec, 'kind: synthetic\ntasksPerDay: 100\ndurationS: 1h\ntokens: {input: 10, output: 1}\nagent:\n  callsPerTask: many\n')
    const r = await runCli(['trace', 'generate', '--spec', spec, '--out', join(tmp, 'never.csv')])
    expect(r.code).toBe(2)
    expectOneLineError(r.stderr, /bad\.yaml:6: agent\.callsPerTask: /)
  })

  it('missing rate or tokens: exit 2 naming the flag', async () => {
    const out = join(tmp, 'x.csv')
    const r = await runCli(['trace', 'generate', '--duration', '1h', '--input-tokens', '1', '--output-tokens', '1', '--out', out])
    expect(r.code).toBe(2)
    expectOneLineError(r.stderr, /--tasks-per-day: give --tasks-per-day N or --rate R/)
    const t = await runCli(['trace', 'generate', '--rate', '1', '--duration', '1h', '--out', out])
    expect(t.code).toBe(2)
    expectOneLineError(t.stderr, /--input-tokens N and --output-tokens N/)
  })

  it('--rate and --tasks-per-day are one rate: 20000/day either way gives the same bytes', async () => {
    const shape = ['--duration', '2h', '--shape', 'daily', '--peak-hour', '1.5', '--peak-to-trough', '2.5', '--weekly', '1,1,1,1,1,0.5,0.5', '--input-tokens', '300', '--output-tokens', '30', '--seed', '4']
    const files = ['per-day.csv', 'rate-per-day.csv'].map((f) => join(tmp, f))
    const runs = [['--tasks-per-day', '20000'], ['--rate', '20000/day']]
    for (const [i, rate] of runs.entries()) expect((await runCli(['trace', 'generate', ...rate, ...shape, '--out', files[i]])).code).toBe(0)
    const bytes = readFileSync(files[0], 'utf8')
    expect(bytes.split('\n').length).toBeGreaterThan(100)
    expect(readFileSync(files[1], 'utf8')).toBe(bytes)
    const both = await runCli(['trace', 'generate', '--rate', '1', '--tasks-per-day', '5', ...shape, '--out', join(tmp, 'both.csv')])
    expect(both.code).toBe(2)
    expectOneLineError(both.stderr, /--rate: give --rate or --tasks-per-day, not both/)
  })

  it('each flag\'s value is checked by its kind: one line naming the flag, exit 2, nothing written', async () => {
    const out = join(tmp, 'never-written.csv')
    // A good command line with the case's flags put in (a flag given twice is oclif's other error).
    const line = (extra: string[]): string[] => {
      const flags = new Map([['--rate', '1'], ['--duration', '1h'], ['--input-tokens', '10'], ['--output-tokens', '2']])
      for (let i = 0; i < extra.length; i += 2) flags.set(extra[i], extra[i + 1])
      return ['trace', 'generate', ...[...flags].flat(), '--out', out]
    }
    const cases: Array<[string[], RegExp]> = [
      [['--weekly', '1,1,x,1,1,1,1'], /--weekly: item 3 \("x"\) is not a number/],
      [['--weekly', '1,1,1'], /--weekly: give 7 comma-separated numbers \(got 3/],
      [['--weekly', '1,1,1,1,1,1,-1'], /--weekly: item 7 must be at least 0 \(got -1\)/],
      [['--weekly', '0,0,0,0,0,0,0'], /--weekly: at least one day must be more than 0/],
      [['--shape', 'daily', '--peak-hour', '25'], /--peak-hour: must be at most 24 \(got 25\)/],
      [['--shape', 'daily', '--peak-to-trough', '0.5'], /--peak-to-trough: must be at least 1 \(got 0\.5\)/],
      [['--peak-hour', '3'], /--shape: --peak-hour and --peak-to-trough need --shape daily/],
      [['--input-tokens', '1.5'], /--input-tokens.*Expected an integer but received: 1\.5/],
      [['--output-tokens', '0'], /--output-tokens.*greater than or equal to 1/],
      [['--duration', 'soon'], /--duration: "soon" is not a duration/],
      [['--rate', '0'], /--rate: must be more than 0 \/s \(got 0\)/],
      [['--rate', '2/fortnight'], /--rate: "2\/fortnight" is not a rate/],
      [['--rate', '1e6'], /--rate: must be at most 100000 \/s/],
    ]
    for (const [extra, pattern] of cases) {
      const r = await runCli(line(extra))
      expect(r.code, extra.join(' ')).toBe(2)
      expectOneLineError(r.stderr, pattern)
    }
    expect(existsSync(out)).toBe(false)
    const day = await runCli(['trace', 'generate', '--tasks-per-day', '5/fortnight', '--duration', '1h', '--input-tokens', '1', '--output-tokens', '1', '--out', out])
    expectOneLineError(day.stderr, /--tasks-per-day: "5\/fortnight" is not a rate .*a bare number is per day/)
  })
})
