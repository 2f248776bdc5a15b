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
import {FORMAT_PROFILES, formatByExtension, formatByHeader, HEADER_ALIASES} from './formats.js'
import type {ColumnMapping, Task, TaskCall} from './types.js'
import {OrderedSink} from './ordered-sink.js'
import type {OriginRow, TraceReader, TraceReadOptions, TraceReadReport} from './read-trace-types.js'
import {RowParser} from './row-parser.js'

export * from './read-trace-types.js'

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

async function assertReadable(path: string): Promise<void> {
  try {
    const s = await stat(path)
    if (!s.isFile()) throw new InputError({file: path}, 'not a file')
  } catch (error) {
    if (error instanceof FleetcapError) throw error
    throw new InputError({file: path}, `cannot read the trace (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}
