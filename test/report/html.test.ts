/** The HTML report's pieces without a browser: downsampling, determinism, SVG, sparklines, output safety. */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {compactNumber} from '../../src/report/html/dataset.js'
import {minMaxIndices, minMaxRows} from '../../src/report/html/downsample.js'
import {renderPage} from '../../src/report/html/page.js'
import {simulationPage} from '../../src/report/html/simulate-page.js'
import {renderSvg} from '../../src/report/html/svg.js'
import {checkHtmlOutput} from '../../src/report/html/write.js'
import {roundedReport} from '../../src/report/render.js'
import {sparkline} from '../../src/report/sparkline.js'
import {loadScenarioFile} from '../../src/scenario/load.js'
import {simulate} from '../../src/pipeline/simulate.js'
import {ROOT} from '../helpers/cli.js'

describe('downsampling', () => {
  it('keeps every point of a short series and at most maxPoints of a long one, extremes included', () => {
    expect(minMaxIndices(10, 100, (i) => i)).toEqual([...Array(10).keys()])
    const n = 1_000_000
    const v = (i: number): number => Math.sin(i / 1000) + (i === 777_777 ? 50 : 0) - (i === 123_456 ? 40 : 0)
    const keep = minMaxIndices(n, 1000, v)
    expect(keep.length).toBeLessThanOrEqual(1000)
    expect(keep).toContain(777_777)
    expect(keep).toContain(123_456)
    expect(keep[0]).toBe(0)
    expect(keep[keep.length - 1]).toBe(n - 1)
    for (let i = 1; i < keep.length; i++) expect(keep[i]).toBeGreaterThan(keep[i - 1])
    expect(minMaxIndices(n, 1000, v)).toEqual(keep)
  })

  it('keeps each column\'s extremes when series share their times', () => {
    const a = (i: number): number => (i === 10 ? 9 : 0)
    const b = (i: number): number => (i === 90_000 ? -9 : 0)
    const rows = minMaxRows(100_000, [a, b], 400)
    expect(rows).toContain(10)
    expect(rows).toContain(90_000)
    expect(rows.length).toBeLessThanOrEqual(800)
  })
})

describe('chart data', () => {
  it('keeps integers (epoch milliseconds) exact and rounds the rest to 5 significant digits', () => {
    expect(compactNumber(1_422_748_800_000)).toBe(1_422_748_800_000)
    expect(compactNumber(0.123456789)).toBe(0.12346)
    expect(compactNumber(Number.NaN)).toBeNull()
  })
})

describe('sparklines', () => {
  it('draws one bar per bucket from lowest to highest, the bucket\'s maximum shown', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█')
    expect(sparkline(Array.from({length: 1000}, (_, i) => (i === 500 ? 10 : 0)), 10)).toBe('▁▁▁▁▁█▁▁▁▁')
    expect(sparkline([], 10)).toBe('')
  })
})

describe('the simulation page', () => {
  it('is byte-identical for the same scenario and seed, and holds no absolute path', async () => {
    const loaded = await loadScenarioFile(join(ROOT, 'scenarios', 'mmc-erlang-c.yaml'))
    const page = async (): Promise<string> => {
      const r = await simulate(loaded.scenario, {baseDir: loaded.baseDir, chartData: true, seed: 3})
      return renderPage(simulationPage({report: roundedReport(r.report), timeSeries: r.timeSeries, charts: r.charts}))
    }
    const a = await page()
    const b = await page()
    expect(a).toBe(b)
    expect(a).not.toContain(ROOT)
    expect(a).not.toContain(tmpdir())
    // URLs only as names: schema ids, XML namespaces, one issue link in a Vega-Lite warning text.
    expect(a).not.toMatch(/https?:\/\/(?!vega\.github\.io\/schema|www\.w3\.org|github\.com\/vega\/vega-lite\/issues\/)/)
    // The chart runtime is inlined, not fetched.
    expect(a).not.toMatch(/<script[^>]+src=/)
    expect(Buffer.byteLength(a)).toBeLessThan(5e6)
  })

  it('draws an SVG in Node, the same bytes twice', async () => {
    const loaded = await loadScenarioFile(join(ROOT, 'scenarios', 'mmc-erlang-c.yaml'))
    const r = await simulate(loaded.scenario, {baseDir: loaded.baseDir, chartData: true})
    const page = simulationPage({report: roundedReport(r.report), timeSeries: r.timeSeries, charts: r.charts})
    const chart = page.sections.flatMap((s) => s.charts ?? []).find((c) => c.id === 'sim-queue')
    expect(chart).toBeDefined()
    const svg = await renderSvg(chart!)
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('mark-line')
    expect(await renderSvg(chart!)).toBe(svg)
  })
})

describe('--html output', () => {
  it('replaces a report fleetcap wrote, refuses a user\'s file and a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-html-'))
    const mine = join(dir, 'mine.html')
    writeFileSync(mine, '<html>my notes</html>')
    expect(() => checkHtmlOutput(mine)).toThrow(/not a report fleetcap wrote/)
    expect(readFileSync(mine, 'utf8')).toBe('<html>my notes</html>')
    expect(() => checkHtmlOutput(dir)).toThrow(/is a directory/)
    const ours = join(dir, 'ours.html')
    writeFileSync(ours, renderPage({kind: 'Simulation', title: 't', subtitle: [], sections: [{heading: 'h', paragraphs: ['p']}]}))
    expect(() => checkHtmlOutput(ours)).not.toThrow()
    expect(() => checkHtmlOutput(join(dir, 'new.html'))).not.toThrow()
  })
})
