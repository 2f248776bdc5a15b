/**
 * The metrics a sweep collects from each run, by name: a flat view of the simulation report.
 * Latency metrics are seconds; attainment and rates are fractions; sloPass is 1 or 0.
 */
import type {SimulationReport} from '../report/report.js'

export const METRIC_NAMES = [
  'costUsd',
  'gpuHours',
  'costPer1000TasksUsd',
  'ttftP50S',
  'ttftP95S',
  'ttftP99S',
  'tpotP95S',
  'e2eP95S',
  'taskE2eP95S',
  'taskE2eP99S',
  'queueWaitP95S',
  'errorRate',
  'sloPass',
  'sloAttainment',
  'tasksCompleted',
  'utilization',
  'coldStarts',
  'peakReplicas',
] as const

export type MetricName = (typeof METRIC_NAMES)[number]

/** Metrics that measure latency (candidates for the Pareto front's latency axis). */
export const LATENCY_METRICS: readonly MetricName[] = ['ttftP50S', 'ttftP95S', 'ttftP99S', 'tpotP95S', 'e2eP95S', 'taskE2eP95S', 'taskE2eP99S', 'queueWaitP95S']

/** Metrics that say whether users got the service promised (the rows of the sensitivity table). */
export const SLO_METRICS: readonly MetricName[] = [...LATENCY_METRICS, 'errorRate', 'sloPass', 'sloAttainment']

/** Metrics where larger is better (the Pareto front minimises the others). */
export const HIGHER_IS_BETTER: ReadonlySet<MetricName> = new Set(['sloPass', 'sloAttainment', 'tasksCompleted', 'utilization'])

/** One metric of a finished run; null when the run has no such data (no TTFT for generic work). */
export function metricOf(report: SimulationReport, name: MetricName): number | null {
  const l = report.latency.overall
  const as = report.autoscaling
  switch (name) {
    case 'costUsd':
      return as !== undefined ? as.pools.reduce((s, p) => s + p.costUsd, 0) + unscaledCost(report) : report.cost.costUsd
    case 'gpuHours':
      return as !== undefined ? as.pools.reduce((s, p) => s + p.gpuHours, 0) + unscaledGpuHours(report) : report.cost.gpuHours
    case 'costPer1000TasksUsd': {
      const done = report.tasks.completed
      return done > 0 ? ((metricOf(report, 'costUsd') ?? 0) / done) * 1000 : null
    }
    case 'ttftP50S':
      return l.ttftS?.p50S ?? null
    case 'ttftP95S':
      return l.ttftS?.p95S ?? null
    case 'ttftP99S':
      return l.ttftS?.p99S ?? null
    case 'tpotP95S':
      return l.tpotS?.p95S ?? null
    case 'e2eP95S':
      return l.e2eS?.p95S ?? null
    case 'taskE2eP95S':
      return l.taskE2eS?.p95S ?? null
    case 'taskE2eP99S':
      return l.taskE2eS?.p99S ?? null
    case 'queueWaitP95S':
      return l.queueWaitS?.p95S ?? null
    case 'errorRate':
      return report.tasks.errorRate
    case 'sloPass':
      return report.slo.checks.length === 0 ? null : report.slo.pass ? 1 : 0
    case 'sloAttainment': {
      // The weakest latency objective: the fraction of calls (or tasks) within its target.
      const a = report.slo.checks.map((c) => c.attainment).filter((x): x is number => x !== null)
      return a.length === 0 ? null : Math.min(...a)
    }
    case 'tasksCompleted':
      return report.tasks.completed
    case 'utilization': {
      const rs = report.pools.reduce((s, p) => s + p.gpuHours, 0)
      return rs > 0 ? report.pools.reduce((s, p) => s + p.utilization * p.gpuHours, 0) / rs : 0
    }
    case 'coldStarts':
      // Replicas asked for after t = 0 by scale-ups (each pays a cold start: node, image pull, model load).
      return as === undefined ? 0 : as.events.reduce((s, e) => s + Math.max(0, e.to - e.from), 0)
    case 'peakReplicas':
      return as === undefined ? report.pools.reduce((s, p) => s + p.replicas, 0) : as.pools.reduce((s, p) => s + p.replicas.peakReady, 0) + unscaledReplicas(report)
  }
}

/** Pools without an autoscaler are billed by the fleet report; with one, from provisioning. */
function unscaledCost(report: SimulationReport): number {
  const scaled = new Set(report.autoscaling?.pools.map((p) => p.name))
  return report.pools.filter((p) => !scaled.has(p.name)).reduce((s, p) => s + p.costUsd, 0)
}
function unscaledGpuHours(report: SimulationReport): number {
  const scaled = new Set(report.autoscaling?.pools.map((p) => p.name))
  return report.pools.filter((p) => !scaled.has(p.name)).reduce((s, p) => s + p.gpuHours, 0)
}
function unscaledReplicas(report: SimulationReport): number {
  const scaled = new Set(report.autoscaling?.pools.map((p) => p.name))
  return report.pools.filter((p) => !scaled.has(p.name)).reduce((s, p) => s + p.replicas, 0)
}

/** The named metrics of a run, in the order asked. */
export function collectMetrics(report: SimulationReport, names: readonly MetricName[]): Record<string, number | null> {
  const out: Record<string, number | null> = {}
  for (const n of names) out[n] = metricOf(report, n)
  return out
}
