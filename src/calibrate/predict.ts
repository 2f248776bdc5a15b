import {quantileSorted} from 'simple-statistics'

import {EventQueue} from '../engine/event-queue.js'
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
  /** Quantiles of every gap between two tokens of a request (k6's itl with the stream reader). */
  itlP50Ms?: number
  itlP95Ms?: number
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
  lastTokenS: number
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
    // Pending arrivals keyed by (time, issue order): the engine's event heap, target = task, payload = call.
    const arrivals = new EventQueue()
    arrivalSchedule(load).forEach((t, i) => arrivals.push(t, 0, i, 0))
    const latency: number[] = []
    const ttft: number[] = []
    const tpot: number[] = []
    const itl: number[] = []
    let outputTokens = 0
    let now = 0
    for (;;) {
      let e = -1
      for (let i = 0; i < engines.length; i++) if (stepEnd[i] < (e < 0 ? Infinity : stepEnd[e])) e = i
      const nextArrivalS = arrivals.peekTime()
      if (nextArrivalS === Infinity && e < 0) break
      if (nextArrivalS !== Infinity && (e < 0 || nextArrivalS <= stepEnd[e])) {
        arrivals.pop()
        const task = arrivals.poppedTarget
        const call = arrivals.poppedPayload
        now = arrivals.poppedTime
        const shape = load.tasks[task % load.tasks.length][call]
        const engine = leastLoaded(engines)
        const idx = engines.indexOf(engine)
        engine.enqueue({inputTokens: shape[0], outputTokens: shape[1], task, call, issuedS: now, firstTokenS: 0, lastTokenS: 0})
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
        } else {
          itl.push((now - c.lastTokenS) * 1000)
        }
        c.lastTokenS = now
        if (tok.last) {
          latency.push((now - c.issuedS) * 1000)
          if (c.outputTokens > 1) tpot.push(((now - c.firstTokenS) * 1000) / (c.outputTokens - 1))
          outputTokens += c.outputTokens
          const calls = load.tasks[c.task % load.tasks.length]
          if (c.call + 1 < calls.length) arrivals.push(now + calls[c.call + 1][2], 0, c.task, c.call + 1)
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
      itlP50Ms: q(itl, 0.5),
      itlP95Ms: q(itl, 0.95),
      throughputRps: latency.length / durationS,
      outputTokensPerS: outputTokens / durationS,
    }
  }
}
