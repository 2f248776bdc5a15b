import {FleetcapError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {boundOutput} from '../util/output-bound.js'
import type {Task, TaskStream} from '../workload/types.js'

/**
 * The load a k6 script applies: a piecewise-constant arrival rate (one stage per time bucket of the
 * trace, or one stage at a plan phase's peak) and the token mix of the requests, in arrival order.
 * k6's arrival-rate executors start iterations evenly spaced at the stage's rate, so a trace is
 * replayed by its rate per bucket, not by its exact timestamps; iteration i sends tasks[i mod n].
 */
export interface LoadStage {
  /** Seconds of test time (after the speed-up). */
  durationS: number
  /** Arrivals per second of test time (after speed-up and rate scale). */
  ratePerS: number
}

/** One LLM call of a replayed task: prompt tokens, output tokens, and the seconds to wait before it. */
export type CallShape = readonly [inputTokens: number, outputTokens: number, delayS: number]

export interface LoadProfile {
  executor: 'ramping-arrival-rate' | 'constant-arrival-rate'
  stages: LoadStage[]
  /** Token mix: one entry per task, each its calls in order (a plain request has one call). */
  tasks: CallShape[][]
  /** Where the load came from, for the script's header and calibration. */
  origin: Record<string, string | number>
}

export interface TraceLoadOptions {
  /** Width of a rate bucket in trace seconds (one k6 stage per bucket). */
  bucketS: number
  /** Multiplies every arrival rate (0.1 = a tenth of the trace's traffic). */
  rateScale?: number
  /** Compresses the trace's time axis: 60 plays an hour in a minute, at 60× the rate. */
  speedup?: number
  /** Trace seconds to skip from the first arrival. */
  fromS?: number
  /** Cap on the test's length in (test) seconds: stages beyond it are cut. */
  maxDurationS?: number
  /** Cap on the token-mix entries kept (the data file's size); later tasks reuse the mix cyclically. */
  maxTasks?: number
  origin?: Record<string, string | number>
}

function positive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new FleetcapError(`${name} must be a positive number, got ${v}`)
}

/**
 * Build the load of a trace: arrivals counted per bucket become stages; the tasks' calls become the
 * token mix. Streams the tasks (bounded memory beyond `maxTasks` entries and the bucket counts).
 */
export async function loadFromTasks(stream: TaskStream, options: TraceLoadOptions): Promise<LoadProfile> {
  const rateScale = options.rateScale ?? 1
  const speedup = options.speedup ?? 1
  const fromS = options.fromS ?? 0
  const maxTasks = options.maxTasks ?? 100_000
  positive('bucket', options.bucketS)
  positive('rate scale', rateScale)
  positive('speed-up', speedup)
  if (options.maxDurationS !== undefined) positive('duration', options.maxDurationS)
  // Trace seconds the test covers: the duration cap is in test seconds.
  const windowS = options.maxDurationS === undefined ? Infinity : options.maxDurationS * speedup
  // One stage per bucket, up to the last arrival in the window: the window alone says nothing (a long
  // --duration is only a cap on a short trace), so the first arrival past the bound is refused as soon
  // as it is read, before the stages grow (nothing is written until the end).
  const boundStages = (stages: number, from: string): void =>
    boundOutput({where: {field: '--bucket'}, from, count: stages, unit: 'k6 stages', limit: LIMITS.k6Stages, output: 'one k6 export', hint: 'a longer --bucket, a shorter --duration, or a --speedup; check the trace for a far-off timestamp'})
  const counts: number[] = []
  const tasks: CallShape[][] = []
  let first: number | undefined
  let lastOffset = 0
  let done = false
  for await (const chunk of stream) {
    for (const task of chunk) {
      first ??= task.arrivalS
      const offset = task.arrivalS - first - fromS
      if (offset < 0) continue
      if (offset >= windowS) {
        done = true
        break
      }
      const bucket = Math.floor(offset / options.bucketS)
      if (bucket >= LIMITS.k6Stages) boundStages(bucket + 1, `the trace's span to ${offset.toExponential(3)} s ÷ --bucket`)
      while (counts.length <= bucket) counts.push(0)
      counts[bucket]++
      lastOffset = offset
      if (tasks.length < maxTasks) tasks.push(callsOf(task))
    }
    if (done) break
  }
  if (tasks.length === 0) throw new FleetcapError('the trace has no tasks in the chosen window', {hint: 'check --from and --duration'})
  const stageS = options.bucketS / speedup
  const stages = counts.map((c) => ({durationS: stageS, ratePerS: (c / options.bucketS) * speedup * rateScale}))
  // The last bucket is only as long as the trace (or the window) reaches into it.
  const coveredS = Math.min(windowS, (Math.floor(lastOffset / options.bucketS) + 1) * options.bucketS)
  const lastS = (coveredS - (counts.length - 1) * options.bucketS) / speedup
  if (lastS > 0 && lastS < stageS) {
    const last = stages[stages.length - 1]
    // Keep the bucket's arrivals: the same count over the shorter stage.
    last.ratePerS *= stageS / lastS
    last.durationS = lastS
  }
  return {
    executor: 'ramping-arrival-rate',
    stages,
    tasks,
    origin: {bucketS: options.bucketS, rateScale, speedup, fromS, ...options.origin},
  }
}

