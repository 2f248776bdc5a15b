/**
 * The simulation report: what a user would see from the fleet, as plain data with a fixed key
 * order. report.json is this object rendered by renderReportJson (rounded numbers, no wall-clock
 * time, no absolute paths), so the same scenario and seed give the same bytes.
 */
import {LIMITS} from '../limits.js'
import {DROP_DEADLINE, DROP_LOST, DROP_OVERLOAD, DROP_QUEUE_FULL, DROP_TOO_LARGE, DROP_UNSERVED, type FleetModel} from '../sim/fleet-model.js'
import {M_E2E, M_TASK_E2E, M_TPOT, M_TTFT, M_WAIT, type QuantileSummary} from '../sim/metrics.js'
import {PRIORITIES, type Priority} from '../workload/types.js'

export interface LatencyBlock {
  /** Calls (LLM requests or generic jobs) summarised. */
  calls: number
  queueWaitS: QuantileSummary | null
  ttftS: QuantileSummary | null
  tpotS: QuantileSummary | null
  e2eS: QuantileSummary | null
  /** Whole tasks (an agent task spans several calls). */
  taskE2eS: QuantileSummary | null
}

export interface ClassCounts {
  arrived: number
  completed: number
  failed: number
  droppedDeadline: number
  rejectedQueueFull: number
  rejectedTooLarge: number
  /** Still queued when the run ended with no replica able to take them. */
  unserved: number
  /** Lost on a failed replica with no retry left. */
  lostOnFailure: number
  /** Rejected because the fleet was overloaded (its queue at the simulator's bound). */
  rejectedOverload: number
}

export interface PoolReport {
  name: string
  kind: 'llm' | 'generic'
  gpu: string | null
  model: string | null
  profile: string | null
  replicas: number
  gpusPerReplica: number
  pricePerReplicaHourUsd: number
  /** Fraction of replica-time spent stepping (LLM) or of slot-time busy (generic). */
  utilization: number
  /** Time-averaged fraction of the KV cache reserved (LLM). */
  kvOccupancy: number | null
  /** Time-averaged calls in flight per replica (the running batch size for LLM replicas). */
  meanInFlightPerReplica: number
  callsServed: number
  inputTokens: number
  outputTokens: number
  /** Only for a pool with prefixCache: prompt tokens served from the cache, their share of all prompt tokens, and evictions. */
  prefixCache?: {hitTokens: number; hitRate: number; evictions: number}
  /** Only for an LLM pool: sequences preempted (paged KV cache full) and the KV tokens they had to compute again. */
  preemptions?: {count: number; recomputedTokens: number}
  gpuHours: number
  costUsd: number
}

export interface SloCheck {
  objective: string
  target: number
  actual: number | null
  pass: boolean
  /** Latency objectives: fraction of calls (TTFT, TPOT, wait) or tasks (e2e) at or below the target. */
  attainment: number | null
}

export interface SloTargets {
  e2eP95S?: number
  e2eP99S?: number
  ttftP95S?: number
  ttftP99S?: number
  tpotP95S?: number
  queueWaitP95S?: number
  errorRateMax?: number
}

export interface SimulationReport {
  apiVersion: 'fleetcap.dev/v1'
  kind: 'SimulationReport'
  scenario: {name: string; seed: number; durationS: number; workload: string}
  run: {
    /** When the last call finished (≥ durationS when the fleet drains a backlog). */
    endS: number
    /** Events: arrivals plus events scheduled on the engine's heap (a work measure; deterministic). */
    events: number
  }
  tasks: ClassCounts & {errorRate: number; byPriority: Record<Priority, ClassCounts>}
  calls: {completed: number; inputTokens: number; outputTokens: number}
  latency: {overall: LatencyBlock; byPriority: Record<Priority, LatencyBlock>}
  throughput: {tasksPerS: number; callsPerS: number; inputTokensPerS: number; outputTokensPerS: number}
  queue: {peakDepth: number; meanDepth: number}
  pools: PoolReport[]
  cost: {gpuHours: number; costUsd: number; costPer1000TasksUsd: number | null}
  slo: {pass: boolean; checks: SloCheck[]}
  /**
   * Only when the fleet could not keep up: its queue reached the simulator's bound (LIMITS.queuedCalls
   * waiting calls) at firstAtS, and every task arriving to a full queue after that was rejected.
   */
  overload?: {queueLimit: number; firstAtS: number; rejectedTasks: number; rejectedShare: number}
  /** Pools with an autoscaler, capacity or failures: replicas over time, scaling events, failures. */
  autoscaling?: import('../sim/cluster-runtime.js').AutoscalingReport
  /** The headline figures re-run at the LLM pools' uncertainty-band edges (simulate --band edges). */
  band?: import('./band.js').ReportBand
}

