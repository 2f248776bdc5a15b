import {join} from 'node:path'

import {writeK6Export} from '../k6/export.js'
import {type CallShape, constantLoad, type LoadProfile} from '../k6/load.js'
import {runLoadGate} from '../k6/run.js'
import {renderK6Script} from '../k6/script.js'
import {type K6Measurement, readK6JsonOutput} from '../k6/summary.js'
import type {ReplicaLimits} from './batching-replica.js'
import type {CpuEngineProfile} from './cpu-engine.js'
import {type EngineFit, fitCpuEngine, scaledEngine} from './cpu-engine-fit.js'
import {measuredFigures} from './fit.js'
import {type LoadFigures, replayPredictor} from './predict.js'

/**
 * The closed loop on one engine: measure workload A with k6, fit the profile's step-time factor to
 * it, predict workloads that were never measured (another token mix, another rate), measure them
 * too, and compare. The same steps as the documented CLI sequence (k6 export → k6 run → calibrate
 * → predict), as library calls, for the llama bench and test.
 */
export interface Workload {
  name: string
  ratePerS: number
  durationS: number
  /** Token mix: each task's calls [input tokens, output tokens, wait s]. */
  tasks: CallShape[][]
}

export interface EngineTarget {
  url: string
  model: string
  /** The k6 that runs the scripts; with streamReader, one built with k6/x/fleetcap-stream (findStreamK6). */
  k6Binary: string
  /** Read TTFT and inter-token gaps from the stream as it arrives (the extension), not from k6's response timings. */
  streamReader?: boolean
}

export interface MeasuredWorkload {
  workload: Workload
  load: LoadProfile
  measurement: K6Measurement
  figures: LoadFigures
}

/** Export the workload as a fleetcap k6 script, run it against the engine, read k6's samples. */
export async function measureWorkload(w: Workload, target: EngineTarget, dir: string): Promise<MeasuredWorkload> {
  const load = constantLoad(w.ratePerS, w.durationS, w.tasks, {workload: w.name})
  const exp = renderK6Script(load, {
    endpoint: {url: target.url, model: target.model, api: 'completions', stream: true, streamReader: target.streamReader, headers: {}, requestTimeoutS: 120},
    slo: {},
    expectedLatencyS: 10,
    gracefulStopS: 60,
  })
  const {script} = await writeK6Export(join(dir, w.name), exp)
  const jsonOutPath = join(dir, w.name, 'samples.json')
  const run = await runLoadGate({k6Binary: target.k6Binary, script, jsonOutPath})
  if (run.summary === undefined) throw new Error(`k6 run of workload ${w.name} failed: ${run.reason}`)
  const measurement = await readK6JsonOutput(jsonOutPath)
  return {workload: w, load, measurement, figures: measuredFigures(measurement, w.durationS)}
}

/**
 * Fit a CPU engine profile to a measured workload as `fleetcap calibrate --engine-profile` does:
 * prefill and decode factors when the run read the stream, one factor otherwise. Returns the fit
 * and the profile with the factors in it.
 */
export async function fitEngineOnWorkload(m: MeasuredWorkload, profile: CpuEngineProfile): Promise<{fit: EngineFit; fitted: CpuEngineProfile}> {
  const fit = await fitCpuEngine(m.measurement, m.load, profile, 1)
  return {fit, fitted: scaledEngine(profile, fit.prefillScale, fit.stepScale, `fitted on workload ${m.workload.name} (${m.measurement.requests} requests)`)}
}

/** What the profile at the fitted factor predicts for a workload (same arrivals k6 will send). */
export async function predictWorkload(w: Workload, limits: ReplicaLimits, stepScale: number): Promise<LoadFigures> {
  return replayPredictor(limits, 1)(constantLoad(w.ratePerS, w.durationS, w.tasks, {workload: w.name}), stepScale)
}

export const LOOP_FIGURES = ['throughputRps', 'ttftP50Ms', 'ttftP95Ms', 'tpotP50Ms', 'tpotP95Ms', 'itlP50Ms', 'itlP95Ms'] as const
export type LoopFigure = (typeof LOOP_FIGURES)[number]

export interface FigureError {
  figure: LoopFigure
  measured: number
  predicted: number
  /** (predicted − measured) / measured. */
  error: number
}

export function compareLoopFigures(measured: LoadFigures, predicted: LoadFigures): FigureError[] {
  const out: FigureError[] = []
  for (const figure of LOOP_FIGURES) {
    const m = measured[figure]
    const p = predicted[figure]
    if (m === undefined || p === undefined || !(m > 0)) continue
    out.push({figure, measured: m, predicted: p, error: (p - m) / m})
  }
  return out
}

type OnsetPoint = {ratePerS: number; ttftP95Ms: number}

/**
 * The two neighbouring rates between which TTFT p95 first reaches twice its value at the lowest
 * rate (the measurement, where p95 jumps between them); undefined when it never does.
 */
export function ttftOnsetBracket(points: ReadonlyArray<OnsetPoint>): {below: OnsetPoint; above: OnsetPoint; targetMs: number} | undefined {
  const sorted = [...points].sort((a, b) => a.ratePerS - b.ratePerS)
  if (sorted.length < 2) return undefined
  const targetMs = 2 * sorted[0].ttftP95Ms
  const i = sorted.findIndex((p, j) => j > 0 && p.ttftP95Ms >= targetMs)
  return i > 0 ? {below: sorted[i - 1], above: sorted[i], targetMs} : undefined
}

/**
 * Queueing onset: the arrival rate at which TTFT p95 reaches twice its value at the lowest rate,
 * by linear interpolation inside ttftOnsetBracket; undefined when it never does.
 */
export function ttftOnsetRate(points: ReadonlyArray<OnsetPoint>): number | undefined {
  const b = ttftOnsetBracket(points)
  if (!b) return undefined
  const {below: a, above: c, targetMs} = b
  if (c.ttftP95Ms === a.ttftP95Ms) return c.ratePerS
  return a.ratePerS + ((targetMs - a.ttftP95Ms) * (c.ratePerS - a.ratePerS)) / (c.ttftP95Ms - a.ttftP95Ms)
}
