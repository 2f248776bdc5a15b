import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {dataPath, ROOT} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'

const AZURE = dataPath('traces', 'AzureLLMInferenceTrace_conv.csv')
const base = ['k6', 'export', '--url', 'http://127.0.0.1:8000', '--model', 'llama-3.1-8b']
const tmp = () => mkdtempSync(join(tmpdir(), 'fleetcap-k6-export-'))

describe('fleetcap k6 export', () => {
  it('replays the Azure trace: one stage per bucket, the trace\'s tokens, SLO thresholds', async () => {
    const out = join(tmp(), 'az')
    const r = await runCommand([...base, '--trace', AZURE, '--speedup', '60', '--duration', '1m', '--slo-from', join(ROOT, 'test/fixtures/k6/slo-scenario.yaml'), '--e2e-p95', '10s', '--out', out, '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const res = JSON.parse(r.stdout) as {meta: {stages: Array<{durationS: number; target: number}>; thresholds: Record<string, string[]>; expectedIterations: number; preAllocatedVUs: number}}
    // 3,502 s of trace at 60× in 60 s buckets: 58 full stages and a shorter last one.
    expect(res.meta.stages.length).toBe(59)
    expect(res.meta.expectedIterations).toBeGreaterThan(19_366 * 0.99)
    expect(res.meta.expectedIterations).toBeLessThan(19_366 * 1.01)
    // The flag wins over the file; the file's other objectives stay; queue wait is not a k6 figure.
    expect(res.meta.thresholds).toEqual({
      'http_req_duration{kind:llm,expected_response:true}': ['p(95)<10000'],
      ttft: ['p(99)<1500'],
      errors: ['rate<=0.02'],
    })
    const data = JSON.parse(readFileSync(join(out, 'requests.json'), 'utf8')) as {tasks: number[][][]}
    expect(data.tasks.slice(0, 3)).toEqual([[[374, 44, 0]], [[396, 109, 0]], [[879, 55, 0]]])
    expect(readFileSync(join(out, 'load.js'), 'utf8')).toContain("import http from 'k6/http';")
  })

  it('writes a constant-arrival-rate test at a peak rate with a given token mix', async () => {
    const out = join(tmp(), 'peak')
    const r = await runCommand([...base, '--rate', '40', '--duration', '2m', '--tokens', '512:128,2048:256', '--api', 'completions', '--out', out, '--json'])
    expect(r.code).toBe(0)
    const meta = JSON.parse(readFileSync(join(out, 'load-meta.json'), 'utf8')) as {executor: string; stages: unknown[]; endpoint: {api: string}}
    expect(meta.executor).toBe('constant-arrival-rate')
    expect(meta.stages).toEqual([{durationS: 120, target: 40}])
    expect(meta.endpoint.api).toBe('completions')
  })

  it('tests a plan phase at its planned load times a peak factor, with the plan\'s SLOs', async () => {
    const out = join(tmp(), 'phase')
    const plan = join(ROOT, 'test/fixtures/k6/plan.yaml')
    const r = await runCommand([...base, '--plan', plan, '--phase', 'phase-1', '--peak-factor', '2.5', '--duration', '30s', '--tokens', '100:50', '--out', out, '--json'])
    expect(r.code).toBe(0)
    const meta = JSON.parse(readFileSync(join(out, 'load-meta.json'), 'utf8')) as {executor: string; stages: unknown[]; thresholds: unknown; origin: unknown}
    // 86,400 tasks a day = 1 a second, × 2.5.
    expect(meta.executor).toBe('constant-arrival-rate')
    expect(meta.stages).toEqual([{durationS: 30, target: 25}])
    expect(meta.thresholds).toEqual({'http_req_duration{kind:llm,expected_response:true}': ['p(95)<8000', 'p(99)<20000']})
    const dated = await runCommand([...base, '--plan', plan, '--phase', 'launch', '--duration', '30s', '--tokens', '100:50', '--out', out])
    expect(dated.code).toBe(2)
    expect(dated.stderr).toMatch(/plan\.yaml: phase launch: is triggered by a date, not a load: give --rate/)
    const unknown = await runCommand([...base, '--plan', plan, '--phase', 'nope', '--duration', '30s', '--tokens', '100:50', '--out', out])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown phase "nope"; known: phase-1, launch/)
  })

  it('refuses bad input with one line naming the flag or file', async () => {
    const out = join(tmp(), 'x')
    const cases: Array<[string[], RegExp]> = [
      [[...base, '--out', out], /--trace: give a trace to replay/],
      [[...base, '--rate', '5', '--out', out], /--duration: a constant rate needs a test length/],
      [[...base, '--rate', '5', '--duration', '1m', '--tokens', '12x', '--out', out], /--tokens: "12x" is not INPUT:OUTPUT/],
      [[...base, '--rate', '0', '--duration', '1m', '--tokens', '1:1', '--out', out], /--rate: must be more than 0 \/s \(got 0\)/],
      [[...base, '--rate', '-5', '--duration', '1m', '--tokens', '1:1', '--out', out], /--rate: "-5" is not a rate/],
      [[...base, '--rate', '5 per hour', '--duration', '1m', '--tokens', '1:1', '--out', out], /--rate: "5 per hour" is not a rate/],
      [[...base, '--trace', AZURE, '--duration', 'soon', '--out', out], /--duration: "soon" is not a duration/],
      [[...base, '--trace', AZURE, '--speedup', '0', '--out', out], /--speedup: must be more than 0 \(got 0\)/],
      [[...base, '--plan', join(ROOT, 'test/fixtures/k6/plan.yaml'), '--phase', 'phase-1', '--peak-factor', '0.5', '--duration', '30s', '--tokens', '1:1', '--out', out], /--peak-factor: must be at least 1 \(got 0\.5\)/],
      [[...base, '--trace', AZURE, '--error-rate-max', '2', '--out', out], /--error-rate-max: must be at most 1 \(got 2\)/],
      [[...base, '--trace', AZURE, '--ttft-p95', '-1s', '--out', out], /--ttft-p95: /],
      [[...base, '--trace', AZURE, '--slo-from', join(ROOT, 'test/fixtures/k6/slo-bad.yaml'), '--out', out], /slo-bad\.yaml: slo\.e2eP95S: /],
      [[...base, '--trace', join(ROOT, 'nope.csv'), '--out', out], /nope\.csv/],
      [['k6', 'export', '--url', 'not a url', '--model', 'm', '--trace', AZURE, '--out', out], /--url: "not a url" is not a URL/],
    ]
    for (const [args, message] of cases) {
      const r = await runCommand(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr.split('\n')[0]).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('never overwrites a directory it did not write', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'mine.txt'), 'user data')
    const r = await runCommand([...base, '--rate', '5', '--duration', '10s', '--tokens', '10:10', '--out', dir])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/not empty and was not written by fleetcap/)
    expect(readFileSync(join(dir, 'mine.txt'), 'utf8')).toBe('user data')
  })
})