function callsOf(task: Task): CallShape[] {
  if (task.calls.length === 0) {
    throw new FleetcapError(`task ${task.id} has no LLM calls (generic service-time work cannot be sent to a completions endpoint)`)
  }
  return task.calls.map((c) => [Math.max(1, Math.round(c.inputTokens)), Math.max(1, Math.round(c.outputTokens)), c.delayS] as const)
}

/** A constant arrival rate (a plan phase's peak) for `durationS`, with the given token mix. */
export function constantLoad(ratePerS: number, durationS: number, tasks: CallShape[][], origin: Record<string, string | number> = {}): LoadProfile {
  positive('rate', ratePerS)
  positive('duration', durationS)
  if (tasks.length === 0) throw new FleetcapError('a constant load needs a token mix with at least one task')
  return {executor: 'constant-arrival-rate', stages: [{durationS, ratePerS}], tasks, origin}
}

export function totalDurationS(load: LoadProfile): number {
  return load.stages.reduce((s, st) => s + st.durationS, 0)
}

export function peakRatePerS(load: LoadProfile): number {
  return load.stages.reduce((m, st) => Math.max(m, st.ratePerS), 0)
}

/** Iterations the load starts: the integral of the rate over the stages. */
export function expectedIterations(load: LoadProfile): number {
  return load.stages.reduce((s, st) => s + st.ratePerS * st.durationS, 0)
}

/** What a plan records of the workload a phase was verified on (src/plan/workload.ts), as the load needs it. */
export interface VerifiedWorkload {
  shape: {bucketS: number; tasksPerS: readonly number[]}
  tasksPerS: number
  callsPerS: number
}

/** Shortest stage of a plan replay, seconds of test time: k6 needs a few iterations per stage. */
const MIN_STAGE_S = 10

/**
 * The load a plan phase was verified on, played in `durationS`: the window's arrival rate per bucket
 * (the peak shape, at the sized load) compressed in time, not in rate, so the test's mean task rate
 * is the window's, adjacent buckets merged until a stage lasts at least 10 s; every iteration sends
 * one recorded task, its calls chained with their think times.
 */
export function verifiedLoad(w: VerifiedWorkload, tasks: CallShape[][], durationS: number, origin: Record<string, string | number> = {}): LoadProfile {
  positive('duration', durationS)
  if (tasks.length === 0) throw new FleetcapError('the recorded workload has no tasks')
  const rates = w.shape.tasksPerS
  const n = rates.length
  const groups = Math.max(1, Math.min(n, Math.floor(durationS / MIN_STAGE_S)))
  const stages: LoadStage[] = []
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * n) / groups)
    const to = Math.floor(((g + 1) * n) / groups)
    const mean = rates.slice(from, to).reduce((a, b) => a + b, 0) / (to - from)
    stages.push({durationS: (durationS * (to - from)) / n, ratePerS: mean})
  }
  if (!stages.some((s) => s.ratePerS > 0)) throw new FleetcapError('the recorded workload has no arrivals')
  return {executor: 'ramping-arrival-rate', stages, tasks, origin: {...origin, plannedTasksPerS: w.tasksPerS, plannedCallsPerS: w.callsPerS}}
}
