import type {BacktestResult} from './backtest.js'
import {isoTime} from './series.js'
import {type Forecast, quantileKey} from './types.js'

/**
 * The files `--out DIR` writes (contents only; the command writes them atomically with
 * writeOutputDir). CSV for spreadsheets, JSONL for programs: one line per forecast or window.
 */

/** One series' forecast as `timestamp,p50,…` (the single-series `--out FILE.csv`). */
export function forecastCsv(f: Forecast): string {
  const keys = f.levels.map((l) => quantileKey(l))
  const lines = [['timestamp', ...keys].join(',')]
  f.timestamps.forEach((t, i) => lines.push([isoTime(t), ...keys.map((k) => String(f.quantiles[k][i]))].join(',')))
  return `${lines.join('\n')}\n`
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** `forecast run --out DIR`: forecasts.csv (long: series, model, timestamp, quantiles), forecasts.jsonl, summary.json. */
export function forecastFiles(forecasts: readonly Forecast[], summary: object): Record<string, string> {
  const keys = forecasts[0]?.levels.map((l) => quantileKey(l)) ?? []
  const lines = [['series', 'model', 'step', 'timestamp', ...keys].join(',')]
  for (const f of forecasts) {
    f.timestamps.forEach((t, i) => lines.push([csvCell(f.series), f.model, String(i + 1), isoTime(t), ...keys.map((k) => String(f.quantiles[k][i]))].join(',')))
  }
  return {
    'forecasts.csv': `${lines.join('\n')}\n`,
    'forecasts.jsonl': forecasts.map((f) => JSON.stringify(f)).join('\n') + '\n',
    'summary.json': `${JSON.stringify(summary, null, 2)}\n`,
  }
}

/** `forecast backtest --out DIR`: windows.csv and windows.jsonl (every window of every model), per-series.csv, scores.json. */
export function backtestFiles(r: BacktestResult): Record<string, string> {
  const windows = r.windows ?? []
  const keys = windows[0] ? Object.keys(windows[0].quantiles) : []
  const lines = [['series', 'window', 'model', 'produced_by', 'step', 'index', 'time', 'actual', 'imputed', ...keys].join(',')]
  for (const w of windows) {
    w.actual.forEach((a, h) => {
      // A series without timestamps (M4: its start is epoch 0) has only its index.
      const time = w.startS === w.start * w.stepS ? '' : isoTime(w.startS + h * w.stepS)
      lines.push([csvCell(w.series), String(w.window), w.model, w.producedBy, String(h + 1), String(w.start + h), time, String(a), String(w.imputed?.[h] ?? 0), ...keys.map((k) => String(w.quantiles[k][h]))].join(','))
    })
  }
  const models = r.scores.map((s) => String(s.model))
  const per = [['series', ...models.flatMap((m) => [`${m}_mase`, `${m}_smape`, `${m}_pinball`, `${m}_cov80`, `${m}_cov90`])].join(',')]
  for (const ps of r.perSeries) {
    per.push([csvCell(ps.series), ...models.flatMap((m) => {
      const s = ps.scores[m]
      return s ? [s.mase, s.smape, s.pinball, s.coverage80, s.coverage90].map(String) : ['', '', '', '', '']
    })].join(','))
  }
  const {windows: _w, perSeries: _p, ...scores} = r
  return {
    'windows.csv': `${lines.join('\n')}\n`,
    'windows.jsonl': windows.map((w) => JSON.stringify(w)).join('\n') + (windows.length > 0 ? '\n' : ''),
    'per-series.csv': `${per.join('\n')}\n`,
    'scores.json': `${JSON.stringify(scores, null, 2)}\n`,
  }
}