export interface ReportContext {
  name: string
  seed: number
  durationS: number
  workload: string
  endS: number
  slo?: SloTargets
  /** Per pool: what to print about it (gpu, model, profile id). */
  poolInfo: {gpu?: string; model?: string; profile?: string}[]
}

function latencyBlock(model: FleetModel, cls: number): LatencyBlock {
  const l = model.latency
  return {
    calls: l.count(M_E2E, cls),
    queueWaitS: l.summary(M_WAIT, cls),
    ttftS: l.summary(M_TTFT, cls),
    tpotS: l.summary(M_TPOT, cls),
    e2eS: l.summary(M_E2E, cls),
    taskE2eS: l.summary(M_TASK_E2E, cls),
  }
}

function classCounts(model: FleetModel, cls: number): ClassCounts {
  const n = PRIORITIES.length
  const sum = (reason: number): number => {
    if (cls >= 0) return model.drops[reason * n + cls]
    let s = 0
    for (let c = 0; c < n; c++) s += model.drops[reason * n + c]
    return s
  }
  const arrived = cls >= 0 ? model.tasksByClass[cls] : model.tasksArrived
  const failed = cls >= 0 ? model.failedByClass[cls] : model.tasksFailed
  return {
    arrived,
    completed: arrived - failed,
    failed,
    droppedDeadline: sum(DROP_DEADLINE),
    rejectedQueueFull: sum(DROP_QUEUE_FULL),
    rejectedTooLarge: sum(DROP_TOO_LARGE),
    unserved: sum(DROP_UNSERVED),
    lostOnFailure: sum(DROP_LOST),
    rejectedOverload: sum(DROP_OVERLOAD),
  }
}

