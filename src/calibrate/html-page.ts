/**
 * The calibration page: each figure k6 measured against what the profile predicted for the same
 * load, before and after the fitted step-time factor; the residuals; the factor itself.
 */
import type {CalibrationResult} from './fit.js'
import type {Chart, Page, Table} from '../report/html/chart.js'
import {dataset} from '../report/html/dataset.js'
import {distinct} from '../report/html/specs.js'
import type {RequestComparison} from './per-request.js'
import {requestSection} from './request-charts.js'

export interface CalibrationPageInput {
  profile: string
  replicas: number
  predictor: string
  /** The measurement as the user named it (a path relative to where they ran). */
  measurement: {file: string; format: string; requests: number; droppedIterations: number}
  result: CalibrationResult
  /** Each measured request against its simulated twin (k6 --out json with call ids). */
  requests?: RequestComparison
  /** Why there is no per-request comparison, when there is none. */
  requestsNote?: string
}

export function calibrationPage(input: CalibrationPageInput): Page {
  const r = input.result
  const names = {before: 'before (profile as shipped)', after: `after (step time × ${r.stepScale.toFixed(3)})`}
  const rows = [
    ...r.before.map((c) => ({series: names.before, figure: c.figure, measured: c.measured, predicted: c.predicted, error: c.error, fitted: c.fitted})),
    ...r.after.map((c) => ({series: names.after, figure: c.figure, measured: c.measured, predicted: c.predicted, error: c.error, fitted: c.fitted})),
  ]
  const d = dataset(['series', 'figure', 'measured', 'predicted', 'error', 'fitted'], rows)
  const values = rows.flatMap((x) => [x.measured, x.predicted]).filter((x) => x > 0)
  const lo = Math.min(...values) / 1.5
  const hi = Math.max(...values) * 1.5
  const scatter: Chart = {
    id: 'calibrate-scatter',
    title: 'Measured against predicted',
    caption: 'Each figure k6 measured (x) against the prediction for the same requests at the same times (y), before and after the fit; on the diagonal the prediction is exact. Log scales: latencies in ms, throughput in requests or tokens per second.',
    spec: {
      width: 420,
      height: 420,
      layer: [
        {data: {values: [{x: lo, y: lo}, {x: hi, y: hi}]}, mark: {type: 'line', color: '#999', strokeDash: [4, 4]}, encoding: {x: {field: 'x', type: 'quantitative'}, y: {field: 'y', type: 'quantitative'}}},
        {
          data: {name: 'calibrate-figures'},
          mark: {type: 'point', filled: true, size: 70, tooltip: true},
          encoding: {
            x: {field: 'measured', type: 'quantitative', title: 'measured', scale: {type: 'log', domain: [lo, hi]}},
            y: {field: 'predicted', type: 'quantitative', title: 'predicted', scale: {type: 'log', domain: [lo, hi]}},
            color: {field: 'series', type: 'nominal', title: null, sort: null, legend: {orient: 'bottom', direction: 'vertical'}},
            shape: {field: 'fitted', type: 'nominal', title: 'fitted figure'},
            tooltip: [{field: 'figure'}, {field: 'series'}, {field: 'measured', format: '.4~g'}, {field: 'predicted', format: '.4~g'}, {field: 'error', format: '+.1%'}],
          },
        },
      ],
    },
    data: {'calibrate-figures': d},
    series: distinct(d, 'series'),
  }
  const residuals: Chart = {
    id: 'calibrate-residuals',
    title: 'Residuals',
    caption: '(predicted − measured) ÷ measured for each figure, before and after the fit. Only the latency quantiles are fitted; throughput follows the offered rate.',
    spec: {
      height: {step: 12},
      data: {name: 'calibrate-figures'},
      mark: {type: 'bar', tooltip: true},
      encoding: {
        y: {field: 'figure', type: 'nominal', title: null, sort: null},
        yOffset: {field: 'series', type: 'nominal'},
        x: {field: 'error', type: 'quantitative', title: 'relative error', axis: {format: '+.0%'}},
        color: {field: 'series', type: 'nominal', title: null, sort: null, legend: {orient: 'bottom', direction: 'vertical'}},
        tooltip: [{field: 'figure'}, {field: 'series'}, {field: 'error', format: '+.1%'}],
      },
    },
    data: {'calibrate-figures': d},
    series: distinct(d, 'series'),
  }
  const scanData = dataset(['scale', 'rmsLogError', 'chosen'], [...r.scan.filter((x) => Number.isFinite(x.rmsLogError)).map((x) => ({...x, chosen: 'evaluated'})), {scale: r.stepScale, rmsLogError: r.rmsLogErrorAfter, chosen: 'fitted'}])
  const objective: Chart = {
    id: 'calibrate-fit',
    title: 'The fitted factor',
    caption: `RMS log error of the fitted figures (y) at every step-time scale the search tried (x, log): a scan of the range, then a golden-section search around its best. The fitted factor, ${r.stepScale.toFixed(3)}, is the minimum; a flat bottom means the measurement pins the factor only loosely.`,
    spec: {
      data: {name: 'calibrate-scan'},
      mark: {type: 'point', filled: true, tooltip: true},
      encoding: {
        x: {field: 'scale', type: 'quantitative', title: 'step-time scale', scale: {type: 'log'}},
        y: {field: 'rmsLogError', type: 'quantitative', title: 'RMS log error'},
        color: {field: 'chosen', type: 'nominal', title: null, sort: null, scale: {domain: ['evaluated', 'fitted'], range: ['#90a4ae', '#e65100']}},
        size: {condition: {test: "datum.chosen === 'fitted'", value: 120}, value: 30},
        tooltip: [{field: 'scale', format: '.4f'}, {field: 'rmsLogError', title: 'RMS log error', format: '.4f'}],
      },
    },
    data: {'calibrate-scan': scanData},
    series: distinct(scanData, 'chosen'),
  }
  const pct = (e: number): string => `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)} %`
  const table: Table = {
    caption: 'Figures',
    headers: ['figure', 'measured', 'predicted', 'error', 'after the fit', 'error', 'fitted'],
    rows: r.before.map((b) => {
      const a = r.after.find((x) => x.figure === b.figure)
      return [b.figure, b.measured.toFixed(2), b.predicted.toFixed(2), pct(b.error), a ? a.predicted.toFixed(2) : '-', a ? pct(a.error) : '-', b.fitted ? 'yes' : 'no'].map(String)
    }),
  }
  const factors: Table = {
    caption: 'Fitted factors',
    headers: ['factor', 'value'],
    rows: [
      ['step-time scale (multiplies the profile\'s step time)', r.stepScale.toFixed(4)],
      ['RMS log error over the fitted figures, before', r.rmsLogErrorBefore.toFixed(4)],
      ['RMS log error, after', r.rmsLogErrorAfter.toFixed(4)],
    ],
  }
  const m = input.measurement
  return {
    kind: 'Calibration',
    title: input.profile,
    subtitle: [
      `${input.replicas} replica(s) of ${input.profile}; ${m.requests} requests measured by k6 (${m.format}, ${m.file})${m.droppedIterations > 0 ? `; k6 dropped ${m.droppedIterations} iterations` : ''}; predicted by ${input.predictor}.`,
      'The factor is fitted on the figures (quantiles of the whole run); with k6 --out json from a fleetcap script, each request is also compared with its twin in the simulation, before and after the fit.',
    ],
    sections: [
      {heading: 'Measured against predicted', tables: [table, factors], charts: [scatter, residuals, objective]},
      requestSection(input.requests, names, input.requestsNote),
    ],
  }
}
