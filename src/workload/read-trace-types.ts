import type {TraceFormat, TraceFormatOption} from './formats.js'
import type {TimeUnit, TimeUnitOption} from './time.js'
import type {ColumnMapping, Priority, TaskStream, TraceRow} from './types.js'

/** What the trace reader (read-trace.ts) is asked, reports and returns. */

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

export const SKIP_REASONS = ['bad-time', 'bad-number', 'negative', 'missing-column', 'missing-value', 'bad-priority', 'bad-json', 'bad-chain', 'out-of-order', 'extra-field'] as const
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

/** A row with the origin its file's times are measured from (carried so tasks() needs no second pass). */
export type OriginRow = TraceRow & {originS: number}
