/**
 * One simulation the planner asks for, as plain data a worker thread can take: a candidate's scenario
 * (src/planner/scenario.ts) run through `simulate()` — the pipeline `fleetcap simulate` runs — and
 * reduced to what the search needs. `peak`: the phase's peak window, every pool at its fixed size.
 * `day`: the whole forecast day with each pool's HPA as the scenario's `autoscaler:` block, run by the
 * simulator's own controller (src/sim/autoscaling.ts), the only HPA loop there is.
 *
 * This module is also the planner's handler for the sweep's worker pool (src/sweep/pool.ts): `init`
 * once per thread, `handle` per job.
 */
import {RandomStreams} from '../engine/random.js'
import {type Catalog, loadCatalog} from '../fleet/profiles/index.js'
import {simulate} from '../pipeline/simulate.js'
import type {ServingProfile} from '../fleet/types.js'
import type {SimulationReport} from '../report/report.js'
import type {SloCheck} from '../report/report.js'
import type {TimeSeries} from '../sim/simulate.js'
import {createWorkload} from '../workload/create.js'
import type {Task} from '../workload/types.js'
import {type PlanScenario, planResolver} from './scenario.js'
import {replay} from './workload.js'

/** What one simulation of a candidate showed, per seed. */
export interface SeedOutcome {
  seed: number
  pass: boolean
  /** Failed objectives, e.g. `TTFT p95 (s) 7.31 > 5`. */
  misses: string[]
  checks: SloCheck[]
  ttftP95S: number | null
  ttftP99S: number | null
  taskP50S: number | null
  taskP95S: number | null
  taskP99S: number | null
  callE2eMeanS: number | null
  errorRate: number
  /** Per pool, fraction of replica-time busy. */
  utilization: Record<string, number>
  /** Calls completed per second over the run. */
  callsPerS: number
  /** Per pool, the fraction of calls it served. */
  callShare: Record<string, number>
  /** Mean calls running per replica (Little's law: completed calls/s × mean call e2e / replicas), per pool. */
  inflightPerReplica: Record<string, number>
}

/** The chosen fleet's day with its autoscalers, as the simulator ran it. */
export interface HpaDayResult {
  seed: number
  pass: boolean
  misses: string[]
  ttftP95S: number | null
  errorRate: number
  costPerDayUsd: number
  poolCostPerDayUsd: Record<string, number>
  /** Per pool: fewest and most replicas the autoscaler asked for. */
  replicas: Record<string, [number, number]>
  /** Scale-ups and scale-downs, all pools. */
  scaleEvents: number
  /** At every sample: the time, the fleet's calls in flight, and per pool the replicas that existed (ready or starting) and the desired count (charts). */
  trajectory: {timeS: number[]; inFlight: number[]; replicas: Record<string, number[]>; desired: Record<string, number[]>}
}

export type PlanSimJob = ({kind: 'peak'} | {kind: 'day'}) & PlanScenario
export type PlanSimResult<J extends PlanSimJob> = J extends {kind: 'peak'} ? SeedOutcome : HpaDayResult

/** Per thread: the catalog, and each window's tasks generated once (a candidate's run replays them). */
export interface PlanSimState {
  catalog: Catalog
  tasks: Map<string, Task[][]>
  /** Profiles resolved from the catalog, by pool spec and step-time factor. */
  profiles: Map<string, ServingProfile>
}

const DAY_S = 86_400

export function init(): PlanSimState {
  return {catalog: loadCatalog(), tasks: new Map(), profiles: new Map()}
}

export async function handle(state: PlanSimState, job: PlanSimJob): Promise<SeedOutcome | HpaDayResult> {
  return job.kind === 'peak' ? runPeak(state, job) : runDay(state, job)
}

/**
 * The scenario's workload, generated as runScenario would (the seed's named streams), kept for the
 * next candidate on the same window: replaying it is the same run, without generating it again.
 */
async function tasksOf(state: PlanSimState, s: PlanScenario): Promise<Task[][]> {
  const seed = s.scenario.seed ?? 1
  const key = JSON.stringify([s.scenario.workload, s.scenario.durationS, seed])
  let chunks = state.tasks.get(key)
  if (chunks === undefined) {
    chunks = []
    for await (const chunk of createWorkload(s.scenario.workload, {baseDir: process.cwd(), rng: new RandomStreams(seed), durationS: s.scenario.durationS})) chunks.push([...chunk])
    // A plan has a few windows × seeds; keep the latest few.
    if (state.tasks.size >= 8) state.tasks.delete(state.tasks.keys().next().value as string)
    state.tasks.set(key, chunks)
  }
  return chunks
}

