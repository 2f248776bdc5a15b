import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {UnreachableError, InputError} from '../../src/errors.js'
import {forecast, loadSeriesPrometheus} from '../../src/forecast/index.js'
import {MAX_POINTS_PER_SERIES, queryRange, splitRange} from '../../src/prometheus/client.js'
import {runCommand} from '../helpers/run-command.js'
import {freePort, type PromServer, startPrometheus} from './prometheus-server.js'

// The real Prometheus starts once; the command runs in this process (runCommand).
vi.setConfig({testTimeout: 600_000})

// Three days of a known 5-minute load with a daily cycle, starting 2024-01-01T00:00Z.
const START = 1_704_067_200
const STEP = 300
const POINTS = 3 * 288
const value = (i: number): number => Math.round(1000 * (100 + 50 * Math.sin((2 * Math.PI * i) / 288))) / 1000
const END = START + (POINTS - 1) * STEP

function openMetrics(): string {
  const lines = ['# TYPE fleetcap_load gauge']
  for (let i = 0; i < POINTS; i++) lines.push(`fleetcap_load{job="api"} ${value(i)} ${START + i * STEP}`)
  // A second job: a query for the metric without a selector returns two series.
  for (let i = 0; i < 10; i++) lines.push(`fleetcap_load{job="batch"} 1 ${START + i * STEP}`)
  lines.push('# EOF', '')
  return lines.join('\n')
}

describe('Prometheus client against a real Prometheus', () => {
  let prom: PromServer
  beforeAll(async () => {
    prom = await startPrometheus(openMetrics())
  })
  afterAll(() => prom?.stop())

  it('reads back the backfilled series exactly', async () => {
    const r = await queryRange({url: prom.url, query: 'fleetcap_load{job="api"}', startS: START, endS: END, stepS: STEP})
    expect(r).toHaveLength(1)
    expect(r[0].labels.job).toBe('api')
    expect(r[0].points).toHaveLength(POINTS)
    r[0].points.forEach(([t, v], i) => {
      expect(t).toBe(START + i * STEP)
      expect(v).toBe(value(i))
    })
  })

  it('splits a range above 11,000 points per series, which the server refuses in one request', async () => {
    const step = 15
    const expected = (END - START) / step + 1
    expect(expected).toBeGreaterThan(MAX_POINTS_PER_SERIES)
    const direct = await fetch(`${prom.url}/api/v1/query_range?query=fleetcap_load{job="api"}&start=${START}&end=${END}&step=${step}`)
    expect(direct.status).toBe(400)
    expect(await direct.text()).toMatch(/11,?000 points/)
    expect(splitRange(START, END, step).length).toBe(2)
    const r = await queryRange({url: prom.url, query: 'fleetcap_load{job="api"}', startS: START, endS: END, stepS: step})
    const pts = r[0].points
    expect(pts).toHaveLength(expected)
    for (let i = 1; i < pts.length; i++) expect(pts[i][0] - pts[i - 1][0]).toBe(step)
    // Each 15 s step sees the latest 5-minute sample.
    expect(pts[21][1]).toBe(value(1))
  })

  it('passes the server message of a bad query through as an input error', async () => {
    const p = queryRange({url: prom.url, query: 'sum(rate(fleetcap_load[5m]', startS: START, endS: END, stepS: STEP})
    await expect(p).rejects.toBeInstanceOf(InputError)
    await expect(p).rejects.toThrow(/Prometheus rejected the query: bad_data: .*parse error/)
  })

  it('fails with UnreachableError within the timeout when nothing listens', async () => {
    const port = await freePort()
    const t0 = performance.now()
    await expect(queryRange({url: `http://127.0.0.1:${port}`, query: 'up', startS: START, endS: END, stepS: STEP, timeoutMs: 2000})).rejects.toBeInstanceOf(UnreachableError)
    expect(performance.now() - t0).toBeLessThan(5000)
  })

  it('loads a series and forecasts its daily cycle', async () => {
    const {series} = await loadSeriesPrometheus({url: prom.url, query: 'fleetcap_load{job="api"}', startS: START, endS: END, stepS: STEP})
    expect(series.stepS).toBe(STEP)
    expect(series.values.length).toBe(POINTS)
    const f = await forecast(series, {model: 'seasonal-naive', horizon: 288, quantiles: [0.5, 0.9]})
    expect(f.timestamps[0]).toBe(END + STEP)
    f.quantiles.p50.forEach((v, h) => expect(v).toBeCloseTo(value(POINTS + h), 6))
  })

  it('refuses a query that returns several series, and one that returns none', async () => {
    await expect(loadSeriesPrometheus({url: prom.url, query: 'fleetcap_load', startS: START, endS: END, stepS: STEP})).rejects.toThrow(/returned 2 series.*needs one/)
    await expect(loadSeriesPrometheus({url: prom.url, query: 'no_such_metric', startS: START, endS: END, stepS: STEP})).rejects.toThrow(/returned no data/)
  })

  it('fleetcap forecast run --prometheus works end to end, and exits 4 when unreachable', async () => {
    const args = ['forecast', 'run', '--query', 'fleetcap_load{job="api"}', '--since', '3d', '--until', new Date((END + STEP) * 1000).toISOString(), '--step', '5m', '--horizon', '1h', '--model', 'ets']
    const ok = await runCommand([...args, '--prometheus', prom.url, '--json'])
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    const out = JSON.parse(ok.stdout)
    expect(out.model).toBe('ets')
    expect(out.quantiles.p90).toHaveLength(12)
    // A query returning two series forecasts both in one process, each named by its labels.
    const many = await runCommand([...args.map((a) => (a === 'fleetcap_load{job="api"}' ? 'fleetcap_load' : a)), '--prometheus', prom.url, '--json'])
    expect(many.code).toBe(0)
    const both = JSON.parse(many.stdout).forecasts as {series: string; model: string; quantiles: {p90: number[]}}[]
    expect(both.map((f) => f.series).sort()).toEqual([expect.stringContaining('job="api"'), expect.stringContaining('job="batch"')])
    for (const f of both) expect(f.quantiles.p90).toHaveLength(12)
    const down = await runCommand([...args, '--prometheus', `http://127.0.0.1:${await freePort()}`])
    expect(down.code).toBe(4)
    expect(down.stderr).toMatch(/^Error: Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable/)
  })
})
