/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="dom.asynciterable" />
// Callbacks passed to page.evaluate run in the browser: they use its globals (document, window).
/**
 * Chromium from the Debian archive (scripts/test-deps/chromium.sh installs it), driven by
 * playwright-core, for the HTML report tests. Without it the tests skip with a reason; under CI=true a
 * missing Chromium fails loudly.
 */
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {type BrowserContext, chromium, type Page} from 'playwright-core'

export const CHROMIUM = process.env.FLEETCAP_CHROMIUM ?? '/usr/bin/chromium'
export const chromiumMissing: string | undefined = existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM} (run scripts/test-deps/chromium.sh)`
if (chromiumMissing !== undefined && process.env.CI === 'true') throw new Error(`CI=true: ${chromiumMissing}`)

export const SCREENSHOTS = resolve('.cache/screenshots')

export interface OpenedReport {
  page: Page
  consoleErrors: string[]
  /** Every request the page made other than the file itself. */
  requests: string[]
  /** Chart id → rows of each of its datasets, series drawn (distinct colour values), SVG marks drawn. */
  charts: Record<string, {datasets: Record<string, number>; series: string[] | null; svgMarks: number; rendered: boolean}>
  manifest: {id: string; datasets: string[]; series: string[] | null}[]
}

export class ReportBrowser {
  private browser?: BrowserContext
  private profile?: string

  /** A fresh profile directory each time (playwright passes it as --user-data-dir). */
  async start(): Promise<void> {
    this.profile = mkdtempSync(join(tmpdir(), 'fleetcap-chromium-'))
    this.browser = await chromium.launchPersistentContext(this.profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: {width: 1100, height: 900},
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  }

  async stop(): Promise<void> {
    await this.browser?.close()
    if (this.profile) rmSync(this.profile, {recursive: true, force: true})
  }

  /** Open a report via file://, wait for every chart, read what each drew; screenshot it as NAME.png. */
  async open(file: string, name: string): Promise<OpenedReport & {close: () => Promise<void>}> {
    if (!this.browser) throw new Error('browser not started')
    const page = await this.browser.newPage()
    const consoleErrors: string[] = []
    const requests: string[] = []
    const url = pathToFileURL(resolve(file)).href
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    page.on('pageerror', (e) => consoleErrors.push(String(e)))
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url())
    })
    await page.goto(url, {waitUntil: 'load'})
    await page.waitForFunction(() => document.body.hasAttribute('data-charts-ready') || document.body.hasAttribute('data-charts-error'), undefined, {timeout: 60_000})
    const error = await page.evaluate(() => document.body.getAttribute('data-charts-error'))
    if (error) consoleErrors.push(`charts: ${error}`)
    const {charts, manifest} = await page.evaluate(() => {
      // What the page's boot script compiled and drew: each chart with the datasets its compiled spec reads.
      const specs = (window as unknown as {fleetcapCharts: {id: string; datasets: string[]; series: string[] | null}[]}).fleetcapCharts
      const views = (window as unknown as {fleetcapViews: Record<string, {data: (n: string) => Record<string, unknown>[]; scale: (n: string) => undefined | {domain: () => unknown[]}}>}).fleetcapViews
      const out: Record<string, {datasets: Record<string, number>; series: string[] | null; svgMarks: number; rendered: boolean}> = {}
      for (const s of specs) {
        const view = views[s.id]
        const el = document.getElementById(`chart-${s.id}`)
        const datasets: Record<string, number> = {}
        for (const d of s.datasets) datasets[d] = view.data(d).length
        // The series drawn: the domain of the view's colour scale, as its legend shows it.
        let series: string[] | null = null
        try {
          const color = view.scale('color')
          if (color) series = color.domain().map(String)
        } catch {
          series = null
        }
        out[s.id] = {
          datasets,
          series,
          svgMarks: el?.querySelectorAll('svg .mark-line path, svg .mark-symbol path, svg .mark-rect path, svg .mark-area path, svg .mark-rule line, svg .mark-text text').length ?? 0,
          rendered: el?.getAttribute('data-rendered') === 'true',
        }
      }
      return {charts: out, manifest: specs.map((s) => ({id: s.id, datasets: s.datasets, series: s.series}))}
    })
    mkdirSync(SCREENSHOTS, {recursive: true})
    await page.screenshot({path: join(SCREENSHOTS, `${name}.png`), fullPage: true})
    return {page, consoleErrors, requests, charts, manifest, close: () => page.close()}
  }
}

/** Rows of a dataset in the page's own JSON (what the chart was given). */
export function embeddedData(html: string): Record<string, {fields: string[]; rows: unknown[][]}> {
  const m = /<script id="fleetcap-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)
  if (!m) throw new Error('no data in the page')
  return JSON.parse(m[1].replace(/<\\\//g, '</')) as Record<string, {fields: string[]; rows: unknown[][]}>
}
