/**
 * Forecast pages: `forecast run` (history, the P50 with its P90 and P99 fans) and `forecast backtest`
 * (held-out windows against the forecasts, errors per model and window). Wall-clock figures (training
 * time, backtest seconds) are left out: the page must be the same for the same inputs.
 */
import type {BacktestResult} from './backtest.js'
import {mase, smape} from './metrics.js'
import {type Forecast, quantileKey, type Series} from './types.js'
import type {Chart, Page, Table} from '../report/html/chart.js'
import {type Dataset, dataset} from '../report/html/dataset.js'
import {minMaxIndices} from '../report/html/downsample.js'
import {distinct} from '../report/html/specs.js'

const MAX_HISTORY = 2400
// A utc scale makes Vega-Lite format the axis in UTC: the page reads the same in every time zone.
const utcAxis = {format: '%Y-%m-%d %H:%M', labelAngle: -30, labelOverlap: true}
const timeX = (title: string) => ({field: 't', type: 'temporal', title, scale: {type: 'utc'}, axis: utcAxis})

/** The series from index `from` on (the backtest chart shows the windows, not years before them). */
function recent(series: Series, from: number): Series {
  return {...series, startS: series.startS + from * series.stepS, values: series.values.subarray(from)}
}

/** History (downsampled), as {t (ms), v}. */
function historyData(series: Series): Dataset {
  const v = series.values
  const keep = minMaxIndices(v.length, MAX_HISTORY, (i) => v[i])
  return dataset(['t', 'v'], keep.map((i) => ({t: (series.startS + i * series.stepS) * 1000, v: v[i]})))
}

function fanChart(id: string, history: Dataset, fc: {t: number; p50: number; p90?: number; p99?: number}[], title: string, caption: string): Chart {
  const hist = `${id}-history`
  const fan = `${id}-forecast`
  const d = dataset(['t', 'p50', 'p90', 'p99'], fc)
  const has = (k: 'p90' | 'p99'): boolean => fc.some((r) => r[k] !== undefined)
  const layers: Record<string, unknown>[] = []
  if (has('p99')) layers.push({data: {name: fan}, mark: {type: 'area', opacity: 0.18, color: '#1565c0'}, encoding: {x: timeX('time (UTC)'), y: {field: 'p50', type: 'quantitative'}, y2: {field: 'p99'}}})
  if (has('p90')) layers.push({data: {name: fan}, mark: {type: 'area', opacity: 0.3, color: '#1565c0'}, encoding: {x: timeX('time (UTC)'), y: {field: 'p50', type: 'quantitative'}, y2: {field: 'p90'}}})
  // Two series in one colour legend: the history and the P50.
  layers.unshift({
    data: {name: hist},
    transform: [{calculate: "'history'", as: 'series'}],
    mark: {type: 'line', strokeWidth: 1, tooltip: true},
    encoding: {x: timeX('time (UTC)'), y: {field: 'v', type: 'quantitative', title: 'value'}, color: {field: 'series', type: 'nominal', title: null, scale: {domain: ['history', 'P50 forecast'], range: ['#444', '#1565c0']}}},
  })
  layers.push({
    data: {name: fan},
    transform: [{calculate: "'P50 forecast'", as: 'series'}],
    mark: {type: 'line', tooltip: true},
    encoding: {x: timeX('time (UTC)'), y: {field: 'p50', type: 'quantitative'}, color: {field: 'series', type: 'nominal'}, tooltip: [{field: 't', type: 'temporal', timeUnit: 'utcyearmonthdatehoursminutes', title: 'time (UTC)'}, {field: 'p50', format: '.4~g'}, {field: 'p90', format: '.4~g'}, {field: 'p99', format: '.4~g'}]},
  })
  return {id, title, caption, spec: {width: 820, height: 240, layer: layers}, data: {[hist]: history, [fan]: d}, series: ['history', 'P50 forecast']}
}

/** The page of `forecast run`. */
export function forecastPage(input: {series: Series; forecast: Forecast}): Page {
  const {series, forecast: f} = input
  const at = (level: number): number[] | undefined => f.quantiles[quantileKey(level)]
  const p50 = at(0.5) ?? f.quantiles[quantileKey(f.levels[0])]
  const rows = f.timestamps.map((t, i) => ({t: t * 1000, p50: p50[i], p90: at(0.9)?.[i], p99: at(0.99)?.[i]}))
  const chart = fanChart('forecast', historyData(series), rows, 'History and forecast', `The series (${series.values.length} points of ${series.stepS} s; long histories downsampled, min and max per bucket kept) and the forecast's P50, with the P50–P90 (darker) and P50–P99 (lighter) fans where those levels were asked.`)
  const params = Object.entries(f.params).filter(([k]) => k !== 'trainMs')
  const tables: Table[] = [
    {caption: 'Model', headers: ['field', 'value'], rows: [['model', f.model], ['intervals', f.intervals], ...params.map(([k, v]) => [k, String(v)]), ...(f.selection ? [[`auto (${f.selection.method}) MASE`, Object.entries(f.selection.scores).map(([k, v]) => `${k} ${v}`).join(', ')]] : [])]},
  ]
  return {
    kind: 'Forecast',
    title: series.name,
    subtitle: [`${f.model}, ${f.timestamps.length} steps of ${f.stepS} s ahead; levels ${f.levels.map((l) => quantileKey(l)).join(', ')}.`, ...f.warnings.map((w) => `warning: ${w}`)],
    sections: [{heading: 'Forecast', charts: [chart], tables}],
  }
}

