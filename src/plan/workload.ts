/**
 * The workload a plan phase was verified on, recorded with the plan so that a load test replays
 * exactly it: the task arrival rate over the verification window (the peak shape, at the sized load),
 * calls per task with their think times, and the prompt and output lengths. plan.yaml carries the
 * figures (`spec.phases[].workload`, versioned by its own `version`); the window's tasks themselves
 * go to `workload/<phase>.json`, named in plan.yaml with its SHA-256 (so the plan digest covers it).
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {z} from 'zod'

import {InputError} from '../errors.js'

export const PHASE_WORKLOAD_VERSION = 1

const nonNegative = z.number().nonnegative()

export const PhaseWorkloadSchema = z.strictObject({
  /** Version of this block and of the tasks file it names; a reader refuses any other. */
  version: z.literal(PHASE_WORKLOAD_VERSION),
  /** How the window was made, in words (seed, window, headroom). */
  source: z.string().min(1),
  /** Length of the verification window, seconds (centred on the daily peak). */
  windowS: z.number().positive(),
  /** Tasks per day the fleet is sized for (target × (1 + headroom)). */
  sizedTasksPerDay: z.number().positive(),
  headroom: nonNegative,
  /** Peak / mean of the daily shape. */
  peakFactor: z.number().positive(),
  /** Task arrivals per second over the window: what the fleet was verified at. */
  tasksPerS: z.number().positive(),
  /** LLM calls per second over the window (tasksPerS × callsPerTask). */
  callsPerS: z.number().positive(),
  callsPerTask: z.number().positive(),
  meanInputTokens: z.number().positive(),
  meanOutputTokens: z.number().positive(),
  /** Mean wait before a task's second and later calls, seconds. */
  meanThinkS: nonNegative,
  /** The window's arrival rate per bucket (the peak shape), tasks per second. */
  shape: z.strictObject({bucketS: z.number().positive(), tasksPerS: z.array(nonNegative).min(1)}),
  /** The window's tasks (calls as [input tokens, output tokens, wait s]), in a balanced order. */
  tasks: z.strictObject({
    file: z.string().regex(/^workload\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\.json$/, 'must be "workload/<phase>.json"'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits'),
    count: z.int().positive(),
  }),
})
export type PhaseWorkload = z.infer<typeof PhaseWorkloadSchema>

/** One task of the record: its calls as [input tokens, output tokens, seconds to wait before it]. */
export type RecordedCall = [number, number, number]
export type RecordedTask = RecordedCall[]

const TasksFileSchema = z.strictObject({
  version: z.literal(PHASE_WORKLOAD_VERSION),
  tasks: z.array(z.array(z.tuple([z.int().positive(), z.int().positive(), nonNegative])).min(1)).min(1),
})

/** A task as the planner generated it (only what the record keeps). */
export interface WindowTask {
  arrivalS: number
  calls: ReadonlyArray<{inputTokens: number; outputTokens: number; delayS: number}>
}

export interface RecordInput {
  phase: string
  /** The window's tasks (one seed), any order. */
  tasks: readonly WindowTask[]
  windowS: number
  sizedTasksPerDay: number
  headroom: number
  peakFactor: number
  seed: number
  /** Bucket of the recorded shape, seconds (default 60). */
  bucketS?: number
  /** Most tasks kept in the file (default 4,000): an evenly spaced subsample of the window. */
  maxTasks?: number
}

const round = (x: number, digits = 4): number => Number(x.toPrecision(digits))

/**
 * Record a phase's verification window: the figures for plan.yaml and the tasks file's text.
 * Deterministic: the same window gives byte-identical output.
 */
