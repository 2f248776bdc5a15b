/**
 * The pending-event set: a binary min-heap on parallel typed arrays, keyed by (time, insertion
 * sequence). Equal times pop in the order they were scheduled, so a run is deterministic without
 * string ids or object identity. An event is four numbers — a kind (small integer), a target index
 * and an integer payload (the model decides what they mean, e.g. a replica and its generation) —
 * so scheduling allocates nothing once the arrays have grown to the run's peak.
 */
export class EventQueue {
  private time: Float64Array
  private seq: Float64Array
  private kind: Uint8Array
  private target: Int32Array
  private payload: Int32Array
  private n = 0
  private nextSeq = 0

  /** Fields of the event most recently taken by pop(). Read them right after pop(). */
  poppedTime = 0
  poppedKind = 0
  poppedTarget = 0
  poppedPayload = 0

  constructor(initialCapacity = 1024) {
    const c = Math.max(16, initialCapacity)
    this.time = new Float64Array(c)
    this.seq = new Float64Array(c)
    this.kind = new Uint8Array(c)
    this.target = new Int32Array(c)
    this.payload = new Int32Array(c)
  }

  get size(): number {
    return this.n
  }

  /** Time of the earliest event, or +Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Number.POSITIVE_INFINITY : this.time[0]
  }

  /** Total events ever scheduled (a work measure for benchmarks). */
  get scheduledCount(): number {
    return this.nextSeq
  }

  push(time: number, kind: number, target: number, payload: number): void {
    if (this.n === this.time.length) this.grow()
    const s = this.nextSeq++
    // Sift up with a hole: move parents down until the new key fits.
    let i = this.n++
    const T = this.time
    const S = this.seq
    const K = this.kind
    const G = this.target
    const P = this.payload
    while (i > 0) {
      const p = (i - 1) >> 1
      const pt = T[p]
      if (pt < time || (pt === time && S[p] < s)) break
      T[i] = pt
      S[i] = S[p]
      K[i] = K[p]
      G[i] = G[p]
      P[i] = P[p]
      i = p
    }
    T[i] = time
    S[i] = s
    K[i] = kind
    G[i] = target
    P[i] = payload
  }

  /** Remove the earliest event into the popped* fields; returns false when empty. */
  pop(): boolean {
    if (this.n === 0) return false
    const T = this.time
    const S = this.seq
    const K = this.kind
    const G = this.target
    const P = this.payload
    this.poppedTime = T[0]
    this.poppedKind = K[0]
    this.poppedTarget = G[0]
    this.poppedPayload = P[0]
    const last = --this.n
    if (last === 0) return true
    const lt = T[last]
    const ls = S[last]
    // Sift the last element down from the root with a hole.
    let i = 0
    const half = last >> 1
    while (i < half) {
      let c = 2 * i + 1
      const r = c + 1
      let ct = T[c]
      if (r < last) {
        const rt = T[r]
        if (rt < ct || (rt === ct && S[r] < S[c])) {
          c = r
          ct = rt
        }
      }
      if (lt < ct || (lt === ct && ls < S[c])) break
      T[i] = ct
      S[i] = S[c]
      K[i] = K[c]
      G[i] = G[c]
      P[i] = P[c]
      i = c
    }
    T[i] = lt
    S[i] = ls
    K[i] = K[last]
    G[i] = G[last]
    P[i] = P[last]
    return true
  }

  clear(): void {
    this.n = 0
  }

  private grow(): void {
    const c = this.time.length * 2
    const t = new Float64Array(c)
    t.set(this.time)
    this.time = t
    const s = new Float64Array(c)
    s.set(this.seq)
    this.seq = s
    const k = new Uint8Array(c)
    k.set(this.kind)
    this.kind = k
    const g = new Int32Array(c)
    g.set(this.target)
    this.target = g
    const p = new Int32Array(c)
    p.set(this.payload)
    this.payload = p
  }
}