/** The page of `forecast backtest`. */
export function backtestPage(input: {series: Series[]; result: BacktestResult}): Page {
  const {series, result} = input
  const windows = result.windows ?? []
  const charts: Chart[] = []
  const first = series[0]
  // The first series' windows are drawn with every model's forecast over them.
  const withPaths = first === undefined ? [] : windows.filter((w) => w.series === first.name && w.quantiles.p50 !== undefined)
  if (first !== undefined && withPaths.length > 0) {
    const rows: Record<string, unknown>[] = []
    for (const w of withPaths) {
      const {p50, p90, p99} = w.quantiles
      p50.forEach((v, i) => rows.push({t: (first.startS + (w.start + i) * first.stepS) * 1000, series: String(w.model), p50: v, p90: p90?.[i] ?? null, p99: p99?.[i] ?? null}))
    }
    const hist = 'backtest-history'
    const fc = 'backtest-forecasts'
    const d = dataset(['t', 'series', 'p50', 'p90', 'p99'], rows)
    const starts = [...new Set(withPaths.map((w) => w.start))]
    const spans = dataset(['t', 'to'], starts.map((s) => ({t: (first.startS + s * first.stepS) * 1000, to: (first.startS + (s + result.holdout) * first.stepS) * 1000})))
    charts.push({
      id: 'backtest-windows',
      title: `Held-out windows: ${first.name}`,
      caption: `The end of the series (grey: four windows' length before the first held-out one) and, in each of the ${starts.length} held-out window(s) (shaded), every model's P50 forecast made from the data before it; the dashed lines are each model's P90. ${series.length > 1 ? `First of ${series.length} series.` : ''}`,
      spec: {
        width: 820,
        height: 260,
        layer: [
          {data: {name: 'backtest-window-spans'}, mark: {type: 'rect', color: '#eee'}, encoding: {x: timeX('time (UTC)'), x2: {field: 'to'}}},
          {data: {name: hist}, mark: {type: 'line', color: '#777', strokeWidth: 1}, encoding: {x: timeX('time (UTC)'), y: {field: 'v', type: 'quantitative', title: 'value'}}},
          {data: {name: fc}, mark: {type: 'line', tooltip: true}, encoding: {x: timeX('time (UTC)'), y: {field: 'p50', type: 'quantitative'}, color: {field: 'series', type: 'nominal', title: 'model P50', sort: null}, detail: {field: 'series'}}},
          {data: {name: fc}, mark: {type: 'line', strokeDash: [4, 3], opacity: 0.7}, encoding: {x: timeX('time (UTC)'), y: {field: 'p90', type: 'quantitative'}, color: {field: 'series', type: 'nominal', sort: null}}},
        ],
      },
      data: {[fc]: d, [hist]: historyData(recent(first, Math.max(0, Math.min(...starts) - 4 * result.holdout))), 'backtest-window-spans': spans},
      series: distinct(d, 'series'),
    })
  }
  if (windows.length > 0) {
    const d = dataset(
      ['series', 'window', 'mase', 'smape', 'label', 'producedBy'],
      windows.map((w) => ({series: String(w.model), window: w.start, mase: mase(w.actual, w.quantiles.p50 ?? [], w.scale, w.imputed), smape: smape(w.actual, w.quantiles.p50 ?? [], w.imputed), label: w.series, producedBy: w.producedBy})),
    )
    charts.push({
      id: 'backtest-errors',
      title: 'Error per window and model',
      caption: `MASE of each model's P50 in each held-out window${result.series > 1 ? ' of each series' : ''}: its mean absolute error over the in-sample mean absolute error of the seasonal naive forecast on the data before the window (below 1: better than seasonal naive there; lower is better). The table's MASE is the mean of these points. Hover for sMAPE and the model that produced the window.`,
      spec: {
        data: {name: 'backtest-error-data'},
        mark: {type: 'point', filled: true, size: 40, tooltip: true},
        encoding: {
          x: {field: 'series', type: 'nominal', title: 'model', axis: {labelAngle: 0}},
          xOffset: {field: 'window', type: 'nominal'},
          y: {field: 'mase', type: 'quantitative', title: 'MASE'},
          color: {field: 'series', type: 'nominal', title: null, legend: null, sort: null},
          tooltip: [{field: 'label', title: 'series'}, {field: 'window', title: 'window start'}, {field: 'mase', title: 'MASE', format: '.3f'}, {field: 'smape', title: 'sMAPE %', format: '.2f'}, {field: 'producedBy', title: 'produced by'}],
        },
      },
      data: {'backtest-error-data': d},
      series: distinct(d, 'series'),
    })
  }
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`
  const table: Table = {
    caption: `Scores (best: ${String(result.best)})`,
    headers: ['model', 'MASE', 'sMAPE %', 'pinball', 'in [P5, P95]', '≤ P90', '≤ P99', 'windows', 'points'],
    rows: result.scores.map((s) => [String(s.model), s.mase.toFixed(3), s.smape.toFixed(2), s.pinball.toFixed(4), pct(s.coverage90), pct(s.belowP90), pct(s.belowP99), String(s.windows), String(s.points)]),
    rowClass: result.scores.map((s) => (s.model === result.best ? 'chosen' : undefined)),
  }
  return {
    kind: 'Backtest',
    title: series.length === 1 ? series[0].name : `${series.length} series`,
    subtitle: [`${result.origins} rolling window(s) of ${result.holdout} steps held out at the end of each series; each model fitted on the data before each window.`],
    sections: [{heading: 'Accuracy', tables: [table], charts}],
  }
}
