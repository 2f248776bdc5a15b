/**
 * Verify a candidate fleet by full simulation: the phase's peak window as a plain scenario
 * (src/planner/scenario.ts), run by `simulate()` as `fleetcap simulate` runs it, on the plan's
 * executor (this thread or the worker pool). Each seed's window is the same for every candidate.
 */
import type {Catalog} from '../fleet/profiles/index.js'
import type {SloCheck} from '../report/report.js'
import type {Candidate} from './candidates.js'
import type {SimExecutor} from './executor.js'
import {candidateScenario} from './scenario.js'
import type {SeedOutcome} from './sim-job.js'
import type {ResolvedRequest} from './spec.js'
import type {PhaseLoad} from './workload.js'

export type {SeedOutcome} from './sim-job.js'
export {round} from './sim-job.js'

export interface SimContext {
  request: ResolvedRequest
  load: PhaseLoad
  catalog: Catalog
  executor: SimExecutor
  /** Counts the simulations whose results the plan uses, for the benchmark (speculative ones the search discards are not counted). */
  counter: {simulations: number; simulatedS: number}
}

/** Simulate the candidate over the phase's peak window on one seed. Counting is the caller's (`countPeak`). */
export async function simulateCandidate(c: Candidate, seed: number, ctx: SimContext): Promise<SeedOutcome> {
  if (!ctx.load.tasksBySeed.has(seed)) throw new Error(`no tasks generated for seed ${seed}`)
  const job = candidateScenario(c.pools, ctx.request, {name: c.id, seed, durationS: ctx.load.windowS, workload: ctx.load.windowSpec})
  return ctx.executor.peak(job)
}

/** Book `n` peak-window simulations whose results the plan uses. */
export function countPeak(ctx: SimContext, n: number): void {
  ctx.counter.simulations += n
  ctx.counter.simulatedS += n * ctx.load.windowS
}

/** Worst objective as actual / target (1 = exactly at the SLO); Infinity when a metric has no data. */
export function worstRatio(checks: readonly SloCheck[]): number {
  let worst = 0
  for (const k of checks) {
    const r = k.actual === null ? Number.POSITIVE_INFINITY : k.target === 0 ? (k.actual > 0 ? Number.POSITIVE_INFINITY : 0) : k.actual / k.target
    if (r > worst) worst = r
  }
  return worst
}
