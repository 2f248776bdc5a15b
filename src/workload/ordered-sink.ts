import {RowHeap} from './row-heap.js'
import {isAbsolute} from './time.js'
import type {OriginRow} from './read-trace-types.js'
import type {RowParser} from './row-parser.js'

/**
 * Puts rows in time order through a bounded buffer (the reorder window) and cuts them into chunks.
 * A row earlier than one already delivered is beyond the window: an error, or skipped and counted.
 */
export class OrderedSink {
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
