/**
 * Verify a candidate fleet by full simulation: the phase's peak window, replayed from the tasks
 * generated once per seed, through the same simulator `fleetcap simulate` runs.
 */
import type {Catalog, ResolvedProfile} from '../fleet/profiles/index.js'
import type {SloCheck} from '../report/report.js'
import type {LlmPoolSpec, Scenario, SloSpec} from '../scenario/schema.js'
import {simulate} from '../pipeline/simulate.js'
import type {Candidate} from './candidates.js'
import type {ResolvedRequest} from './spec.js'
import {type PhaseLoad, replay} from './workload.js'

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

export interface SimContext {
  request: ResolvedRequest
  load: PhaseLoad
  catalog: Catalog
  /** Counts simulations, for the benchmark. */
  counter: {simulations: number; simulatedS: number}
}

export async function simulateCandidate(c: Candidate, seed: number, ctx: SimContext): Promise<SeedOutcome> {
  const chunks = ctx.load.tasksBySeed.get(seed)
  if (!chunks) throw new Error(`no tasks generated for seed ${seed}`)
  const byName = new Map<string, ResolvedProfile>(c.pools.map((p) => [p.name, p.profile]))
  const scenario: Scenario = {
    apiVersion: 'fleetcap.dev/v1',
    kind: 'Scenario',
    name: c.id,
    seed,
    durationS: ctx.load.windowS,
    workload: {kind: 'synthetic'},
    fleet: {
      pools: c.pools.map(
        (p): LlmPoolSpec => ({
          name: p.name,
          gpu: p.profile.gpu,
          model: p.profile.model,
          tensorParallel: p.profile.tensorParallel,
          engine: p.profile.engine,
          precision: p.profile.precision,
          replicas: p.replicas,
          ...(p.taskTypes ? {taskTypes: p.taskTypes} : {}),
          ...(ctx.request.prefixCache ? {prefixCache: true} : {}),
        }),
      ),
    },
    routing: ctx.request.routing,
    queue: {deadlines: ctx.request.queueDeadlines},
    slo: ctx.request.slo as SloSpec,
    report: {sampleIntervalS: 300},
  }
  const {report} = await simulate(scenario, {
    tasks: replay(chunks),
    seed,
    catalog: ctx.catalog,
    resolveProfile: (p) => {
      const profile = byName.get(p.name)
      if (!profile) throw new Error(`pool ${p.name} has no profile`)
      return profile
    },
  })
  ctx.counter.simulations++
  ctx.counter.simulatedS += ctx.load.windowS
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
    misses: report.slo.checks.filter((k) => !k.pass).map((k) => `${k.objective} ${k.actual === null ? 'no data' : round(k.actual)} > ${k.target}`),
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

/** Worst objective as actual / target (1 = exactly at the SLO); Infinity when a metric has no data. */
export function worstRatio(checks: readonly SloCheck[]): number {
  let worst = 0
  for (const k of checks) {
    const r = k.actual === null ? Number.POSITIVE_INFINITY : k.target === 0 ? (k.actual > 0 ? Number.POSITIVE_INFINITY : 0) : k.actual / k.target
    if (r > worst) worst = r
  }
  return worst
}

export function round(x: number): number {
  return Number(x.toPrecision(4))
}
