/**
 * The load a phase's fleet must carry: the workload's shape at the phase's tasks per day (times the
 * headroom), over a window centred on the daily peak, where the fleet is decided. Tasks are generated
 * once per seed and replayed to every candidate, so candidates are compared on identical arrivals.
 */
import {RandomStreams} from '../engine/random.js'
import {createWorkload} from '../workload/create.js'
import {SyntheticWorkloadSchema, type SyntheticWorkloadSpec} from '../workload/spec.js'
import {RateShape} from '../workload/synthetic.js'
import type {Task, TaskStream} from '../workload/types.js'

export interface PhaseLoad {
  /** Tasks per day the fleet is sized for (target × (1 + headroom)). */
  sizedTasksPerDay: number
  /** Peak / mean of the daily shape. */
  peakFactor: number
  /** Trough / mean of the daily shape. */
  troughFactor: number
  /** Hour of the day with the most arrivals. */
  peakHour: number
  /** The window spec: starts windowS/2 before the peak. */
  windowSpec: SyntheticWorkloadSpec
  windowS: number
  /** The plan's seeds; the first seed's window tasks (the bounds' measure), the others empty. */
  tasksBySeed: Map<number, Task[][]>
  stats: WorkloadStats
}

/** What the analytic bounds need, measured on the generated window (first seed). */
export interface WorkloadStats {
  tasks: number
  calls: number
  /** Calls per second over the window (peak rate). */
  callRatePerS: number
  callsPerTask: number
  p95CallsPerTask: number
  meanInputTokens: number
  p95InputTokens: number
  /** Squared coefficient of variation of prompt tokens (prefill-time variability). */
  inputCv2: number
  meanOutputTokens: number
  /** Squared coefficient of variation of output tokens (service-time variability). */
  outputCv2: number
  meanThinkS: number
  /**
   * Prompt tokens per call the replicas can take from the prefix cache instead of prefilling: the
   * mean context a call shares with its task's previous call when the plan caches prefixes and
   * routes by them (prefix-affinity), else 0.
   */
  meanPrefixHitTokens: number
}

const DAY_S = 86_400

/** Mean, peak and trough of the daily shape, found on a one-minute grid (the shape is smooth or hourly). */
export function shapeExtremes(spec: SyntheticWorkloadSpec): {peakFactor: number; troughFactor: number; peakHour: number} {
  const shape = new RateShape({...spec.shape, startHour: 0, weekly: undefined})
  let max = -Infinity
  let min = Infinity
  let peakT = 0
  for (let t = 0; t < DAY_S; t += 60) {
    const m = shape.multiplier(t)
    if (m > max) {
      max = m
      peakT = t
    }
    if (m < min) min = m
  }
  // Weekly multipliers scale whole days: the busiest day decides.
  const weekly = spec.shape?.weekly
  const weekMax = weekly ? Math.max(...weekly) / (weekly.reduce((a, b) => a + b, 0) / weekly.length) : 1
  const weekMin = weekly ? Math.min(...weekly) / (weekly.reduce((a, b) => a + b, 0) / weekly.length) : 1
  return {peakFactor: max * weekMax, troughFactor: min * weekMin, peakHour: peakT / 3600}
}

/** The daily rate multiplier at time t (seconds from midnight), mean 1. */
export function dailyMultiplier(spec: SyntheticWorkloadSpec): (tS: number) => number {
  const shape = new RateShape({...spec.shape, startHour: 0, weekly: undefined})
  return (t) => shape.multiplier(t)
}

