import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {readK6JsonOutput, readK6Summary} from '../../src/k6/summary.js'
import {ROOT} from '../helpers/cli.js'

// Captured from a real k6 v1.8.1 run of a generated script against the fake server (13 iterations,
// 10% injected errors, a p95 < 10 ms latency threshold that failed, an error-rate threshold that held).
const fixture = (name: string) => join(ROOT, 'test/fixtures/k6', name)

describe('k6 output readers', () => {
  it('reads handleSummary data: sub-metrics, thresholds, custom trends', async () => {
    const m = await readK6Summary(fixture('summary.json'))
    expect(m.format).toBe('summary')
    expect(m.iterations).toBe(13)
    expect(m.requests).toBe(13)
    expect(m.errorRate).toBeCloseTo(2 / 13, 9)
    expect(m.latencyMs?.count).toBe(11) // successful requests only
    expect(m.ttftMs?.p95).toBeGreaterThan(0)
    expect(m.tpotMs?.p50).toBeGreaterThan(0)
    expect(m.thresholds).toEqual([
      {metric: 'errors', expression: 'rate<=0.5', ok: true},
      {metric: 'http_req_duration{kind:llm,expected_response:true}', expression: 'p(95)<10', ok: false},
    ])
  })

  it('reads --summary-export, where a threshold\'s true means crossed', async () => {
    const m = await readK6Summary(fixture('summary-export.json'))
    expect(m.format).toBe('summary-export')
    expect(m.requests).toBe(13)
    expect(m.errorRate).toBeCloseTo(2 / 13, 9)
    expect(m.thresholds.sort((a, b) => a.metric.localeCompare(b.metric))).toEqual([
      {metric: 'errors', expression: 'rate<=0.5', ok: true},
      {metric: 'http_req_duration{kind:llm,expected_response:true}', expression: 'p(95)<10', ok: false},
    ])
  })

  it('computes the same figures from --out json samples', async () => {
    const s = await readK6Summary(fixture('summary.json'))
    const j = await readK6JsonOutput(fixture('k6-out.json'))
    expect(j.format).toBe('json-output')
    expect(j.requests).toBe(13)
    expect(j.iterations).toBe(13)
    expect(j.latencyMs?.count).toBe(11)
    expect(j.latencyMs?.max).toBeCloseTo(s.latencyMs!.max, 3)
    expect(j.latencyMs?.p50).toBeCloseTo(s.latencyMs!.p50, 3)
    expect(j.errorRate).toBeCloseTo(s.errorRate!, 9)
    expect(j.outputTokens).toBe(s.outputTokens)
  })

  it('names the file and line of bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-k6-sum-'))
    writeFileSync(join(dir, 'bad.json'), '{"hello": 1}')
    writeFileSync(join(dir, 'broken.json'), '{"metrics": ')
    writeFileSync(join(dir, 'bad.ndjson'), '{"type":"Metric","data":{}}\nnot json\n')
    await expect(readK6Summary(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: not a k6 summary/)
    await expect(readK6Summary(join(dir, 'broken.json'))).rejects.toThrow(/broken\.json: not JSON/)
    await expect(readK6Summary(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read: ENOENT/)
    await expect(readK6JsonOutput(join(dir, 'bad.ndjson'))).rejects.toThrow(/bad\.ndjson:2: not a JSON line/)
  })
})
