/**
 * The calibration page's per-request section: each measured request against its simulated twin
 * (TTFT and e2e, log–log with the diagonal), the residuals over the test's time, and the error
 * figures before and after the fit (src/calibrate/per-request.ts builds the pairs).
 */
import type {Chart, Section, Table} from '../report/html/chart.js'
import {type Dataset, dataset} from '../report/html/dataset.js'
import {distinct} from '../report/html/specs.js'
import type {RequestComparison, RequestMetric, RequestPair} from './per-request.js'

export interface SeriesNames {
  before: string
  after: string
}

function measuredOf(p: RequestPair, metric: RequestMetric): number | undefined {
  return metric === 'ttft' ? p.measured.ttftMs : p.measured.e2eMs
}

function predictedOf(p: RequestPair, side: 'before' | 'after', metric: RequestMetric): number {
  return metric === 'ttft' ? p[side].ttftMs : p[side].e2eMs
}

/** One row per (series, request) with both values positive: before first, then after. */
export function requestRows(c: RequestComparison, metric: RequestMetric, names: SeriesNames): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = []
  for (const side of ['before', 'after'] as const) {
    for (const p of c.pairs) {
      const m = measuredOf(p, metric)
      const x = predictedOf(p, side, metric)
      if (m === undefined || !(m > 0) || !(x > 0)) continue
      rows.push({series: names[side], request: `${p.iteration}.${p.call}`, t: p.arrivalS, measured: m, predicted: x, error: (x - m) / m})
    }
  }
  return rows
}

const LABEL: Record<RequestMetric, string> = {ttft: 'TTFT', e2e: 'e2e latency'}

function scatter(metric: RequestMetric, d: Dataset, rows: Record<string, unknown>[]): Chart {
  const name = `calibrate-requests-${metric}`
  const values = rows.flatMap((r) => [r.measured as number, r.predicted as number])
  const lo = Math.min(...values) / 1.2
  const hi = Math.max(...values) * 1.2
  const axis = (title: string): Record<string, unknown> => ({type: 'quantitative', title, scale: {type: 'log', domain: [lo, hi]}})
  return {
    id: name,
    title: `${LABEL[metric]} per request: measured against predicted`,
    caption: `Each request k6 measured (x, ms) against its twin in the simulation of the same load (y, ms): the same prompt and output length, started at the same scheduled time; before and after the fit. On the dashed diagonal the prediction is exact. Log scales.`,
    spec: {
      width: 420,
      height: 420,
      layer: [
        {
          data: {
            values: [
              {x: lo, y: lo},
              {x: hi, y: hi},
            ],
          },
          mark: {type: 'line', color: '#999', strokeDash: [4, 4]},
          encoding: {x: {field: 'x', ...axis('measured (ms)')}, y: {field: 'y', ...axis('predicted (ms)')}},
        },
        {
          data: {name},
          mark: {type: 'point', filled: true, size: 18, opacity: 0.6, tooltip: true},
          encoding: {
            x: {field: 'measured', ...axis('measured (ms)')},
            y: {field: 'predicted', ...axis('predicted (ms)')},
            color: {field: 'series', type: 'nominal', title: null, sort: null, legend: {orient: 'bottom', direction: 'vertical'}},
            tooltip: [{field: 'request', title: 'iteration.call'}, {field: 'series'}, {field: 'measured', format: '.4~g'}, {field: 'predicted', format: '.4~g'}, {field: 'error', format: '+.1%'}],
          },
        },
      ],
    },
    data: {[name]: d},
    series: distinct(d, 'series'),
  }
}

function residuals(d: Dataset): Chart {
  const name = 'calibrate-request-residuals'
  return {
    id: name,
    title: 'Residuals per request over the test',
    caption:
      "(predicted − measured) ÷ measured for each request, at the time k6's schedule started its iteration (s from the start); colour: before or after the fit; shape: TTFT or e2e. A drift over time shows a load the model does not follow (queueing it misses or invents).",
    spec: {
      data: {name},
      mark: {type: 'point', filled: true, size: 16, opacity: 0.6, tooltip: true},
      encoding: {
        x: {field: 't', type: 'quantitative', title: 'scheduled start (s)'},
        y: {field: 'error', type: 'quantitative', title: 'relative error', axis: {format: '+.0%'}},
        color: {field: 'series', type: 'nominal', title: null, sort: null, legend: {orient: 'bottom', direction: 'vertical'}},
        shape: {field: 'metric', type: 'nominal', title: null, sort: null},
        tooltip: [{field: 'request', title: 'iteration.call'}, {field: 'metric'}, {field: 'series'}, {field: 't', title: 'start (s)', format: '.3f'}, {field: 'error', format: '+.1%'}],
      },
    },
    data: {[name]: d},
    series: distinct(d, 'series'),
  }
}

const pct = (e: number): string => (Number.isFinite(e) ? `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)} %` : '-')
const fixed = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '-')

/** The per-request section, or a paragraph saying why there is none. */
export function requestSection(c: RequestComparison | undefined, names: SeriesNames, why?: string): Section {
  const heading = 'Per request'
  if (c === undefined || c.pairs.length === 0) {
    return {
      heading,
      paragraphs: [why ?? (c === undefined ? 'No per-request comparison.' : `None of the ${c.measured} requests could be compared (${c.failed} failed, ${c.unmatched} without a simulated twin).`)],
    }
  }
  const byMetric = (metric: RequestMetric): {rows: Record<string, unknown>[]; d: Dataset} => {
    const rows = requestRows(c, metric, names)
    return {rows, d: dataset(['series', 'request', 't', 'measured', 'predicted', 'error'], rows)}
  }
  const ttft = byMetric('ttft')
  const e2e = byMetric('e2e')
  const residualRows = [names.before, names.after].flatMap((s) => [
    ...ttft.rows.filter((r) => r.series === s).map((r) => ({...r, metric: 'TTFT'})),
    ...e2e.rows.filter((r) => r.series === s).map((r) => ({...r, metric: 'e2e'})),
  ])
  const residualData = dataset(['series', 'metric', 'request', 't', 'error'], residualRows)
  const charts = [...(ttft.rows.length > 0 ? [scatter('ttft', ttft.d, ttft.rows)] : []), scatter('e2e', e2e.d, e2e.rows), residuals(residualData)]
  const table: Table = {
    caption: 'Per-request error',
    headers: ['figure', 'requests', 'RMS log error, before', 'after', 'median error, before', 'after'],
    rows: (['ttft', 'e2e'] as const).map((metric) => {
      const b = c.stats.find((s) => s.metric === metric && s.series === 'before')!
      const a = c.stats.find((s) => s.metric === metric && s.series === 'after')!
      return [LABEL[metric], String(b.n), fixed(b.rmsLogError), fixed(a.rmsLogError), pct(b.medianRelError), pct(a.medianRelError)]
    }),
  }
  const kept = c.stride === 1 ? 'every request' : `every ${c.stride}th iteration's requests (deterministic: the iteration number is a multiple of ${c.stride})`
  return {
    heading,
    paragraphs: [
      `${c.pairs.length} requests compared: ${kept}; ${c.measured} measured with an id${c.failed > 0 ? `, ${c.failed} failed (not compared)` : ''}${c.unmatched > 0 ? `, ${c.unmatched} with no simulated twin` : ''}. Each is joined with its twin by its id (iteration and call, which k6 records as sample metadata); the twins come from fleetcap simulate of the same tasks, whichever --predictor fitted the factor.`,
    ],
    tables: [table],
    charts,
  }
}
