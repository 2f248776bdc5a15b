/**
 * Streaming trace reader. CSV through csv-parse, JSONL through readline; rows come out in chunks in
 * arrival order, never the whole file in memory. Every bad row is either an InputError naming the
 * file, line and column, or (with skipInvalid) counted by reason in the report.
 */
import {stat} from 'node:fs/promises'

import {parse as csvParse} from 'csv-parse'

import {FleetcapError, InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {streamUserFile} from '../util/read-input.js'
import {readLines} from '../util/read-lines.js'
import {
  FORMAT_PROFILES,
  MAPPING_FIELDS,
  type MappingField,
  type TraceFormat,
  type TraceFormatOption,
  formatByExtension,
  formatByHeader,
  HEADER_ALIASES,
  resolveColumns,
  resolveKeys,
} from './formats.js'
import {RowHeap} from './row-heap.js'
import {type TimeUnit, type TimeUnitOption, detectTimeUnit, isAbsolute, isoOf, parseNumber, parseTime, unitFromHeader} from './time.js'
import {PRIORITIES, type ColumnMapping, type Priority, type Task, type TaskCall, type TaskStream, type TraceRow} from './types.js'

export interface TraceReadOptions {
  /** 'auto' (default): JSONL by extension is Mooncake; a CSV is Azure, BurstGPT or generic by its header. */
  format?: TraceFormatOption
  /** Header (or JSON key) per field, overriding the format's mapping and the aliases. */
  mapping?: Partial<ColumnMapping>
  /** How to read times; 'auto' (default) detects ISO-8601, epoch s/ms or relative seconds. */
  timeUnit?: TimeUnitOption
  /** Count and skip bad rows instead of stopping at the first. */
  skipInvalid?: boolean
  /** Rows (or tasks) per chunk; default 4096. */
  chunkSize?: number
  /**
   * Seconds of disorder tolerated: rows up to this much earlier than the latest row seen are put
   * back in order (bounded buffer). A row later than that is an error. Default 0 (sorted input).
   */
  reorderWindowS?: number
  /** Priority of rows that name none; default 'normal'. */
  defaultPriority?: Priority
  /** Task type of rows that name none; default 'default'. */
  defaultTaskType?: string
  /**
   * tasks() refuses a file with neither an input-token nor a service-time column (a simulation needs
   * a size for every task; inspecting arrivals does not).
   */
  requireSize?: boolean
}

export const SKIP_REASONS = [
  'bad-time',
  'bad-number',
  'negative',
  'missing-column',
  'missing-value',
  'bad-priority',
  'bad-json',
  'bad-chain',
  'out-of-order',
  'extra-field',
] as const
export type SkipReason = (typeof SKIP_REASONS)[number]

export interface SkipCount {
  reason: SkipReason
  count: number
  /** The first few line numbers skipped for this reason. */
  firstLines: number[]
}

export interface TraceReadReport {
  file: string
  format: TraceFormat
  /** The header (or key) read for each field. */
  mapping: Partial<ColumnMapping>
  timeUnit?: TimeUnit
  /** Valid rows delivered. */
  rowsRead: number
  rowsSkipped: number
  skipped: SkipCount[]
  /** Rows that came out of order within the reorder window and were put back in order. */
  rowsReordered: number
  /** First and last time in the file's own terms: epoch seconds for absolute times, else relative seconds. */
  firstTimeS?: number
  lastTimeS?: number
  firstTimeIso?: string
  lastTimeIso?: string
  spanS: number
  /** The time that task arrivals are measured from (first row for absolute times, 0 for relative ones). */
  originS: number
}

export interface TraceReader {
  readonly path: string
  /** Rows in arrival order, in chunks. Each call reads the file anew. */
  rows(): AsyncIterable<readonly TraceRow[]>
  /** Tasks in arrival order, in chunks: one per row, or one per chain of rows sharing a task_id. */
  tasks(): TaskStream
  /** What the last complete pass read; throws before one has finished. */
  report(): TraceReadReport
}

const FIRST_LINES_KEPT = 5
const MISSING = Symbol('missing')
type Cell = unknown

export function readTrace(path: string, options: TraceReadOptions = {}): TraceReader {
  return new StreamingTraceReader(path, options)
}

class StreamingTraceReader implements TraceReader {
  private last?: TraceReadReport
  /** The fields the file's columns (or keys) give, once its header is read. */
  private mapped?: Partial<ColumnMapping>
  /** The CSV header as read (empty for JSONL). */
  private header: string[] = []

  constructor(
    readonly path: string,
    private readonly options: TraceReadOptions,
  ) {
    if (options.reorderWindowS !== undefined && !(options.reorderWindowS >= 0)) {
      throw new InputError({field: 'reorderWindowS'}, `must be a non-negative number of seconds (got "${options.reorderWindowS}")`)
    }
  }

  report(): TraceReadReport {
    if (this.last === undefined) throw new FleetcapError(`${this.path}: report() asked before the trace was read`)
    return this.last
  }

  async *rows(): AsyncGenerator<readonly OriginRow[]> {
    await assertReadable(this.path)
    const o = this.options
    const requested = o.format ?? 'auto'
    const byExt = requested === 'auto' ? formatByExtension(this.path) : undefined
    const jsonl = byExt !== undefined || (requested !== 'auto' && FORMAT_PROFILES[requested].jsonl)
    const parser = new RowParser(this.path, o)
    const sink = new OrderedSink(parser, o.reorderWindowS ?? 0, o.chunkSize ?? 4096)
    if (jsonl) {
      parser.useKeys(requested === 'auto' ? 'mooncake' : requested)
      this.mapped = parser.mapping
      for await (const {text, line} of readLines(this.path)) {
        if (text.trim() === '') continue
        const row = parser.fromJson(text, line)
        if (row !== undefined && sink.push(row)) yield sink.take()
      }
    } else {
      // Either line ending, row by row: a CRLF file with one LF row (an edited Azure trace) still reads.
      const records = streamUserFile(
        this.path,
        csvParse({bom: true, info: true, max_record_size: LIMITS.lineBytes, relax_column_count: true, skip_empty_lines: true, trim: true, relax_quotes: true, record_delimiter: ['\r\n', '\n']}),
      )
      let header = true
      try {
        for await (const item of records as AsyncIterable<{record: string[]; info: {lines: number}}>) {
          if (header) {
            header = false
            const format = requested === 'auto' ? formatByHeader(item.record) : requested
            parser.useHeader(item.record, format)
            this.header = item.record.map((c) => c.trim())
            this.mapped = parser.mapping
            continue
          }
          const row = parser.fromCsv(item.record, item.info.lines)
          if (row !== undefined && sink.push(row)) yield sink.take()
        }
      } catch (error) {
        if (error instanceof FleetcapError) throw error
        const e = error as Error & {lines?: number}
        throw new InputError({file: this.path, line: e.lines}, `not a readable CSV: ${e.message}`)
      }
      if (header) throw new InputError({file: this.path, line: 1}, 'empty file: no header row')
    }
    sink.finish()
    if (sink.pending > 0) yield sink.take()
    this.last = parser.report(sink)
  }

  async *tasks(): AsyncGenerator<readonly Task[]> {
    const chunkSize = this.options.chunkSize ?? 4096
    let out: Task[] = []
    let id = 0
    let origin = Number.NaN
    let current: Task | undefined
    let currentKey: string | undefined
    for await (const chunk of this.rows()) {
      if (id === 0) this.mustSizeTasks()
      for (const row of chunk) {
        if (Number.isNaN(origin)) origin = row.originS
        const call: TaskCall = {inputTokens: row.inputTokens ?? 0, outputTokens: row.outputTokens ?? 0, delayS: row.delayS ?? 0}
        if (row.prefixTokens !== undefined) call.sharedPrefixTokens = row.prefixTokens
        if (current !== undefined && row.taskId !== undefined && row.taskId === currentKey) {
          current.calls.push(call)
          continue
        }
        if (current !== undefined) {
          out.push(current)
          if (out.length >= chunkSize) {
            yield out
            out = []
          }
        }
        current = {
          id: id++,
          arrivalS: row.timeS - origin,
          taskType: row.taskType ?? this.options.defaultTaskType ?? 'default',
          priority: row.priority ?? this.options.defaultPriority ?? 'normal',
          calls: [call],
        }
        if (row.model !== undefined) current.model = row.model
        if (row.serviceTimeS !== undefined) current.serviceTimeS = row.serviceTimeS
        if (row.deadlineS !== undefined) current.deadlineS = row.deadlineS
        currentKey = row.taskId
      }
    }
    if (current !== undefined) out.push(current)
    if (out.length > 0) yield out
    if (id === 0) {
      const skipped = this.last?.rowsSkipped ?? 0
      throw new InputError({file: this.path}, skipped > 0 ? `no tasks: all ${skipped} data rows were invalid and skipped` : 'no tasks: the file has no data rows')
    }
  }

  /** Tasks need a size: prompt tokens (LLM calls) or a service time (generic work). */
  private mustSizeTasks(): void {
    const m = this.mapped
    // LLM calls with a prompt size but no output size would run with 0 output tokens, silently.
    if (m !== undefined && m.inputTokens !== undefined && m.outputTokens === undefined && m.serviceTimeS === undefined) {
      throw new InputError({file: this.path, line: 1}, `no output-token column among ${this.header.length > 0 ? this.header.map((c) => `"${c}"`).join(', ') : 'its keys'}; accepted: ${HEADER_ALIASES.outputTokens.join(', ')}`, {
        hint: 'name the column with --map output=COLUMN (or mapping: in the scenario)',
      })
    }
    if (this.options.requireSize !== true || m === undefined || m.inputTokens !== undefined || m.serviceTimeS !== undefined) return
    throw new InputError({file: this.path, line: 1}, 'no input-token column (input_tokens, prompt_tokens, ContextTokens, …) and no service_s column: the tasks would have no size', {
      hint: 'name the column with --map input=COLUMN (or mapping: in the scenario)',
    })
  }
}

/** A row with the origin its file's times are measured from (carried so tasks() needs no second pass). */
type OriginRow = TraceRow & {originS: number}

async function assertReadable(path: string): Promise<void> {
  try {
    const s = await stat(path)
    if (!s.isFile()) throw new InputError({file: path}, 'not a file')
  } catch (error) {
    if (error instanceof FleetcapError) throw error
    throw new InputError({file: path}, `cannot read the trace (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

/** Turns raw records into validated rows, and keeps the counts for the report. */
class RowParser {
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

/**
 * Puts rows in time order through a bounded buffer (the reorder window) and cuts them into chunks.
 * A row earlier than one already delivered is beyond the window: an error, or skipped and counted.
 */
class OrderedSink {
  delivered = 0
  reordered = 0
  firstTimeS = Number.NaN
  lastTimeS = Number.NaN
  originS = 0
  private maxSeenLine = 0
  private maxSeenS = Number.NEGATIVE_INFINITY
  private heap = new RowHeap()
  private chunk: OriginRow[] = []

  constructor(
    private readonly parser: RowParser,
    private readonly windowS: number,
    private readonly chunkSize: number,
  ) {}

  get pending(): number {
    return this.chunk.length
  }

  /** Add a row; true when a chunk is ready to take. */
  push(row: OriginRow): boolean {
    if (row.timeS < this.maxSeenS) {
      const lag = this.maxSeenS - row.timeS
      if (lag > this.windowS) {
        this.parser.invalid(
          'out-of-order',
          row.line,
          'time',
          `out of order: ${formatS(lag)} earlier than line ${this.maxSeenLine}, beyond the reorder window of ${this.windowS} s`,
          `sort the file by time, or allow a reorder window (--reorder-window ${Math.ceil(lag)}) if the disorder is bounded`,
        )
        return false
      }
      this.reordered++
    } else {
      this.maxSeenS = row.timeS
      this.maxSeenLine = row.line
    }
    if (this.windowS === 0) {
      this.emit(row)
    } else {
      this.heap.push(row)
      const limit = this.maxSeenS - this.windowS
      for (let top = this.heap.peek(); top !== undefined && top.timeS <= limit; top = this.heap.peek()) {
        this.emit(this.heap.pop() as OriginRow)
      }
    }
    return this.chunk.length >= this.chunkSize
  }

  finish(): void {
    while (this.heap.size > 0) this.emit(this.heap.pop() as OriginRow)
  }

  take(): OriginRow[] {
    const c = this.chunk
    this.chunk = []
    return c
  }

  private emit(row: OriginRow): void {
    if (this.delivered === 0) {
      this.firstTimeS = row.timeS
      this.originS = this.parser.unit !== undefined && isAbsolute(this.parser.unit) ? row.timeS : 0
    }
    row.originS = this.originS
    this.delivered++
    this.lastTimeS = row.timeS
    this.chunk.push(row)
  }
}

function formatS(s: number): string {
  return `${Number(s.toPrecision(6))} s`
}
