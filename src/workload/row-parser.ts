import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {FORMAT_PROFILES, MAPPING_FIELDS, type MappingField, type TraceFormat, resolveColumns, resolveKeys} from './formats.js'
import {type TimeUnit, type TimeUnitOption, detectTimeUnit, isAbsolute, isoOf, parseNumber, parseTime, unitFromHeader} from './time.js'
import {PRIORITIES, type ColumnMapping, type Priority, type TraceRow} from './types.js'
import type {OrderedSink} from './ordered-sink.js'
import {type OriginRow, SKIP_REASONS, type SkipCount, type SkipReason, type TraceReadOptions, type TraceReadReport} from './read-trace-types.js'

const FIRST_LINES_KEPT = 5
const MISSING = Symbol('missing')
type Cell = unknown

/** Turns raw records into validated rows, and keeps the counts for the report. */
export class RowParser {
  format: TraceFormat = 'csv'
  mapping: Partial<ColumnMapping> = {}
  unit?: TimeUnit
  private unitHint: TimeUnitOption
  private index: Partial<Record<MappingField, number>> = {}
  private headerLength = 0
  private readonly cells: Cell[] = new Array(MAPPING_FIELDS.length)
  private readonly skipped = new Map<SkipReason, SkipCount>()
  private skippedTotal = 0
  private chainKey: string | undefined
  private chainIndex = -1

  constructor(
    readonly file: string,
    private readonly options: TraceReadOptions,
  ) {
    this.unitHint = options.timeUnit ?? 'auto'
  }

  useHeader(header: string[], format: TraceFormat): void {
    this.headerLength = header.length
    this.format = format
    const {mapping, index} = resolveColumns(header, format, this.options.mapping ?? {}, this.file)
    this.mapping = mapping
    this.index = index
    if (this.options.timeUnit === undefined || this.options.timeUnit === 'auto') {
      this.unitHint = format === 'csv' ? (unitFromHeader(mapping.time ?? '') ?? 'auto') : FORMAT_PROFILES[format].timeUnit
    }
  }

  useKeys(format: TraceFormat): void {
    this.format = format === 'csv' ? 'mooncake' : format
    this.mapping = resolveKeys(format, this.options.mapping ?? {})
    if (this.options.timeUnit === undefined || this.options.timeUnit === 'auto') {
      this.unitHint = FORMAT_PROFILES[this.format].timeUnit
    }
  }

  fromCsv(record: string[], line: number): OriginRow | undefined {
    // A row with more (non-empty) fields than the header: its cells no longer line up with the columns.
    for (let i = this.headerLength; i < record.length; i++) {
      if (record[i] !== '') return this.invalid('extra-field', line, undefined, `${record.length} fields, but the header has ${this.headerLength} (an unquoted comma?)`)
    }
    const cells = this.cells
    for (let k = 0; k < MAPPING_FIELDS.length; k++) {
      const i = this.index[MAPPING_FIELDS[k]]
      cells[k] = i === undefined ? undefined : i < record.length ? record[i] : MISSING
    }
    return this.build(line)
  }

  fromJson(text: string, line: number): OriginRow | undefined {
    let obj: unknown
    try {
      obj = JSON.parse(text)
    } catch (error) {
      return this.invalid('bad-json', line, undefined, `not a JSON object (${(error as Error).message})`)
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return this.invalid('bad-json', line, undefined, `not a JSON object (got "${text.slice(0, 40)}")`)
    }
    const cells = this.cells
    for (let k = 0; k < MAPPING_FIELDS.length; k++) {
      const key = this.mapping[MAPPING_FIELDS[k]]
      cells[k] = key === undefined ? undefined : key in obj ? (obj as Record<string, unknown>)[key] : MISSING
    }
    return this.build(line)
  }

