/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="dom.asynciterable" />
// Callbacks passed to page.evaluate run in the browser: they use its globals (document, window).
/**
 * The HTML reports in a real browser (Chromium from Debian, scripts/test-deps/chromium.sh): each page
 * opened via file:// draws every chart, with the series and point counts its data say, makes no
 * network request and logs no error. Screenshots go to .cache/screenshots/ (CI artifacts).
 * Covers every scenario in scenarios/ (simulate), the seeds' plan, forecast run and backtest, calibrate.
 */
import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'

import {parse} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveServingProfile} from '../../src/fleet/profiles/catalog.js'

import {writeK6Export} from '../../src/k6/export.js'
import {constantLoad} from '../../src/k6/load.js'
import {renderK6Script} from '../../src/k6/script.js'
import {renderPage} from '../../src/report/html/page.js'
import {MAX_POINTS} from '../../src/report/html/series.js'
import {simulationPage} from '../../src/report/html/simulate-page.js'
import {roundedReport} from '../../src/report/render.js'
import {loadScenarioFile} from '../../src/scenario/load.js'
import {simulate} from '../../src/pipeline/simulate.js'
import {ROOT, runCli} from '../helpers/cli.js'
import {chromiumMissing, embeddedData, type OpenedReport, ReportBrowser} from './browser.js'

const SCENARIOS = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).sort()
// The Azure scenario's trace is the vendored copy in data/traces/.
const TRACE_OVERRIDE: Record<string, string> = {'azure-conv-replay.yaml': join(ROOT, 'data/traces/AzureLLMInferenceTrace_conv.csv')}
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-report-'))

/** What every page must satisfy: drawn, quiet, offline, and each chart's view holds the page's data. */
function expectHealthy(r: OpenedReport, html: string): void {
  expect(r.consoleErrors).toEqual([])
  expect(r.requests).toEqual([])
  expect(r.manifest.length).toBeGreaterThan(0)
  const data = embeddedData(html)
  for (const m of r.manifest) {
    const c = r.charts[m.id]
    expect(c.rendered, `${m.id} rendered`).toBe(true)
    expect(c.svgMarks, `${m.id} draws marks`).toBeGreaterThan(0)
    for (const d of m.datasets) {
      expect(c.datasets[d], `${m.id}/${d} rows in the view`).toBe(data[d].rows.length)
    }
    // The series the view draws are the ones the page says it draws.
    if (m.series !== null) expect(c.series, `${m.id} series`).toEqual(m.series)
  }
}

