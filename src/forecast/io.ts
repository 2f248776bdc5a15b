import {parse} from 'csv-parse'
import {parse as parseSync} from 'csv-parse/sync'

import {InputError} from '../errors.js'
import {formatLabels, queryRange, type RangeQuery} from '../prometheus/client.js'
import {LIMITS} from '../limits.js'
import {mustBeFile, readInputFile, streamUserFile} from '../util/read-input.js'
import {readTrace} from '../workload/read-trace.js'
import {rateSeries} from './rate.js'
import {cleanObservations, type CleanOptions, type Cleaned, isoTime, type Observation, parseTimestamp} from './series.js'
import type {Series} from './types.js'


/**
 * Read a `timestamp,value` CSV (a header row is detected and skipped; extra columns are ignored),
 * streamed row by row, then cleaned under the options' gap policy.
 */
export async function loadSeriesCsv(path: string, options: Omit<CleanOptions, 'name'> & {name?: string} = {}): Promise<Cleaned> {
  const obs: Observation[] = []
  const parser = streamUserFile(path, parse({info: true, max_record_size: LIMITS.lineBytes, relax_column_count: true, skip_empty_lines: true, trim: true}))
  let first = true
  try {
    for await (const rec of parser as AsyncIterable<{record: string[]; info: {lines: number}}>) {
      const {record, info} = rec
      const line = info.lines
      if (first) {
        first = false
        if (record.length >= 1 && Number.isNaN(parseTimestamp(record[0]))) continue // header
      }
      if (record.length < 2) throw new InputError({file: path, line}, `expected two columns timestamp,value, got ${record.length}`)
      const timeS = parseTimestamp(record[0])
      if (Number.isNaN(timeS)) throw new InputError({file: path, line, column: 'timestamp'}, `"${record[0]}" is neither ISO-8601 nor epoch seconds/milliseconds`)
      const text = record[1]
      const value = text === '' || /^nan$/i.test(text) ? Number.NaN : Number(text)
      if (text !== '' && !/^nan$/i.test(text) && !Number.isFinite(value)) {
        throw new InputError({file: path, line, column: 'value'}, `"${text}" is not a number`)
      }
      obs.push({timeS, value, where: {file: path, line}})
    }
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError({file: path}, `not a readable CSV: ${(error as Error).message}`)
  }
  return cleanObservations(obs, {...options, name: options.name ?? path})
}

/**
 * The M4 competition's wide format (`"V1","V2",…`; one row per series: id, then values, ragged with
 * trailing empty cells). Returns series with no timestamps (startS 0) at the given step (M4 hourly: 3600 s).
 */
export async function readM4(path: string, options: {stepS?: number; limit?: number} = {}): Promise<Series[]> {
  let rows: string[][]
  const text = await readInputFile(path)
  try {
    rows = parseSync(text, {relax_column_count: true, skip_empty_lines: true}) as string[][]
  } catch (error) {
    throw new InputError({file: path, line: (error as {lines?: number}).lines}, `not a readable CSV: ${(error as Error).message}`)
  }
  const out: Series[] = []
  for (let r = 1; r < rows.length; r++) {
    if (options.limit !== undefined && out.length >= options.limit) break
    const row = rows[r]
    const vals: number[] = []
    for (let c = 1; c < row.length; c++) {
      const t = row[c].trim()
      if (t === '') break
      const v = Number(t)
      if (!Number.isFinite(v)) throw new InputError({file: path, line: r + 1, column: `V${c + 1}`}, `"${t}" is not a number`)
      vals.push(v)
    }
    if (vals.length === 0) throw new InputError({file: path, line: r + 1}, `series ${row[0]} has no values`)
    out.push({name: row[0], startS: 0, stepS: options.stepS ?? 3600, values: Float64Array.from(vals)})
  }
  if (out.length === 0) throw new InputError({file: path}, 'no series (expected the M4 wide format "V1","V2",…)')
  return out
}

/**
 * A Prometheus range query as a series: the query must return exactly one series (aggregate with
 * `sum(...)` otherwise). Points Prometheus did not return are gaps, handled by the gap policy.
 */
export async function loadSeriesPrometheus(q: RangeQuery, options: Omit<CleanOptions, 'name' | 'stepS'> & {name?: string} = {}): Promise<Cleaned> {
  const result = await queryRange(q)
  const name = options.name ?? q.query
  if (result.length === 0) throw new InputError({field: '--query'}, `"${q.query}" returned no data between ${isoTime(q.startS)} and ${isoTime(q.endS)}`)
  if (result.length > 1) {
    throw new InputError({field: '--query'}, `"${q.query}" returned ${result.length} series (${result.slice(0, 3).map((r) => formatLabels(r.labels)).join(', ')}…); a forecast needs one`, {
      hint: 'aggregate it, e.g. sum(rate(requests_total[5m]))',
    })
  }
  const obs: Observation[] = result[0].points.map(([timeS, value]) => ({timeS, value: Number.isFinite(value) ? value : Number.NaN, where: {file: name}}))
  if (obs.length === 0) throw new InputError({field: '--query'}, `"${q.query}" returned a series with no points`)
  // Gaps at the ends of the asked range are not visible in the points: the series starts at the first point.
  return cleanObservations(obs, {...options, name, stepS: q.stepS})
}

/** Where a series comes from: the one union the commands and the planner pass to `loadSeries`. */
export type SeriesInput =
  | {kind: 'csv'; path: string; stepS?: number}
  | {kind: 'prometheus'; url: string; query: string; startS: number; endS: number; stepS: number; timeoutMs?: number}
  | {kind: 'trace'; path: string; stepS: number}

export async function loadSeries(input: SeriesInput, options: Omit<CleanOptions, 'name' | 'stepS'> = {}): Promise<Cleaned> {
  switch (input.kind) {
    case 'csv':
      return loadSeriesCsv(input.path, {...options, stepS: input.stepS})
    case 'prometheus':
      return loadSeriesPrometheus(input, options)
    case 'trace': {
      mustBeFile(input.path)
      const reader = readTrace(input.path)
      const rate = await rateSeries(reader.tasks(), {stepS: input.stepS, name: input.path, originS: () => reader.report().originS})
      // Zero counts are real (no arrivals), not gaps; cleaning applies the masks and the length check.
      const obs: Observation[] = Array.from(rate.values, (value, i) => ({timeS: rate.startS + i * rate.stepS, value}))
      return cleanObservations(obs, {...options, name: input.path, stepS: input.stepS})
    }
  }
}
