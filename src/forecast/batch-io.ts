import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {parse} from 'csv-parse'

import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {formatLabels, queryRange} from '../prometheus/client.js'
import {streamUserFile} from '../util/read-input.js'
import {type SeriesInputFlags, seriesInputFromFlags} from './input-flags.js'
import {loadSeries, loadSeriesCsv, readM4} from './io.js'
import {cleanObservations, type CleanOptions, type Observation, parseTimestamp} from './series.js'
import type {Series} from './types.js'

/**
 * Many series for one call (`forecast run|backtest`): a wide file in the M4 layout (`--wide`), a long
 * file `series_id,timestamp,value` (`--series`, detected by its three-column header), a directory of
 * `timestamp,value` CSVs (`--series DIR`, one series per file, in name order), or a Prometheus query
 * returning many series (one per label set). Each series is cleaned under the same gap policy.
 */
export interface ManyFlags extends SeriesInputFlags {
  wide?: string
  limit?: number
}

type Clean = Omit<CleanOptions, 'name' | 'stepS'>

export async function loadMany(f: ManyFlags, clean: Clean, nowS: number): Promise<{series: Series[]; warnings: string[]}> {
  if (f.wide) {
    if (f.series || f.trace || f.prometheus) throw new InputError({field: '--wide'}, 'give one input: --wide, or one of --series, --trace, --prometheus')
    const stepS = f.step ?? 3600
    return {series: await readM4(f.wide, {limit: f.limit, stepS}), warnings: []}
  }
  const input = seriesInputFromFlags(f, nowS)
  const limit = <T>(xs: T[]): T[] => (f.limit === undefined ? xs : xs.slice(0, f.limit))
  if (input.kind === 'csv' && isDirectory(input.path)) {
    const files = readdirSync(input.path).filter((n) => n.toLowerCase().endsWith('.csv')).sort()
    if (files.length === 0) throw new InputError({file: input.path}, 'the directory holds no .csv files')
    const series: Series[] = []
    const warnings: string[] = []
    for (const name of limit(files)) {
      const r = await loadSeriesCsv(join(input.path, name), {...clean, stepS: input.stepS, name: name.replace(/\.csv$/i, '')})
      series.push(r.series)
      warnings.push(...r.warnings)
    }
    return {series, warnings}
  }
  if (input.kind === 'csv' && (await isLongCsv(input.path))) {
    const r = await readLong(input.path, clean, input.stepS)
    return {series: limit(r.series), warnings: r.warnings}
  }
  if (input.kind === 'prometheus') {
    const result = await queryRange(input)
    if (result.length === 0) throw new InputError({field: '--query'}, `"${input.query}" returned no data`)
    const series: Series[] = []
    const warnings: string[] = []
    for (const r of limit(result)) {
      const name = result.length === 1 ? input.query : formatLabels(r.labels)
      const obs: Observation[] = r.points.map(([timeS, value]) => ({timeS, value: Number.isFinite(value) ? value : Number.NaN, where: {file: name}}))
      if (obs.length === 0) continue
      const c = cleanObservations(obs, {...clean, name, stepS: input.stepS})
      series.push(c.series)
      warnings.push(...c.warnings)
    }
    return {series, warnings}
  }
  const r = await loadSeries(input, clean)
  return {series: [r.series], warnings: r.warnings}
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** A long file starts with a header whose first of three columns names the series (series_id, id, series, unique_id). */
async function isLongCsv(path: string): Promise<boolean> {
  // Bounded like every reader: without max_record_size, a file with no newline was read whole into one
  // field (50 MB: 28 CPU-s and 400 MB) before the real reader refused its first line.
  const parser = streamUserFile(path, parse({relax_column_count: true, skip_empty_lines: true, trim: true, to_line: 1, max_record_size: LIMITS.lineBytes}))
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      return record.length >= 3 && /^(series(_id)?|unique_id|id|item_id)$/i.test(record[0]) && Number.isNaN(parseTimestamp(record[1]))
    }
  } catch {
    // Not a long CSV's header; the timestamp,value reader says what is wrong with the file, at its line.
    return false
  }
  return false
}

/** `series_id,timestamp,value` with a header, rows of a series need not be contiguous. */
async function readLong(path: string, clean: Clean, stepS?: number): Promise<{series: Series[]; warnings: string[]}> {
  const byId = new Map<string, Observation[]>()
  const parser = streamUserFile(path, parse({info: true, relax_column_count: true, skip_empty_lines: true, trim: true, from_line: 2, max_record_size: LIMITS.lineBytes}))
  try {
    for await (const {record, info} of parser as AsyncIterable<{record: string[]; info: {lines: number}}>) {
      const line = info.lines
      if (record.length < 3) throw new InputError({file: path, line}, `expected three columns series_id,timestamp,value, got ${record.length}`)
      const timeS = parseTimestamp(record[1])
      if (Number.isNaN(timeS)) throw new InputError({file: path, line, column: 'timestamp'}, `"${record[1]}" is neither ISO-8601 nor epoch seconds/milliseconds`)
      const text = record[2]
      const missing = text === '' || /^nan$/i.test(text)
      const value = missing ? Number.NaN : Number(text)
      if (!missing && !Number.isFinite(value)) throw new InputError({file: path, line, column: 'value'}, `"${text}" is not a number`)
      let obs = byId.get(record[0])
      if (!obs) byId.set(record[0], (obs = []))
      obs.push({timeS, value, where: {file: path, line}})
    }
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError({file: path}, `not a readable CSV: ${(error as Error).message}`)
  }
  if (byId.size === 0) throw new InputError({file: path}, 'no rows after the header')
  const series: Series[] = []
  const warnings: string[] = []
  for (const [id, obs] of byId) {
    const c = cleanObservations(obs, {...clean, name: id, stepS})
    series.push(c.series)
    warnings.push(...c.warnings)
  }
  return {series, warnings}
}