/** Build the report from a finished model run. */
export function buildReport(model: FleetModel, ctx: ReportContext): SimulationReport {
  const end = ctx.endS
  const byPriorityCounts = {} as Record<Priority, ClassCounts>
  const byPriorityLatency = {} as Record<Priority, LatencyBlock>
  PRIORITIES.forEach((p, i) => {
    byPriorityCounts[p] = classCounts(model, i)
    byPriorityLatency[p] = latencyBlock(model, i)
  })
  const overallCounts = classCounts(model, -1)
  const errorRate = model.tasksArrived > 0 ? model.tasksFailed / model.tasksArrived : 0
  const pools: PoolReport[] = model.pools.map((p, i) => {
    const t = model.poolTotals[i]
    const replicas = model.replicasOf(i)
    const kvCap = p.kind === 'llm' ? model.kvCapacityOf(i) : 0
    const info = ctx.poolInfo[i] ?? {}
    const gpuHours = (t.replicaS / 3600) * p.gpusPerReplica
    const pool: PoolReport = {
      name: p.name,
      kind: p.kind,
      gpu: info.gpu ?? p.gpu ?? null,
      model: info.model ?? p.model ?? null,
      profile: info.profile ?? null,
      replicas,
      gpusPerReplica: p.gpusPerReplica,
      pricePerReplicaHourUsd: p.pricePerHourUsd,
      utilization: t.replicaS > 0 ? t.busyReplicaS / t.replicaS : 0,
      kvOccupancy: p.kind === 'llm' && kvCap > 0 && end > 0 ? t.kvTokenS / (kvCap * end) : null,
      meanInFlightPerReplica: t.replicaS > 0 ? t.inFlightS / t.replicaS : 0,
      callsServed: t.callsServed,
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
      gpuHours,
      costUsd: (t.replicaS / 3600) * p.pricePerHourUsd,
    }
    if (p.kind === 'llm') pool.preemptions = {count: t.preemptions, recomputedTokens: t.recomputedTokens}
    if (p.kind === 'llm' && p.prefixCache === true) {
      pool.prefixCache = {hitTokens: t.prefixHitTokens, hitRate: t.inputTokens > 0 ? t.prefixHitTokens / t.inputTokens : 0, evictions: t.prefixEvictions}
    }
    return pool
  })
  const gpuHours = pools.reduce((s, p) => s + p.gpuHours, 0)
  const costUsd = pools.reduce((s, p) => s + p.costUsd, 0)
  const overall = latencyBlock(model, -1)
  const report: SimulationReport = {
    apiVersion: 'fleetcap.dev/v1',
    kind: 'SimulationReport',
    scenario: {name: ctx.name, seed: ctx.seed, durationS: ctx.durationS, workload: ctx.workload},
    run: {endS: end, events: model.events},
    tasks: {...overallCounts, errorRate, byPriority: byPriorityCounts},
    calls: {completed: model.callsCompleted, inputTokens: model.inputTokens, outputTokens: model.outputTokens},
    latency: {overall, byPriority: byPriorityLatency},
    throughput: {
      tasksPerS: end > 0 ? model.tasksCompleted / end : 0,
      callsPerS: end > 0 ? model.callsCompleted / end : 0,
      inputTokensPerS: end > 0 ? model.inputTokens / end : 0,
      outputTokensPerS: end > 0 ? model.outputTokens / end : 0,
    },
    queue: {peakDepth: model.peakQueueDepth, meanDepth: model.meanQueueDepth},
    pools,
    cost: {gpuHours, costUsd, costPer1000TasksUsd: model.tasksCompleted > 0 ? (costUsd / model.tasksCompleted) * 1000 : null},
    slo: checkSlo(ctx.slo ?? {}, overall, errorRate, (m) => model.latency.attainment(m)),
  }
  if (model.overloadedAtS >= 0) {
    const rejectedTasks = overallCounts.rejectedOverload
    report.overload = {queueLimit: LIMITS.queuedCalls, firstAtS: model.overloadedAtS, rejectedTasks, rejectedShare: model.tasksArrived > 0 ? rejectedTasks / model.tasksArrived : 0}
  }
  return report
}

/** Compare the run with its SLOs. A latency objective with no data (e.g. TTFT of generic work) fails. */
export function checkSlo(
  slo: SloTargets,
  overall: LatencyBlock,
  errorRate: number,
  attainment: (metric: number) => number | null = () => null,
): {pass: boolean; checks: SloCheck[]} {
  const checks: SloCheck[] = []
  const add = (objective: string, target: number | undefined, actual: number | null | undefined, metric: number, sameTarget: boolean): void => {
    if (target === undefined) return
    const a = actual ?? null
    // Attainment is counted against one target per metric (the p95 one when both are set).
    checks.push({objective, target, actual: a, pass: a !== null && a <= target, attainment: metric >= 0 && sameTarget ? attainment(metric) : null})
  }
  add('task e2e p95 (s)', slo.e2eP95S, overall.taskE2eS?.p95S, M_TASK_E2E, true)
  add('task e2e p99 (s)', slo.e2eP99S, overall.taskE2eS?.p99S, M_TASK_E2E, slo.e2eP95S === undefined)
  add('TTFT p95 (s)', slo.ttftP95S, overall.ttftS?.p95S, M_TTFT, true)
  add('TTFT p99 (s)', slo.ttftP99S, overall.ttftS?.p99S, M_TTFT, slo.ttftP95S === undefined)
  add('TPOT p95 (s)', slo.tpotP95S, overall.tpotS?.p95S, M_TPOT, true)
  add('queue wait p95 (s)', slo.queueWaitP95S, overall.queueWaitS?.p95S, M_WAIT, true)
  add('error rate', slo.errorRateMax, errorRate, -1, false)
  return {pass: checks.every((c) => c.pass), checks}
}
