import {quantileSorted} from 'simple-statistics'

import type {LoadProfile} from '../k6/load.js'
import {BatchingReplica, leastLoaded, type ReplicaLimits} from './batching-replica.js'

/** Figures a prediction and a measurement share, in milliseconds and per second. */
export interface LoadFigures {
  latencyP50Ms?: number
  latencyP95Ms?: number
  latencyP99Ms?: number
  ttftP50Ms?: number
  ttftP95Ms?: number
  tpotP50Ms?: number
  tpotP95Ms?: number
  /** Completed LLM requests per second over the load's duration. */
  throughputRps?: number
  outputTokensPerS?: number
}

/**
 * Predicts what a fleet shows under a load, with every step time of its serving profile multiplied
 * by `stepScale` (1 = the profile as it is). Calibration searches the scale that makes the prediction
 * match a measurement. `simulate` (src/sim) is one predictor; replayPredictor below is another.
 */
export type Predictor = (load: LoadProfile, stepScale: number) => Promise<LoadFigures> | LoadFigures

/**
 * The arrival times k6's arrival-rate executors produce: iteration k starts when the integral of the
 * (piecewise-constant) rate reaches k, the first at time 0.
 */
export function arrivalSchedule(load: LoadProfile): number[] {
  const times: number[] = []
  let t0 = 0
  let count = 0 // iterations due by the start of this stage (the integral of the rate)
  let next = 0 // the next iteration's number
  for (const st of load.stages) {
    const end = count + st.ratePerS * st.durationS
    // A small tolerance so that rounding never drops or adds an arrival at a stage boundary.
    while (st.ratePerS > 0 && next < end - 1e-9) {
      times.push(t0 + (next - count) / st.ratePerS)
      next++
    }
    count = end
    t0 += st.durationS
  }
  // k6's constant-arrival-rate also starts the iteration due at the very end (observed with k6
  // v1.8.1: 6/s for 2 s starts 13 iterations, 8/s for 12 s starts 97).
  if (load.executor === 'constant-arrival-rate' && load.stages.length === 1) {
    const st = load.stages[0]
    const n = st.ratePerS * st.durationS
    if (Math.abs(n - Math.round(n)) < 1e-9) times.push(st.durationS)
  }
  return times
}

interface Call {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly task: number
  readonly call: number
  readonly issuedS: number
  firstTokenS: number
}

/** A min-heap of (time, seq) keyed pending arrivals: seq keeps equal times in issue order. */
class ArrivalHeap {
  private readonly items: Array<{t: number; seq: number; task: number; call: number}> = []
  private seq = 0
  get size(): number {
    return this.items.length
  }
  peek(): {t: number; task: number; call: number} | undefined {
    return this.items[0]
  }
  push(t: number, task: number, call: number): void {
    const a = this.items
    a.push({t, seq: this.seq++, task, call})
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (a[p].t < a[i].t || (a[p].t === a[i].t && a[p].seq < a[i].seq)) break
      ;[a[p], a[i]] = [a[i], a[p]]
      i = p
    }
  }
  pop(): {t: number; task: number; call: number} {
    const a = this.items
    const top = a[0]
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && (a[l].t < a[m].t || (a[l].t === a[m].t && a[l].seq < a[m].seq))) m = l
        if (r < a.length && (a[r].t < a[m].t || (a[r].t === a[m].t && a[r].seq < a[m].seq))) m = r
        if (m === i) break
        ;[a[m], a[i]] = [a[i], a[m]]
        i = m
      }
    }
    return top
  }
}

/**
 * A predictor that replays the load on `replicas` continuous-batching replicas of a serving profile
 * in virtual time (least-loaded routing), with k6's arrival schedule and the load's token mix.
 * It models the engine only: no network, no HTTP or tokenizer overhead, no autoscaling.
 */
export function replayPredictor(profile: ReplicaLimits, replicas = 1): Predictor {
  return (load, stepScale) => {
    const engines = Array.from({length: replicas}, () => new BatchingReplica<Call>(profile, stepScale))
    const stepEnd: number[] = engines.map(() => Infinity)
    const arrivals = new ArrivalHeap()
    arrivalSchedule(load).forEach((t, i) => arrivals.push(t, i, 0))
    const latency: number[] = []
    const ttft: number[] = []
    const tpot: number[] = []
    let outputTokens = 0
    let now = 0
    for (;;) {
      let e = -1
      for (let i = 0; i < engines.length; i++) if (stepEnd[i] < (e < 0 ? Infinity : stepEnd[e])) e = i
      const nextArrival = arrivals.peek()
      if (nextArrival === undefined && e < 0) break
      if (nextArrival !== undefined && (e < 0 || nextArrival.t <= stepEnd[e])) {
        const a = arrivals.pop()
        now = a.t
        const shape = load.tasks[a.task % load.tasks.length][a.call]
        const engine = leastLoaded(engines)
        const idx = engines.indexOf(engine)
        engine.enqueue({inputTokens: shape[0], outputTokens: shape[1], task: a.task, call: a.call, issuedS: now, firstTokenS: 0})
        if (stepEnd[idx] === Infinity) {
          const d = engine.step()
          if (d !== undefined) stepEnd[idx] = now + d
        }
        continue
      }
      now = stepEnd[e]
      for (const tok of engines[e].finishStep().tokens) {
        const c = tok.req
        if (tok.index === 1) {
          c.firstTokenS = now
          ttft.push((now - c.issuedS) * 1000)
        }
        if (tok.last) {
          latency.push((now - c.issuedS) * 1000)
          if (c.outputTokens > 1) tpot.push(((now - c.firstTokenS) * 1000) / (c.outputTokens - 1))
          outputTokens += c.outputTokens
          const calls = load.tasks[c.task % load.tasks.length]
          if (c.call + 1 < calls.length) arrivals.push(now + calls[c.call + 1][2], c.task, c.call + 1)
        }
      }
      const d = engines[e].step()
      stepEnd[e] = d === undefined ? Infinity : now + d
    }
    const q = (v: number[], p: number): number | undefined => {
      if (v.length === 0) return undefined
      return quantileSorted(Array.from(Float64Array.from(v).sort()), p)
    }
    const durationS = load.stages.reduce((s, st) => s + st.durationS, 0)
    return {
      latencyP50Ms: q(latency, 0.5),
      latencyP95Ms: q(latency, 0.95),
      latencyP99Ms: q(latency, 0.99),
      ttftP50Ms: q(ttft, 0.5),
      ttftP95Ms: q(ttft, 0.95),
      tpotP50Ms: q(tpot, 0.5),
      tpotP95Ms: q(tpot, 0.95),
      throughputRps: latency.length / durationS,
      outputTokensPerS: outputTokens / durationS,
    }
  }
}
