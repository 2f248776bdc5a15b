/**
 * Where the planner's simulations run: in this thread (workers 0), or on the sweep's worker pool
 * (src/sweep/pool.ts) with src/planner/sim-job.ts as the handler. Either way a job is a plain
 * scenario and its result depends on the job alone, so a plan is the same whatever the workers.
 */
import {WorkerPool} from '../sweep/pool.js'
import {handle, type HpaDayResult, init, type PlanSimJob, type PlanSimState, type SeedOutcome} from './sim-job.js'

export interface SimExecutor {
  /** Candidates the search verifies at once: 1 in this thread, else the pool's threads. */
  readonly parallel: number
  peak(job: Omit<PlanSimJob, 'kind'>): Promise<SeedOutcome>
  day(job: Omit<PlanSimJob, 'kind'>): Promise<HpaDayResult>
  close(): Promise<void>
}

/**
 * The default: this thread. A plan's few hundred short simulations do not repay a pool: each thread
 * loads the library and catalog (~1 CPU-s), and the search's speculative candidates cost CPU; on a
 * 2-core machine 2 workers took 16.4 s against 8.9 s in-thread (docs/planner.md). `--workers N`
 * is for machines with idle cores; the plan is the same whatever N.
 */
export function defaultPlanWorkers(): number {
  return 0
}

export function createExecutor(workers: number): SimExecutor {
  if (workers <= 0) {
    let state: PlanSimState | undefined
    const run = async (job: PlanSimJob) => handle((state ??= init()), job)
    return {
      parallel: 1,
      peak: async (job) => (await run({...job, kind: 'peak'})) as SeedOutcome,
      day: async (job) => (await run({...job, kind: 'day'})) as HpaDayResult,
      close: async () => {},
    }
  }
  const pool = new WorkerPool<PlanSimJob, SeedOutcome | HpaDayResult>(new URL('./sim-job.js', import.meta.url).href, null, workers)
  return {
    parallel: workers,
    peak: async (job) => (await pool.run({...job, kind: 'peak'})) as SeedOutcome,
    day: async (job) => (await pool.run({...job, kind: 'day'})) as HpaDayResult,
    close: () => pool.close(),
  }
}
