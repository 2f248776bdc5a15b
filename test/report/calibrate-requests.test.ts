/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="dom.asynciterable" />
// Callbacks passed to page.evaluate run in the browser: they use its globals (document, window).
/**
 * calibrate per request, end to end: a real k6 run (scripts/test-deps/k6.sh) against the fake
 * OpenAI server on loopback, 25 % slower than its profile; `calibrate --k6-json --html` joins each
 * request k6 measured with its twin in the simulation, and the page, opened in Chromium, draws one
 * point per request and series in each per-request chart. The same inputs give the same page.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {findK6} from '../../src/k6/binary.js'
import {writeK6Export} from '../../src/k6/export.js'
import {constantLoad} from '../../src/k6/load.js'
import {renderK6Script} from '../../src/k6/script.js'
import {ROOT, runCli} from '../helpers/cli.js'
import {optionalDependency} from '../helpers/deps.js'
import {chromiumMissing, embeddedData, ReportBrowser} from './browser.js'

const k6 = optionalDependency('k6', () => findK6(), 'scripts/test-deps/k6.sh')

interface Stats {
  metric: 'ttft' | 'e2e'
  series: 'before' | 'after'
  n: number
  rmsLogError: number
  medianRelError: number
}

describe.skipIf(k6 === undefined || chromiumMissing !== undefined)('calibrate --k6-json: each request measured against its simulated twin', () => {
  let server: ChildProcess
  let url: string
  const browser = new ReportBrowser()
  beforeAll(async () => {
    server = spawn(process.execPath, [join(ROOT, 'tools/fake-openai/serve.mjs'), '--model', 'llama-3.1-8b', '--gpu', 'A100-80GB', '--scale', '1.25'], {stdio: ['ignore', 'pipe', 'inherit']})
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({input: server.stdout!}).once('line', resolve)
      server.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)))
    })
    url = (JSON.parse(first) as {url: string}).url
    await browser.start()
  })
  afterAll(async () => {
    server?.kill('SIGTERM')
    await browser.stop()
  })

  it('joins every request by its id, fits, and charts measured against predicted and the residuals', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-calibrate-requests-'))
    const dir = join(tmp, 'load')
    // 10 s at 6 requests/s; prompts of 100-800 tokens, 20-80 output tokens.
    const load = constantLoad(6, 10, [[[300, 40, 0]], [[800, 80, 0]], [[100, 20, 0]]])
    await writeK6Export(
      dir,
      renderK6Script(load, {endpoint: {url, model: 'llama-3.1-8b', api: 'chat', stream: true, headers: {}, requestTimeoutS: 20}, slo: {errorRateMax: 0.01}, expectedLatencyS: 2}),
    )
    const samples = join(tmp, 'samples.json')
    const run = runCli(['k6', 'run', dir, '--k6', k6!, '--k6-json', samples, '--json'])
    expect(run.code, run.stderr).toBe(0)
    const requests = (JSON.parse(run.stdout) as {summary: {requests: number}}).summary.requests
    expect(requests).toBeGreaterThanOrEqual(59)

    const file = join(tmp, 'calibrate.html')
    const args = ['calibrate', '--k6-json', samples, '--load', dir, '--model', 'llama-3.1-8b', '--gpu', 'A100-80GB', '--json']
    const cal = runCli([...args, '--html', file])
    expect(cal.code, cal.stderr).toBe(0)
    const out = JSON.parse(cal.stdout) as {stepScale: number; requests: {stride: number; measured: number; failed: number; unmatched: number; compared: number; stats: Stats[]}}
    const stat = (metric: Stats['metric'], series: Stats['series']): Stats => out.requests.stats.find((s) => s.metric === metric && s.series === series)!
    process.stderr.write(
      `per request: ${out.requests.compared} compared, e2e RMS log error ${stat('e2e', 'before').rmsLogError.toFixed(3)} -> ${stat('e2e', 'after').rmsLogError.toFixed(3)}, TTFT ${stat('ttft', 'before').rmsLogError.toFixed(3)} -> ${stat('ttft', 'after').rmsLogError.toFixed(3)} (factor ${out.stepScale.toFixed(3)})\n`,
    )
    // Every request k6 sent carries its id and has a twin: none failed, none unmatched.
    expect(out.requests).toMatchObject({stride: 1, measured: requests, failed: 0, unmatched: 0, compared: requests})
    // The server is 25 % slower than the profile: each request's e2e is under-predicted before the
    // fit (median about −20 %), and the median is within 10 % after it. (Medians: the fake server
    // runs on the wall clock of a shared machine, so a few requests stray.)
    expect(stat('e2e', 'before').medianRelError).toBeLessThan(-0.15)
    expect(Math.abs(stat('e2e', 'after').medianRelError)).toBeLessThan(0.1)
    expect(stat('e2e', 'after').rmsLogError).toBeLessThan(stat('e2e', 'before').rmsLogError / 2)
    expect(stat('ttft', 'after').n).toBe(requests)

    const html = readFileSync(file, 'utf8')
    const again = join(tmp, 'again.html')
    expect(runCli([...args, '--html', again]).code).toBe(0)
    expect(readFileSync(again, 'utf8')).toBe(html)

    const r = await browser.open(file, 'calibrate-per-request')
    try {
      expect(r.consoleErrors).toEqual([])
      expect(r.requests).toEqual([])
      const data = embeddedData(html)
      const series = ['before (profile as shipped)', `after (step time × ${out.stepScale.toFixed(3)})`]
      for (const metric of ['ttft', 'e2e']) {
        const c = r.charts[`calibrate-requests-${metric}`]
        expect(c.rendered).toBe(true)
        // One point per request and series, drawn as one SVG symbol each.
        expect(c.datasets[`calibrate-requests-${metric}`]).toBe(2 * requests)
        expect(data[`calibrate-requests-${metric}`].rows.length).toBe(2 * requests)
        expect(c.series).toEqual(series)
      }
      const res = r.charts['calibrate-request-residuals']
      expect(res.rendered).toBe(true)
      expect(res.datasets['calibrate-request-residuals']).toBe(4 * requests)
      expect(res.series).toEqual(series)
      const symbols = await r.page.evaluate(() => document.querySelectorAll('#chart-calibrate-request-residuals svg g.mark-symbol.role-mark path').length)
      expect(symbols).toBe(4 * requests)
    } finally {
      await r.close()
    }
  })
})
