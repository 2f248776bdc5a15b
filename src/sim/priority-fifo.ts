/**
 * The central waiting queue: one FIFO ring of call slots per priority class (critical, high,
 * normal, low). Strict priority between classes, first-come-first-served inside one — as the
 * seeds' Celery/Redis priority queues do. Rings grow by doubling; nothing is allocated per push.
 */
export class PriorityFifo {
  private readonly rings: Int32Array[]
  private readonly heads: Int32Array
  private readonly counts: Int32Array
  private total = 0

  constructor(readonly classes: number, initialCapacity = 256) {
    // Ring sizes are powers of two so that wrapping is a mask.
    const cap = 2 ** Math.ceil(Math.log2(Math.max(2, initialCapacity)))
    this.rings = Array.from({length: classes}, () => new Int32Array(cap))
    this.heads = new Int32Array(classes)
    this.counts = new Int32Array(classes)
  }

  get size(): number {
    return this.total
  }

  sizeOf(cls: number): number {
    return this.counts[cls]
  }

  push(cls: number, slot: number): void {
    let ring = this.rings[cls]
    const n = this.counts[cls]
    if (n === ring.length) ring = this.grow(cls)
    ring[(this.heads[cls] + n) & (ring.length - 1)] = slot
    this.counts[cls] = n + 1
    this.total++
  }

  /** Put a slot back at the head of its class (work lost on a failed replica goes first again). */
  unshift(cls: number, slot: number): void {
    let ring = this.rings[cls]
    if (this.counts[cls] === ring.length) ring = this.grow(cls)
    const h = (this.heads[cls] - 1) & (ring.length - 1)
    ring[h] = slot
    this.heads[cls] = h
    this.counts[cls]++
    this.total++
  }

  /** Class of the head (the highest non-empty class), or -1 when empty. */
  headClass(): number {
    if (this.total === 0) return -1
    for (let c = 0; c < this.classes; c++) if (this.counts[c] > 0) return c
    return -1
  }

  peek(cls: number): number {
    return this.rings[cls][this.heads[cls]]
  }

  shift(cls: number): number {
    const ring = this.rings[cls]
    const h = this.heads[cls]
    const slot = ring[h]
    this.heads[cls] = (h + 1) & (ring.length - 1)
    this.counts[cls]--
    this.total--
    return slot
  }

  private grow(cls: number): Int32Array {
    const old = this.rings[cls]
    const n = this.counts[cls]
    const ring = new Int32Array(old.length * 2)
    const h = this.heads[cls]
    for (let i = 0; i < n; i++) ring[i] = old[(h + i) & (old.length - 1)]
    this.rings[cls] = ring
    this.heads[cls] = 0
    return ring
  }
}
