/** Time-series columns as chart datasets: long format (hour, series, value), downsampled per chart. */
import {type Dataset, dataset} from './dataset.js'
import {minMaxRows} from './downsample.js'

/** Points kept per series of a time chart (min/max per bucket keeps every spike). */
export const MAX_POINTS = 1200

export interface Columnar {
  columns: readonly string[]
  /** Row-major. */
  rows: readonly number[]
}

export function columnIndex(ts: Columnar, name: string): number {
  return ts.columns.indexOf(name)
}

export function rowCount(ts: Columnar): number {
  return ts.columns.length === 0 ? 0 : Math.floor(ts.rows.length / ts.columns.length)
}

/**
 * A long-format dataset {h, series, v} of the given columns (label → value of row i), x in hours,
 * downsampled jointly so all series share their kept times.
 */
export function longSeries(ts: Columnar, series: readonly {label: string; value: (i: number) => number}[], maxPoints = MAX_POINTS): Dataset {
  const n = rowCount(ts)
  const w = ts.columns.length
  const t = (i: number): number => ts.rows[i * w]
  const keep = minMaxRows(n, series.map((s) => s.value), maxPoints)
  const out: Record<string, unknown>[] = []
  for (const s of series) for (const i of keep) out.push({h: t(i) / 3600, series: s.label, v: s.value(i)})
  return dataset(['h', 'series', 'v'], out)
}

/** Value of a named column at row i (NaN when the column is absent). */
export function col(ts: Columnar, name: string): (i: number) => number {
  const j = columnIndex(ts, name)
  const w = ts.columns.length
  return j < 0 ? () => Number.NaN : (i) => ts.rows[i * w + j]
}

/** Per-second rate of a per-interval count column (the count over the time since the previous row). */
export function ratePerS(ts: Columnar, name: string): (i: number) => number {
  const c = col(ts, name)
  const t = col(ts, 'time_s')
  return (i) => {
    const dt = t(i) - (i > 0 ? t(i - 1) : 0)
    return dt > 0 ? c(i) / dt : Number.NaN
  }
}
