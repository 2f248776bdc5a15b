/** Vega-Lite building blocks shared by the report pages. */
import {type Chart, hoursAxis, type VegaLiteSpec} from './chart.js'
import type {Dataset} from './dataset.js'

/** Distinct values of a dataset's field, in first-seen order. */
export function distinct(d: Dataset, field: string): string[] {
  const j = d.fields.indexOf(field)
  const seen: string[] = []
  for (const r of d.rows) {
    const v = String(r[j])
    if (!seen.includes(v)) seen.push(v)
  }
  return seen
}

const tooltipHV = (yTitle: string) => [
  {field: 'series', type: 'nominal', title: 'series'},
  {field: 'h', type: 'quantitative', title: 'time (h)', format: '.3f'},
  {field: 'v', type: 'quantitative', title: yTitle, format: '.4~g'},
]

/** Lines over time in hours from a long dataset {h, series, v}; extra layers drawn on top. */
export function timeLines(o: {id: string; title: string; caption: string; data: Dataset; yTitle: string; yScale?: Record<string, unknown>; layers?: VegaLiteSpec[]; extraData?: Record<string, Dataset>; mark?: string}): Chart {
  const name = `${o.id}-series`
  const line: VegaLiteSpec = {
    data: {name},
    mark: {type: o.mark ?? 'line', interpolate: o.mark === 'area' ? 'step-after' : 'linear', tooltip: true},
    encoding: {
      x: hoursAxis,
      y: {field: 'v', type: 'quantitative', title: o.yTitle, ...(o.yScale ? {scale: o.yScale} : {})},
      color: {field: 'series', type: 'nominal', title: null, sort: null},
      tooltip: tooltipHV(o.yTitle),
    },
  }
  return {
    id: o.id,
    title: o.title,
    caption: o.caption,
    spec: {layer: [line, ...(o.layers ?? [])]},
    data: {[name]: o.data, ...o.extraData},
    series: distinct(o.data, 'series'),
  }
}

/** A horizontal rule at y = value (an SLO target), labelled. */
export function targetRule(value: number, label: string): VegaLiteSpec {
  return {
    data: {values: [{y: value, label}]},
    layer: [
      {mark: {type: 'rule', strokeDash: [6, 4], color: '#c62828'}, encoding: {y: {field: 'y', type: 'quantitative'}}},
      {mark: {type: 'text', align: 'left', dx: 4, dy: -6, color: '#c62828', fontSize: 10}, encoding: {x: {datum: 0, type: 'quantitative'}, y: {field: 'y', type: 'quantitative'}, text: {field: 'label'}}},
    ],
  }
}

/** Vertical rules at event times (hours) from a dataset {h, label, kind}, coloured by kind. */
export function eventRules(name: string): VegaLiteSpec {
  return {
    data: {name},
    mark: {type: 'rule', strokeDash: [2, 2], strokeWidth: 1.5, tooltip: true},
    encoding: {
      x: {field: 'h', type: 'quantitative'},
      color: {value: '#7b1fa2'},
      tooltip: [{field: 'label', type: 'nominal', title: 'event'}, {field: 'h', type: 'quantitative', title: 'time (h)', format: '.3f'}],
    },
  }
}
