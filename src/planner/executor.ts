/**
 * Where the planner's simulations run: in this thread (workers 0), or on the sweep's worker pool
 * (src/sweep/pool.ts) with src/planner/sim-job.ts as the handler. Either way a job is a plain
 * scenario and its result depends on the job alone, so a plan is the same whatever the workers.
 */
import {availableParallelism} from 'node:os'

import {WorkerPool} from '../sweep/pool.js'
import {handle, type HpaDayResult, init, type PlanSimJob, type PlanSimState, type SeedOutcome} from './sim-job.js'

export interface SimExecutor {
  /** Candidates the search verifies at once: 1 in this thread, else the pool's threads. */
  readonly parallel: number
  peak(job: Omit<PlanSimJob, 'kind'>): Promise<SeedOutcome>
  day(job: Omit<PlanSimJob, 'kind'>): Promise<HpaDayResult>
  close(): Promise<void>
}

/** The default number of workers, as `fleetcap sweep` has it: one per core. */
export function defaultPlanWorkers(): number {
  return availableParallelism()
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