export function phaseLoad(base: SyntheticWorkloadSpec, tasksPerDay: number, headroom: number, windowS: number, seeds: readonly number[]): PhaseLoad {
  const sizedTasksPerDay = tasksPerDay * (1 + headroom)
  const {peakFactor, troughFactor, peakHour} = shapeExtremes(base)
  const startHour = (((peakHour - windowS / 7200) % 24) + 24) % 24
  const weekly = base.shape?.weekly
  const busiestDay = weekly ? weekly.indexOf(Math.max(...weekly)) : undefined
  const windowSpec = SyntheticWorkloadSchema.parse({
    ...base,
    tasksPerDay: sizedTasksPerDay,
    ratePerS: undefined,
    durationS: windowS,
    shape: {...base.shape, startHour, ...(busiestDay === undefined ? {} : {startDay: busiestDay})},
  })
  const tasksBySeed = new Map<number, Task[][]>()
  for (const seed of seeds) tasksBySeed.set(seed, [])
  const load: PhaseLoad = {sizedTasksPerDay, peakFactor, troughFactor, peakHour, windowSpec, windowS, tasksBySeed, stats: undefined as unknown as WorkloadStats}
  return load
}

/**
 * Generate (once) the window's tasks for each seed. `prefixHits`: the fleets will cache prefixes and
 * route by them, so the analytic bounds may count shared context as not prefilled.
 */
export async function generateTasks(load: PhaseLoad, prefixHits = false): Promise<void> {
  // The bounds are measured on the first seed's window; the simulations generate each seed's window
  // from the scenario themselves (src/planner/sim-job.ts), in whichever thread runs them.
  for (const [seed, chunks] of [...load.tasksBySeed].slice(0, 1)) {
    if (chunks.length > 0) continue
    const stream = createWorkload(load.windowSpec, {baseDir: process.cwd(), rng: new RandomStreams(seed), durationS: load.windowS})
    for await (const chunk of stream) chunks.push([...chunk])
  }
  const first = load.tasksBySeed.values().next().value ?? []
  load.stats = measure(first, load.windowS, prefixHits)
}

/** Replay stored chunks as a task stream. */
export function replay(chunks: readonly Task[][]): TaskStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) yield c
    },
  }
}

function measure(chunks: readonly Task[][], windowS: number, prefixHits: boolean): WorkloadStats {
  let hitSum = 0
  let tasks = 0
  let calls = 0
  let inSum = 0
  let inSq = 0
  let outSum = 0
  let outSq = 0
  let thinkSum = 0
  let thinkN = 0
  const inputs: number[] = []
  const chains: number[] = []
  for (const chunk of chunks) {
    for (const t of chunk) {
      tasks++
      chains.push(t.calls.length)
      for (const [k, c] of t.calls.entries()) {
        calls++
        inSum += c.inputTokens
        inSq += c.inputTokens * c.inputTokens
        outSum += c.outputTokens
        outSq += c.outputTokens * c.outputTokens
        inputs.push(c.inputTokens)
        // The simulator always computes a prompt's last token.
        if (prefixHits) hitSum += Math.min(c.sharedPrefixTokens ?? 0, Math.max(0, c.inputTokens - 1))
        if (k > 0) {
          thinkSum += c.delayS
          thinkN++
        }
      }
    }
  }
  inputs.sort((a, b) => a - b)
  chains.sort((a, b) => a - b)
  const meanOut = calls > 0 ? outSum / calls : 0
  const varOut = calls > 0 ? outSq / calls - meanOut * meanOut : 0
  return {
    tasks,
    calls,
    callRatePerS: calls / windowS,
    callsPerTask: tasks > 0 ? calls / tasks : 0,
    p95CallsPerTask: chains.length > 0 ? chains[Math.min(chains.length - 1, Math.floor(0.95 * chains.length))] : 0,
    meanInputTokens: calls > 0 ? inSum / calls : 0,
    inputCv2: calls > 0 && inSum > 0 ? Math.max(0, (inSq / calls) / (inSum / calls) ** 2 - 1) : 0,
    p95InputTokens: inputs.length > 0 ? inputs[Math.min(inputs.length - 1, Math.floor(0.95 * inputs.length))] : 0,
    meanOutputTokens: meanOut,
    outputCv2: meanOut > 0 ? Math.max(0, varOut) / (meanOut * meanOut) : 0,
    meanThinkS: thinkN > 0 ? thinkSum / thinkN : 0,
    meanPrefixHitTokens: calls > 0 ? hitSum / calls : 0,
  }
}
