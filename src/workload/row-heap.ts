import type {TraceRow} from './types.js'

/**
 * Min-heap of trace rows by (time, line): the bounded reorder buffer for mildly unsorted traces.
 * Ties keep file order, so the calls of one agent chain (same time) stay in sequence.
 */
export class RowHeap {
  private readonly items: TraceRow[] = []

  get size(): number {
    return this.items.length
  }

  peek(): TraceRow | undefined {
    return this.items[0]
  }

  push(row: TraceRow): void {
    const a = this.items
    a.push(row)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(a[i], a[p])) break
      ;[a[i], a[p]] = [a[p], a[i]]
      i = p
    }
  }

  pop(): TraceRow | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l], a[m])) m = l
        if (r < a.length && before(a[r], a[m])) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m], a[i]]
        i = m
      }
    }
    return top
  }
}

function before(x: TraceRow, y: TraceRow): boolean {
  return x.timeS < y.timeS || (x.timeS === y.timeS && x.line < y.line)
}
