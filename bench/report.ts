/**
 * The HTML report of a 10M-request simulation: its size and its first paint in headless Chromium
 * (the page's own performance paint timing). Acceptance: ≤ 5 MB, first paint < 2 s.
 *   node dist/bench/report.js [--quick]     (--quick: 1M requests)
 * Needs Chromium (scripts/test-deps/chromium.sh); without it only the size is printed.
 */
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {pathToFileURL} from 'node:url'

import {renderPage} from '../src/report/html/page.js'
import {simulationPage} from '../src/report/html/simulate-page.js'
import {roundedReport} from '../src/report/render.js'
import {parseScenario} from '../src/scenario/load.js'
import {simulate} from '../src/pipeline/simulate.js'

const quick = process.argv.includes('--quick')
const durationS = quick ? 1000 : 10_000
const scenario = parseScenario(
  `apiVersion: fleetcap.dev/v1
kind: Scenario
name: bench-report-${quick ? '1M' : '10M'}
seed: 1
duration: ${durationS}
workload:
  kind: synthetic
  ratePerS: 1000
  tokens:
    input: {dist: lognormal, mean: 600, cv: 0.8, min: 10, max: 8000}
    output: {dist: lognormal, mean: 120, cv: 1.0, min: 1, max: 1000}
  priorities: {high: 20, normal: 80}
fleet:
  pools:
    - {name: a100, gpu: A100-80GB, model: llama-3.1-8b, replicas: 200}
slo: {ttftP95S: 2, e2eP95S: 30}
report: {sampleIntervalS: 1}
`,
  'bench/report.ts',
)

const t0 = performance.now()
const result = await simulate(scenario, {chartData: true})
const simS = (performance.now() - t0) / 1000
const t1 = performance.now()
const html = renderPage(simulationPage({report: roundedReport(result.report), timeSeries: result.timeSeries, charts: result.charts}))
const renderS = (performance.now() - t1) / 1000
const bytes = Buffer.byteLength(html)
const samples = result.timeSeries.rows.length / result.timeSeries.columns.length
console.log(`requests ${result.report.tasks.arrived.toLocaleString('en-US')}; time-series samples ${samples.toLocaleString('en-US')} (1 s apart, downsampled in the page)`)
console.log(`simulate ${simS.toFixed(1)} s; page built in ${renderS.toFixed(2)} s`)
console.log(`report size ${(bytes / 1e6).toFixed(2)} MB (${bytes.toLocaleString('en-US')} bytes); acceptance ≤ 5 MB: ${bytes <= 5e6 ? 'met' : 'NOT met'}`)

const chromium = process.env.FLEETCAP_CHROMIUM ?? '/usr/bin/chromium'
if (!existsSync(chromium)) {
  console.log(`first paint: not measured (${chromium} missing; run scripts/test-deps/chromium.sh)`)
} else {
  const {chromium: pw} = await import('playwright-core')
  const dir = mkdtempSync(join(tmpdir(), 'fleetcap-bench-report-'))
  const file = join(dir, 'index.html')
  writeFileSync(file, html)
  const browser = await pw.launchPersistentContext(join(dir, 'profile'), {
    executablePath: chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  try {
    const runs: {fp: number; fcp: number; charts: number}[] = []
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage()
      await page.goto(pathToFileURL(file).href, {waitUntil: 'load'})
      // Evaluated in the page (strings: this file is compiled without the DOM's types).
      await page.waitForFunction("document.body.hasAttribute('data-charts-ready')", undefined, {timeout: 120_000})
      const m = (await page.evaluate(`(() => {
        const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]))
        return {fp: paint['first-paint'] ?? NaN, fcp: paint['first-contentful-paint'] ?? NaN, charts: performance.now()}
      })()`)) as {fp: number; fcp: number; charts: number}
      runs.push(m)
      await page.close()
    }
    runs.sort((a, b) => a.fp - b.fp)
    const med = runs[1]
    console.log(`first paint ${(med.fp / 1000).toFixed(3)} s, first contentful paint ${(med.fcp / 1000).toFixed(3)} s, all charts drawn by ${(med.charts / 1000).toFixed(2)} s (median of 3 loads; first paints ${runs.map((r) => (r.fp / 1000).toFixed(3)).join(', ')} s)`)
    console.log(`acceptance first paint < 2 s: ${med.fp < 2000 ? 'met' : 'NOT met'}`)
  } finally {
    await browser.close()
    rmSync(dir, {recursive: true, force: true})
  }
}