export function recordPhaseWorkload(i: RecordInput): {workload: PhaseWorkload; file: string; text: string} {
  const bucketS = i.bucketS ?? 60
  const sorted = [...i.tasks].filter((t) => t.calls.length > 0).sort((a, b) => a.arrivalS - b.arrivalS)
  if (sorted.length === 0) throw new Error(`phase ${i.phase}: the verification window has no LLM tasks to record`)
  const start = sorted[0].arrivalS
  const buckets = Math.max(1, Math.ceil(i.windowS / bucketS))
  const counts = Array.from({length: buckets}, () => 0)
  for (const t of sorted) counts[Math.min(buckets - 1, Math.max(0, Math.floor((t.arrivalS - start) / bucketS)))]++
  const all: RecordedTask[] = sorted.map((t) => t.calls.map((c) => [Math.max(1, Math.round(c.inputTokens)), Math.max(1, Math.round(c.outputTokens)), round(Math.max(0, c.delayS))]))
  const maxTasks = i.maxTasks ?? 4000
  const step = all.length / Math.min(all.length, maxTasks)
  const kept = Array.from({length: Math.min(all.length, maxTasks)}, (_, k) => all[Math.floor(k * step)])
  const tasks = balancedOrder(kept)
  const text = `${JSON.stringify({version: PHASE_WORKLOAD_VERSION, tasks})}\n`
  const calls = all.reduce((s, t) => s + t.length, 0)
  const sum = (f: (c: RecordedCall) => number): number => all.reduce((s, t) => s + t.reduce((a, c) => a + f(c), 0), 0)
  const waits = all.flatMap((t) => t.slice(1).map((c) => c[2]))
  const file = `workload/${i.phase}.json`
  return {
    file,
    text,
    workload: {
      version: PHASE_WORKLOAD_VERSION,
      source: `the planner's verification window for this phase: ${i.windowS} s centred on the daily peak, seed ${i.seed}, at ${round(i.sizedTasksPerDay)} tasks/day (target + ${round(i.headroom * 100)} % headroom)`,
      windowS: i.windowS,
      sizedTasksPerDay: round(i.sizedTasksPerDay, 6),
      headroom: i.headroom,
      peakFactor: round(i.peakFactor),
      tasksPerS: round(all.length / i.windowS, 6),
      callsPerS: round(calls / i.windowS, 6),
      callsPerTask: round(calls / all.length, 6),
      meanInputTokens: round(sum((c) => c[0]) / calls, 6),
      meanOutputTokens: round(sum((c) => c[1]) / calls, 6),
      meanThinkS: waits.length > 0 ? round(waits.reduce((a, b) => a + b, 0) / waits.length) : 0,
      shape: {bucketS, tasksPerS: counts.map((c) => round(c / bucketS, 6))},
      tasks: {file, sha256: createHash('sha256').update(text).digest('hex'), count: tasks.length},
    },
  }
}

/**
 * Order tasks so that every prefix keeps the whole's calls per task and mean prompt and output
 * lengths (greedy: each next task is the one that brings the prefix's means closest to the whole's).
 * A load test sends tasks[i mod n] for iteration i, so a short test sends the planned mix, not the
 * mix of the window's first minutes.
 */
export function balancedOrder(tasks: readonly RecordedTask[]): RecordedTask[] {
  const feats = tasks.map((t) => [t.length, t.reduce((s, c) => s + c[0], 0), t.reduce((s, c) => s + c[1], 0)] as const)
  const n = tasks.length
  const total = [0, 0, 0]
  for (const f of feats) for (let d = 0; d < 3; d++) total[d] += f[d]
  // Targets per task: calls, input tokens, output tokens.
  const mean = total.map((x) => x / n)
  const left = Array.from({length: n}, (_, k) => k)
  const prefix = [0, 0, 0]
  const out: RecordedTask[] = []
  for (let k = 1; k <= n; k++) {
    let best = 0
    let bestErr = Infinity
    for (let j = 0; j < left.length; j++) {
      const f = feats[left[j]]
      let err = 0
      for (let d = 0; d < 3; d++) {
        const rel = (prefix[d] + f[d]) / (k * mean[d]) - 1
        err += rel * rel
      }
      if (err < bestErr) {
        bestErr = err
        best = j
      }
    }
    const idx = left[best]
    left[best] = left[left.length - 1]
    left.pop()
    for (let d = 0; d < 3; d++) prefix[d] += feats[idx][d]
    out.push(tasks[idx])
  }
  return out
}

/** Read a phase's recorded tasks, checking the file is the one plan.yaml names (its SHA-256). */
export function readPhaseWorkloadTasks(planDir: string, workload: PhaseWorkload): RecordedTask[] {
  const path = join(planDir, workload.tasks.file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new InputError({file: path}, `cannot read the phase's recorded workload: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const sha = createHash('sha256').update(text).digest('hex')
  if (sha !== workload.tasks.sha256) throw new InputError({file: path}, `SHA-256 ${sha.slice(0, 12)}… differs from plan.yaml's ${workload.tasks.sha256.slice(0, 12)}… (edited since the plan was written)`)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new InputError({file: path}, `not JSON: ${(error as Error).message}`)
  }
  const parsed = TasksFileSchema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InputError({file: path, field: issue.path.join('.') || undefined}, issue.message)
  }
  return parsed.data.tasks
}