async function runPeak(state: PlanSimState, job: PlanScenario): Promise<SeedOutcome> {
  const seed = job.scenario.seed ?? 1
  const {report} = await simulate(job.scenario, {
    tasks: replay(await tasksOf(state, job)),
    seed,
    catalog: state.catalog,
    resolveProfile: planResolver(state.catalog, job.stepTimeFactors, state.profiles),
  })
  const o = report.latency.overall
  const utilization: Record<string, number> = {}
  const inflightPerReplica: Record<string, number> = {}
  const callShare: Record<string, number> = {}
  for (const p of report.pools) {
    utilization[p.name] = p.utilization
    const share = report.calls.completed > 0 ? p.callsServed / report.calls.completed : 0
    callShare[p.name] = share
    const poolCallsPerS = report.throughput.callsPerS * share
    inflightPerReplica[p.name] = p.replicas > 0 ? (poolCallsPerS * (o.e2eS?.meanS ?? 0)) / p.replicas : 0
  }
  return {
    seed,
    pass: report.slo.pass,
    misses: misses(report),
    checks: report.slo.checks,
    ttftP95S: o.ttftS?.p95S ?? null,
    ttftP99S: o.ttftS?.p99S ?? null,
    taskP50S: o.taskE2eS?.p50S ?? null,
    taskP95S: o.taskE2eS?.p95S ?? null,
    taskP99S: o.taskE2eS?.p99S ?? null,
    callE2eMeanS: o.e2eS?.meanS ?? null,
    errorRate: report.tasks.errorRate,
    utilization,
    callsPerS: report.throughput.callsPerS,
    inflightPerReplica,
    callShare,
  }
}

async function runDay(state: PlanSimState, job: PlanScenario): Promise<HpaDayResult> {
  const seed = job.scenario.seed ?? 1
  const {report, timeSeries} = await simulate(job.scenario, {seed, catalog: state.catalog, resolveProfile: planResolver(state.catalog, job.stepTimeFactors, state.profiles)})
  const endS = report.run.endS
  const perDay = (usd: number) => (usd * DAY_S) / Math.max(DAY_S, endS)
  const pools = report.autoscaling?.pools ?? []
  return {
    seed,
    pass: report.slo.pass,
    misses: misses(report),
    ttftP95S: report.latency.overall.ttftS?.p95S ?? null,
    errorRate: report.tasks.errorRate,
    costPerDayUsd: perDay(report.cost.costUsd),
    poolCostPerDayUsd: Object.fromEntries(report.pools.map((p) => [p.name, perDay(p.costUsd)])),
    replicas: Object.fromEntries(pools.map((p) => [p.name, [p.replicas.minDesired, p.replicas.maxDesired] as [number, number]])),
    scaleEvents: pools.reduce((a, p) => a + p.scaleUps + p.scaleDowns, 0),
    trajectory: trajectoryOf(
      timeSeries,
      pools.map((p) => p.name),
    ),
  }
}

function trajectoryOf(ts: TimeSeries, pools: readonly string[]): HpaDayResult['trajectory'] {
  const w = ts.columns.length
  const col = (name: string): number => ts.columns.indexOf(name)
  const at = (j: number, i: number): number => (j < 0 ? 0 : ts.rows[i * w + j])
  const out: HpaDayResult['trajectory'] = {timeS: [], inFlight: [], replicas: {}, desired: {}}
  const cols = pools.map((p) => ({p, ready: col(`replicas_ready_${p}`), starting: col(`replicas_starting_${p}`), desired: col(`replicas_desired_${p}`)}))
  for (const c of cols) {
    out.replicas[c.p] = []
    out.desired[c.p] = []
  }
  const tCol = col('time_s')
  const fCol = col('in_flight')
  for (let i = 0; i < ts.rows.length / w; i++) {
    out.timeS.push(at(tCol, i))
    out.inFlight.push(at(fCol, i))
    for (const c of cols) {
      out.replicas[c.p].push(at(c.ready, i) + at(c.starting, i))
      out.desired[c.p].push(at(c.desired, i))
    }
  }
  return out
}

function misses(report: SimulationReport): string[] {
  return report.slo.checks.filter((k) => !k.pass).map((k) => `${k.objective} ${k.actual === null ? 'no data' : round(k.actual)} > ${k.target}`)
}

export function round(x: number): number {
  return Number(x.toPrecision(4))
}