describe.skipIf(chromiumMissing !== undefined)(`HTML reports in Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
  const browser = new ReportBrowser()
  beforeAll(async () => {
    await browser.start()
  })
  afterAll(async () => {
    await browser.stop()
  })

  for (const file of SCENARIOS) {
    it(`simulate ${file}: every chart drawn with its series and points`, async () => {
      const loaded = await loadScenarioFile(join(ROOT, 'scenarios', file))
      const result = await simulate(loaded.scenario, {baseDir: loaded.baseDir, scenarioFile: loaded.file, chartData: true, traceFile: TRACE_OVERRIDE[file]})
      const html = renderPage(simulationPage({report: roundedReport(result.report), timeSeries: result.timeSeries, charts: result.charts}))
      const path = join(tmp, `${basename(file, '.yaml')}.html`)
      writeFileSync(path, html)
      const r = await browser.open(path, `simulate-${basename(file, '.yaml')}`)
      try {
        expectHealthy(r, html)
        const report = result.report
        const rows = result.timeSeries.rows.length / result.timeSeries.columns.length
        const ids = r.manifest.map((m) => m.id)
        for (const id of ['sim-load', 'sim-queue', 'sim-replicas', 'sim-utilization', 'sim-cost']) expect(ids).toContain(id)
        // Arrivals, completions and drops at every kept sample: all of them when the run is short.
        const kept = r.charts['sim-load'].datasets['sim-load-series'] / 3
        expect(Number.isInteger(kept)).toBe(true)
        expect(kept).toBe(rows <= MAX_POINTS ? rows : kept)
        expect(kept).toBeLessThanOrEqual(MAX_POINTS)
        expect(r.charts['sim-load'].series).toEqual(['arrivals/s', 'completed/s', 'dropped/s'])
        // One series set per pool in the replica and utilization charts.
        for (const p of report.pools) {
          expect(r.charts['sim-replicas'].series).toContain(`${p.name} busy`)
          expect(r.charts['sim-utilization'].series).toContain(`${p.name} utilization`)
        }
        expect(r.charts['sim-cost'].series).toEqual(report.pools.map((p) => p.name))
        // Autoscaler decisions: one marker per scaling event.
        const decisions = report.autoscaling?.events.length ?? 0
        if (decisions > 0) expect(r.charts['sim-replicas'].datasets['sim-decisions']).toBe(decisions)
        // Latency: the distribution of task e2e always (every run completes tasks), TTFT for LLM fleets.
        expect(ids).toContain('sim-dist-taskE2eS')
        expect(r.charts['sim-dist-taskE2eS'].series?.[0]).toBe('all')
        if (report.latency.overall.ttftS) expect(ids).toContain('sim-latency-ttft')
        if (report.slo.checks.length > 0) expect(r.charts['sim-slo'].datasets['sim-slo-data']).toBe(report.slo.checks.length)
        if ((report.autoscaling?.failures.length ?? 0) > 0) expect(r.charts['sim-failures'].datasets['sim-failures-data']).toBe(report.autoscaling?.failures.length)
      } finally {
        await r.close()
      }
    })
  }

  it('plan --fast of the seeds: index.html and --html agree, every candidate is a point, PLAN.md shows its SVG charts', async () => {
    const out = join(tmp, 'plan')
    const htmlFile = join(tmp, 'plan.html')
    const run = runCli(['plan', '--spec', 'examples/plan-seeds.yaml', '--fast', '--out', out, '--html', htmlFile])
    expect(run.code, run.stderr).toBe(0)
    const html = readFileSync(htmlFile, 'utf8')
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe(html)
    const r = await browser.open(htmlFile, 'plan-seeds-fast')
    try {
      expectHealthy(r, html)
      const data = embeddedData(html)
      for (const phase of ['phase-1', 'phase-2', 'phase-3']) {
        const c = r.charts[`plan-${phase}-pareto`]
        const n = c.datasets[`plan-${phase}-pareto-candidates`]
        expect(n).toBeGreaterThan(10)
        expect(c.series).toContain('chosen')
        expect(c.series).toContain('seeds\' fleet')
        // The SVG beside PLAN.md draws the same points: one symbol per candidate.
        const svg = readFileSync(join(out, 'charts', `${phase}-pareto.svg`), 'utf8')
        const symbols = /<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg)
        expect(symbols).not.toBeNull()
        expect((symbols?.[1].match(/<path /g) ?? []).length).toBe(n)
        expect(data[`plan-${phase}-pareto-candidates`].rows.length).toBe(n)
      }
      const md = readFileSync(join(out, 'PLAN.md'), 'utf8')
      expect(md).toContain('](charts/phase-1-pareto.svg)')
    } finally {
      await r.close()
    }
  })

  it('plan of the seeds without --fast: every phase has its Pareto chart, the HPA over the day and each pool\'s profile status', {timeout: 600_000}, async () => {
    // The whole planner: verification simulations, the N+1 check and a simulated day per phase
    // (about 40 s on the shared 2-core machine: docs/report.md).
    const out = join(tmp, 'plan-full')
    const run = runCli(['plan', '--spec', 'examples/plan-seeds.yaml', '--out', out])
    expect(run.code, run.stderr).toBe(0)
    const file = join(out, 'index.html')
    const html = readFileSync(file, 'utf8')
    const plan = parse(readFileSync(join(out, 'plan.yaml'), 'utf8')) as {spec: {phases: {name: string; pools: {name: string; gpu: string; model: string; tensorParallel: number}[]}[]}}
    const phases = plan.spec.phases
    expect(phases.map((p) => p.name)).toEqual(['phase-1', 'phase-2', 'phase-3'])
    const r = await browser.open(file, 'plan-seeds-full')
    try {
      expectHealthy(r, html)
      const ids = r.manifest.map((m) => m.id)
      for (const phase of phases) {
        const id = `plan-${phase.name}`
        expect(ids).toContain(`${id}-pareto`)
        expect(r.charts[`${id}-pareto`].datasets[`${id}-pareto-candidates`]).toBeGreaterThan(10)
        expect(r.charts[`${id}-pareto`].series).toContain('chosen')
        // The HPA day: one replicas and one desired series per chosen pool, over the calls in
        // flight, from a sync every 15 s over 24 h (5,760 syncs), downsampled (min/max per bucket,
        // the pools' series jointly: they share their kept times) to at most MAX_POINTS per column.
        const hpa = r.charts[`${id}-hpa-day`]
        expect(hpa, `${id}-hpa-day drawn`).toBeDefined()
        const series = phase.pools.flatMap((p) => [`${p.name} replicas`, `${p.name} desired`])
        expect(hpa.series).toEqual(series)
        const view = await r.page.evaluate((name) => {
          const views = (window as unknown as {fleetcapViews: Record<string, {data: (n: string) => {h: number; series: string}[]}>}).fleetcapViews
          const load = views[name].data(`${name}-load`)
          const lines = views[name].data(`${name}-series`)
          const perSeries: Record<string, number> = {}
          for (const row of lines) perSeries[row.series] = (perSeries[row.series] ?? 0) + 1
          const hours = (rows: {h: number}[]) => [Math.min(...rows.map((x) => x.h)), Math.max(...rows.map((x) => x.h))]
          return {load: load.length, loadSpan: hours(load), lines: lines.length, linesSpan: hours(lines), perSeries}
        }, `${id}-hpa-day`)
        expect(view.load).toBeGreaterThan(MAX_POINTS / 2)
        expect(view.load).toBeLessThanOrEqual(MAX_POINTS)
        const kept = view.lines / series.length
        expect(Object.keys(view.perSeries)).toEqual(series)
        for (const s of series) expect(view.perSeries[s], s).toBe(kept)
        expect(kept).toBeGreaterThan(100)
        expect(kept).toBeLessThanOrEqual(series.length * MAX_POINTS)
        for (const span of [view.loadSpan, view.linesSpan]) {
          expect(span[0]).toBeLessThan(0.01)
          expect(span[1]).toBeGreaterThan(23.9)
        }
        // The SVG beside PLAN.md draws the same chart.
        expect(readFileSync(join(out, 'charts', `${phase.name}-hpa-day.svg`), 'utf8')).toContain('<svg')
        // The chosen fleet's table: each pool with its serving profile's status from the catalog.
        const rows = await r.page.evaluate((heading) => {
          const section = [...document.querySelectorAll('section')].find((s) => s.querySelector('h2')?.textContent?.startsWith(heading))
          const table = [...(section?.querySelectorAll('table') ?? [])].find((t) => t.querySelector('caption')?.textContent === 'Chosen fleet')
          return [...(table?.querySelectorAll('tbody tr') ?? [])].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))
        }, `Phase ${phase.name}:`)
        expect(rows.map((row) => row[0])).toEqual(phase.pools.map((p) => p.name))
        for (const [i, pool] of phase.pools.entries()) {
          const profile = resolveServingProfile({model: pool.model, gpu: pool.gpu, tensorParallel: pool.tensorParallel})
          expect(rows[i][6], `${pool.name} profile status`).toBe(profile.status)
          expect(rows[i][7]).not.toBe('-')
        }
      }
    } finally {
      await r.close()
    }
  })

  it('forecast run and backtest --html: the history, the P50 with its fans, every window and model', async () => {
    const series = 'data/traces/nab_nyc_taxi_30min.csv'
    const fc = join(tmp, 'forecast.html')
    const run = runCli(['forecast', 'run', '--series', series, '--horizon', '1d', '--quantiles', '0.5,0.9,0.99', '--html', fc])
    expect(run.code, run.stderr).toBe(0)
    let html = readFileSync(fc, 'utf8')
    let r = await browser.open(fc, 'forecast-run')
    try {
      expectHealthy(r, html)
      expect(r.charts.forecast.series).toEqual(['history', 'P50 forecast'])
      expect(r.charts.forecast.datasets['forecast-forecast']).toBe(48) // one day of 30 min steps
    } finally {
      await r.close()
    }
    const bt = join(tmp, 'backtest.html')
    const back = runCli(['forecast', 'backtest', '--series', series, '--holdout', '48', '--origins', '3', '--models', 'seasonal-naive,ets,linear', '--html', bt, '--json'])
    expect(back.code, back.stderr).toBe(0)
    const scores = (JSON.parse(back.stdout) as {scores: {model: string; mase: number}[]}).scores
    html = readFileSync(bt, 'utf8')
    r = await browser.open(bt, 'forecast-backtest')
    try {
      expectHealthy(r, html)
      expect(r.charts['backtest-errors'].datasets['backtest-error-data']).toBe(3 * 3)
      expect(r.charts['backtest-windows'].datasets['backtest-forecasts']).toBe(3 * 3 * 48)
      expect(r.charts['backtest-windows'].series).toEqual(['seasonal-naive', 'ets', 'linear'])
      // MASE per window, each over its own window's in-sample scale: their mean is the table's MASE.
      const points = await r.page.evaluate(() => (window as unknown as {fleetcapViews: Record<string, {data: (n: string) => {series: string; mase: number}[]}>}).fleetcapViews['backtest-errors'].data('backtest-error-data').map((row) => [row.series, row.mase] as const))
      for (const s of scores) {
        const mine = points.filter(([model]) => model === s.model).map(([, m]) => m)
        expect(mine).toHaveLength(3)
        expect(mine.reduce((a, b) => a + b, 0) / 3).toBeCloseTo(s.mase, 3)
      }
    } finally {
      await r.close()
    }
  })

  it('calibrate --html: each figure measured against predicted, before and after the fit', async () => {
    const dir = join(tmp, 'load')
    const load = constantLoad(6, 10, [[[300, 40, 0]], [[800, 80, 0]], [[100, 20, 0]]])
    await writeK6Export(dir, renderK6Script(load, {endpoint: {url: 'http://127.0.0.1:1', model: 'llama-3.1-8b', api: 'chat', stream: true, headers: {}, requestTimeoutS: 20}, slo: {e2eP95S: 30, errorRateMax: 0.01}, expectedLatencyS: 2}))
    const file = join(tmp, 'calibrate.html')
    const run = runCli(['calibrate', '--k6-summary', 'test/fixtures/k6/summary.json', '--load', dir, '--model', 'llama-3.1-8b', '--gpu', 'A100-80GB', '--html', file, '--json'])
    expect(run.code, run.stderr).toBe(0)
    const out = JSON.parse(run.stdout) as {before: unknown[]; after: unknown[]}
    const html = readFileSync(file, 'utf8')
    const r = await browser.open(file, 'calibrate')
    try {
      expectHealthy(r, html)
      expect(r.charts['calibrate-scatter'].datasets['calibrate-figures']).toBe(out.before.length + out.after.length)
      expect(r.charts['calibrate-scatter'].series).toHaveLength(2)
      // The fit's objective: the 25 scales of the scan, the golden-section steps, and the fitted one.
      expect(r.charts['calibrate-fit'].series).toEqual(['evaluated', 'fitted'])
      expect(r.charts['calibrate-fit'].datasets['calibrate-scan']).toBeGreaterThan(25 + 1)
    } finally {
      await r.close()
    }
  })
})