  /** cells[] follows MAPPING_FIELDS: time, inputTokens, outputTokens, taskType, priority, model, taskId, callIndex, delayS, serviceTimeS, deadlineS, prefixTokens. */
  private build(line: number): OriginRow | undefined {
    const c = this.cells
    for (let k = 0; k < c.length; k++) {
      if (c[k] === MISSING) return this.invalid('missing-column', line, MAPPING_FIELDS[k], 'the row has no such column')
      // A JSON object or list where a value belongs would read as "[object Object]".
      if (c[k] !== null && typeof c[k] === 'object') return this.invalid('bad-json', line, MAPPING_FIELDS[k], `a value is needed, not ${Array.isArray(c[k]) ? 'a list' : 'an object'}`)
    }
    const timeText = cellText(c[0])
    if (timeText === '') return this.invalid('missing-value', line, 'time', 'empty time')
    if (this.unit === undefined) {
      const unit = detectTimeUnit(timeText, this.unitHint)
      if (unit === undefined) return this.invalid('bad-time', line, 'time', `not a time (got "${timeText}")`)
      this.unit = unit
    }
    const timeS = parseTime(timeText, this.unit)
    if (!Number.isFinite(timeS)) {
      return this.invalid('bad-time', line, 'time', `not a time of the file's kind (${this.unit}) (got "${timeText}")`)
    }
    if (timeS < 0) return this.invalid('bad-time', line, 'time', `negative time (got "${timeText}")`)
    if (timeS > LIMITS.traceTimeS) return this.invalid('bad-time', line, 'time', `past the year 9999 (got "${timeText}")`)
    const row: OriginRow = {line, timeS, originS: 0}
    if (c[1] !== undefined) {
      const v = this.count(c[1], line, 'inputTokens')
      if (v === undefined) return undefined
      row.inputTokens = v
    }
    if (c[2] !== undefined) {
      const v = this.count(c[2], line, 'outputTokens')
      if (v === undefined) return undefined
      row.outputTokens = v
    }
    const type = cellText(c[3])
    if (type !== '') row.taskType = type
    const prio = cellText(c[4]).toLowerCase()
    if (prio !== '') {
      if (!(PRIORITIES as readonly string[]).includes(prio)) {
        return this.invalid('bad-priority', line, 'priority', `not one of ${PRIORITIES.join(', ')} (got "${cellText(c[4])}")`)
      }
      row.priority = prio as Priority
    }
    const model = cellText(c[5])
    if (model !== '') row.model = model
    const taskId = cellText(c[6])
    if (taskId !== '') row.taskId = taskId
    if (c[7] !== undefined && cellText(c[7]) !== '') {
      const v = this.count(c[7], line, 'callIndex')
      if (v === undefined) return undefined
      row.callIndex = v
    }
    for (const [k, field] of [
      [8, 'delayS'],
      [9, 'serviceTimeS'],
      [10, 'deadlineS'],
    ] as const) {
      if (c[k] === undefined || cellText(c[k]) === '') continue
      const text = cellText(c[k])
      const v = parseNumber(text)
      if (Number.isNaN(v)) return this.invalid('bad-number', line, field, `not a number (got "${text}")`)
      if (v < 0) return this.invalid('negative', line, field, `negative seconds (got "${text}")`)
      row[field] = v
    }
    if (c[11] !== undefined && cellText(c[11]) !== '') {
      const v = this.count(c[11], line, 'prefixTokens')
      if (v === undefined) return undefined
      if (row.inputTokens !== undefined && v > row.inputTokens) {
        return this.invalid('bad-number', line, 'prefixTokens', `more shared prefix tokens than input tokens (${v} > ${row.inputTokens})`)
      }
      row.prefixTokens = v
    }
    if (row.taskId !== undefined && !this.chainOk(row)) {
      return this.invalid(
        'bad-chain',
        line,
        'callIndex',
        `call ${row.callIndex} of task "${row.taskId}" does not follow call ${row.taskId === this.chainKey ? this.chainIndex : 'none'}; a chain's rows must be consecutive, from call 0`,
      )
    }
    return row
  }

  /** Consecutive rows of a chain: call_index 0 starts a task, each next row is +1. */
  private chainOk(row: TraceRow): boolean {
    const expected = row.taskId === this.chainKey ? this.chainIndex + 1 : 0
    const idx = row.callIndex ?? expected
    if (idx !== expected) return false
    this.chainKey = row.taskId
    this.chainIndex = idx
    return true
  }

  /** A token count or index: a non-negative integer. */
  private count(raw: Cell, line: number, field: MappingField): number | undefined {
    const text = cellText(raw)
    if (text === '') return this.invalid('missing-value', line, field, 'empty cell')
    const v = typeof raw === 'number' ? raw : parseNumber(text)
    if (Number.isNaN(v)) return this.invalid('bad-number', line, field, `not a number (got "${text}")`)
    if (v < 0) return this.invalid('negative', line, field, `negative count (got "${text}")`)
    if (!Number.isInteger(v)) return this.invalid('bad-number', line, field, `not a whole number (got "${text}")`)
    if (v > LIMITS.tokensPerCall) return this.invalid('bad-number', line, field, `more than ${LIMITS.tokensPerCall.toLocaleString('en-US')} (got "${text}")`)
    return v
  }

  /** Throws an InputError naming file, line and column, or (skipInvalid) counts the row and returns undefined. */
  invalid(reason: SkipReason, line: number, field: MappingField | undefined, problem: string, hint?: string): undefined {
    const column = field === undefined ? undefined : (this.mapping[field] ?? field)
    if (!this.options.skipInvalid) {
      throw new InputError({file: this.file, line, column}, problem, {
        hint: hint ?? 'fix the row, or pass --skip-invalid to skip and count bad rows',
      })
    }
    let s = this.skipped.get(reason)
    if (s === undefined) {
      s = {reason, count: 0, firstLines: []}
      this.skipped.set(reason, s)
    }
    s.count++
    this.skippedTotal++
    if (s.firstLines.length < FIRST_LINES_KEPT) s.firstLines.push(line)
    return undefined
  }

  report(sink: OrderedSink): TraceReadReport {
    const abs = this.unit !== undefined && isAbsolute(this.unit)
    const r: TraceReadReport = {
      file: this.file,
      format: this.format,
      mapping: this.mapping,
      timeUnit: this.unit,
      rowsRead: sink.delivered,
      rowsSkipped: this.skippedTotal,
      skipped: SKIP_REASONS.flatMap((reason) => {
        const s = this.skipped.get(reason)
        return s === undefined ? [] : [s]
      }),
      rowsReordered: sink.reordered,
      spanS: sink.delivered > 0 ? sink.lastTimeS - sink.firstTimeS : 0,
      originS: sink.originS,
    }
    if (sink.delivered > 0) {
      r.firstTimeS = sink.firstTimeS
      r.lastTimeS = sink.lastTimeS
      if (abs) {
        r.firstTimeIso = isoOf(sink.firstTimeS)
        r.lastTimeIso = isoOf(sink.lastTimeS)
      }
    }
    return r
  }
}

function cellText(raw: Cell): string {
  if (raw === undefined || raw === null) return ''
  return typeof raw === 'string' ? raw : String(raw)
}
