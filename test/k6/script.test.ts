import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {constantLoad, type LoadProfile} from '../../src/k6/load.js'
import {chooseTimeUnit, LLM_LATENCY, renderK6Script, type ScriptOptions, thresholdsFor} from '../../src/k6/script.js'
import {countPromptTokens, syntheticPrompt} from '../../src/k6/tokens.js'
import {ROOT} from '../helpers/cli.js'

const endpoint = {url: 'http://127.0.0.1:8000/', model: 'm', api: 'completions' as const, stream: true, headers: {authorization: 'Bearer x'}, requestTimeoutS: 30}
const opts: ScriptOptions = {endpoint, slo: {e2eP95S: 2, e2eP99S: 4.5, ttftP95S: 0.5, errorRateMax: 0.01}, expectedLatencyS: 3}
const load: LoadProfile = {
  executor: 'ramping-arrival-rate',
  stages: [
    {durationS: 10, ratePerS: 5.53},
    {durationS: 10, ratePerS: 12.2},
    {durationS: 4, ratePerS: 0.7},
  ],
  tasks: [[[100, 20, 0]], [[300, 50, 0], [400, 10, 2]]],
  origin: {trace: 'x.csv'},
}

describe('k6 script rendering', () => {
  it('picks the shortest time unit that keeps every rate within 1%', () => {
    expect(chooseTimeUnit([10, 30])[0]).toBe('1s')
    expect(chooseTimeUnit([5.53])[0]).toBe('10s')
    expect(chooseTimeUnit([5.53, 0.7])[0]).toBe('10s')
    expect(chooseTimeUnit([0.0123])[0]).toBe('1h')
    expect(chooseTimeUnit([0, 2])[0]).toBe('1s')
  })

  it('turns SLOs into k6 thresholds in milliseconds on successful LLM requests', () => {
    expect(thresholdsFor(opts.slo)).toEqual({
      [LLM_LATENCY]: ['p(95)<2000', 'p(99)<4500'],
      ttft: ['p(95)<500'],
      errors: ['rate<=0.01'],
    })
    expect(thresholdsFor({})).toEqual({})
  })

  it('sizes VUs by Little\'s law and writes a step function of stages', () => {
    const {meta, script, data} = renderK6Script(load, opts)
    expect(meta.timeUnit).toBe('10s')
    expect(meta.stages.map((s) => s.target)).toEqual([55, 122, 7])
    // 12.2/s × (3 s × 1.5 calls + 1 s mean wait) × 1.5 safety
    expect(meta.preAllocatedVUs).toBe(Math.ceil(12.2 * (3 * 1.5 + 1) * 1.5))
    expect(meta.maxVUs).toBe(Math.ceil(12.2 * 30 * 1.5))
    expect(meta.expectedIterations).toBeCloseTo(55 + 122 + 2.8, 6)
    expect(meta.endpoint.headerNames).toEqual(['authorization'])
    expect(script).toContain("executor\": \"ramping-arrival-rate\"")
    expect(script).toMatch(/"duration": "0s",\s+"target": 122\s+\},\s+\{\s+"duration": "10000ms",\s+"target": 122/)
    expect(script).toContain('"p(99)<4500"')
    expect(JSON.parse(data)).toEqual({tasks: load.tasks})
    // Same inputs, same bytes.
    expect(renderK6Script(load, opts).script).toBe(script)
  })

  it('renders a constant-arrival-rate scenario for a plan phase peak', () => {
    const {meta, script} = renderK6Script(constantLoad(40, 60, [[[10, 10, 0]]]), opts)
    expect(meta.executor).toBe('constant-arrival-rate')
    expect(script).toContain('"rate": 40')
    expect(script).toContain('"duration": "60000ms"')
  })

  it('rejects a URL that is not http(s) and a negative error budget', () => {
    expect(() => renderK6Script(load, {...opts, endpoint: {...endpoint, url: 'not a url'}})).toThrow(/--url: "not a url" is not a URL/)
    expect(() => renderK6Script(load, {...opts, endpoint: {...endpoint, url: 'ftp://x'}})).toThrow(/not http/)
    expect(() => renderK6Script(load, {...opts, slo: {errorRateMax: -1}})).toThrow(/max error rate/)
  })

  it.each([
    ['plain k6', false],
    ['the stream reader (with its .d.ts)', true],
  ])('type-checks against the k6 package types (@types/k6): %s', (_, streamReader) => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-k6-tsc-'))
    writeFileSync(join(dir, 'load.js'), renderK6Script(load, {...opts, endpoint: {...endpoint, api: 'chat', streamReader}}).script)
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {allowJs: true, checkJs: true, noEmit: true, strict: true, target: 'ES2020', module: 'ES2020', moduleResolution: 'node', lib: ['ES2020'], typeRoots: [join(ROOT, 'node_modules/@types')], types: ['k6']},
        files: ['load.js', ...(streamReader ? [join(ROOT, 'scripts/k6-stream/fleetcap-stream.d.ts')] : [])],
      }),
    )
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], {encoding: 'utf8'})
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('reads the stream with k6/x/fleetcap-stream only when asked and streaming', () => {
    const reader = renderK6Script(load, {...opts, endpoint: {...endpoint, streamReader: true}})
    expect(reader.script).toContain("import stream from 'k6/x/fleetcap-stream';")
    expect(reader.script).toContain('stream.post(BASE_URL + CONFIG.path')
    expect(reader.script).toContain('"requestTimeoutMs": 30000')
    expect(reader.script).not.toContain('http.post(')
    expect(reader.script).not.toContain("new Trend('ttft'")
    for (const variant of [renderK6Script(load, opts), renderK6Script(load, {...opts, endpoint: {...endpoint, stream: false, streamReader: true}})]) {
      expect(variant.script).not.toContain('k6/x/fleetcap-stream')
      expect(variant.script).toContain('http.post(BASE_URL + CONFIG.path')
      expect(variant.script).toContain("new Trend('ttft', true)")
    }
  })
})

describe('token-length prompts', () => {
  it('builds prompts whose word count is the token count, with a unique first word', () => {
    for (const n of [1, 2, 17, 1024]) expect(countPromptTokens(syntheticPrompt(n, 42))).toBe(n)
    expect(syntheticPrompt(3, 7, 'k2')).toBe('r7.k2 the the')
    expect(syntheticPrompt(0, 1)).toBe('')
    expect(countPromptTokens('  a\tb\nc  ')).toBe(3)
  })
})
