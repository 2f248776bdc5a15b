/**
 * plan.yaml as data (src/plan's CapacityPlan, read by src/plan/load.ts and apply-to-cluster), and the
 * verdict helpers PLAN.md shares with it. Pure: same result, same document.
 */
import {PLAN_API_VERSION, PLAN_KIND} from '../plan/schema.js'
import type {PhaseWorkload} from '../plan/workload.js'
import type {Candidate} from './candidates.js'
import {phaseWorkloadRecord, rolloutBudget} from './manifests.js'
import type {PhasePlan, PlanResult} from './plan.js'
import type {AvailabilityStatus, PhaseStatus, PlanDocumentResult, SloMargin} from './plan-result.js'
import {riskMethod, riskStatus} from './render-risk.js'
import {type AvailabilityVerdict, type Evaluated, p95Of} from './search.js'
import {round} from './verify.js'

export const r = (x: number): number => (Number.isFinite(x) ? round(x) : x)
const usd = (x: number): number => Math.round(x * 100) / 100

export function costPerDay(c: Candidate): number {
  return c.costPerHourUsd * 24
}

/** plan.yaml as data (a CapacityPlan, src/plan/schema.ts, with its status typed). */
export function planDocument(result: PlanResult): PlanDocumentResult {
  const req = result.request
  const slo = req.slo
  return {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: {name: req.name, createdFrom: result.digest},
    spec: {
      slo: {
        ...(slo.e2eP95S === undefined ? {} : {e2eP95S: slo.e2eP95S}),
        ...(slo.e2eP99S === undefined ? {} : {e2eP99S: slo.e2eP99S}),
        ...(slo.queueWaitP95S === undefined ? {} : {queueWaitP95S: slo.queueWaitP95S}),
        ...(slo.ttftP95S === undefined ? {} : {ttftP95S: slo.ttftP95S}),
        ...(slo.ttftP99S === undefined ? {} : {ttftP99S: slo.ttftP99S}),
        ...(slo.tpotP95S === undefined ? {} : {tpotP95S: slo.tpotP95S}),
        ...(slo.errorRateMax === undefined ? {} : {errorRateMax: slo.errorRateMax}),
      },
      forecast: result.forecast ?? {source: 'explicit phase targets', quantile: req.quantile, note: "targets are taken as the sizing quantile's value"},
      phases: result.phases.map((p) => ({
        name: p.name,
        trigger: p.date ? {date: p.date} : {tasksPerDay: p.tasksPerDay},
        pools: (p.pools ?? []).map((pp) => ({
          name: pp.pool.name,
          gpu: pp.pool.profile.gpu,
          model: pp.pool.profile.model,
          tensorParallel: pp.pool.profile.tensorParallel,
          minReplicas: pp.autoscale.settings.minReplicas,
          maxReplicas: pp.autoscale.settings.maxReplicas,
          expected: {
            p50S: r(p.worst?.taskP50S ?? p.search.chosen?.candidate.estimate.taskE2eS ?? 0),
            p95S: r(p.worst?.taskP95S ?? p.search.chosen?.candidate.estimate.taskE2eP95S ?? 0),
            p99S: r(p.worst?.taskP99S ?? p.search.chosen?.candidate.estimate.taskE2eP95S ?? 0),
            utilization: r(Math.min(1, pp.utilization)),
            costPerDayUsd: usd(p.hpaDay?.poolCostPerDayUsd[pp.pool.name] ?? pp.autoscale.fluid.costPerDayUsd),
          },
          rollout: rolloutBudget(req.manifests, pp.pool.profile.gpusPerReplica),
        })),
        manifests: `manifests/${p.name}/`,
        ...workloadOf(p, req.headroom),
      })),
    },
    status: {
      result: result.ok ? 'planned' : 'slo-not-met',
      method: result.fast ? 'analytic (--fast): Erlang-C queue over batch slots, no simulation' : `simulation of the peak ${req.peakWindowS / 3600} h on seeds ${result.seeds.join(', ')}`,
      quantile: req.quantile,
      headroom: req.headroom,
      availability: {minReplicas: req.availability.minReplicas, survive: req.availability.survive},
      risk: {mode: req.risk, method: riskMethod(req.risk), precision: req.precision},
      phases: result.phases.map((p) => phaseStatus(p, result)),
    },
  }
}

function phaseStatus(p: PhasePlan, result: PlanResult): PhaseStatus {
  const c = p.search.chosen
  const s = p.load.stats
  const pools = p.pools ?? []
  const autoscaledCost = autoscaledCostOf(p)
  return {
    name: p.name,
    load: {
      tasksPerDay: p.tasksPerDay,
      sizedTasksPerDay: r(p.load.sizedTasksPerDay),
      peakTasksPerS: r((p.load.sizedTasksPerDay / 86_400) * p.load.peakFactor),
      peakCallsPerS: r(s.callRatePerS),
      callsPerTask: r(s.callsPerTask),
      meanInputTokens: r(s.meanInputTokens),
      meanOutputTokens: r(s.meanOutputTokens),
    },
    choice: c
      ? {
          fleet: c.candidate.id,
          gpus: c.candidate.gpuCounts,
          verdict: c.verdict.status,
          peakCostPerDayUsd: usd(costPerDay(c.candidate)),
          autoscaledCostPerDayUsd: usd(autoscaledCost),
          costPer1000TasksUsd: usd((autoscaledCost / p.tasksPerDay) * 1000),
          slo: sloMargins(c, result),
          ...(c.availability ? {availability: availabilityStatus(c.availability)} : {}),
        }
      : null,
    ...(c ? {} : {closest: p.search.closest ? {fleet: p.search.closest.candidate.id, misses: missesOf(p.search.closest)} : null}),
    autoscaling: pools.map((pp) => ({
      pool: pp.pool.name,
      metric: pp.autoscale.settings.metric,
      targetAverageValue: pp.autoscale.settings.targetAverageValue,
      minReplicas: pp.autoscale.settings.minReplicas,
      maxReplicas: pp.autoscale.settings.maxReplicas,
      ...(pp.autoscale.schedule ? {minReplicaSchedule: pp.autoscale.schedule} : {}),
      check: {
        delayedCallsFraction: r(pp.autoscale.fluid.delayedFraction),
        longestWaitS: r(pp.autoscale.fluid.maxWaitS),
        replicasRange: [pp.autoscale.fluid.minReady, pp.autoscale.fluid.maxReplicasReached],
        ok: pp.autoscale.fluid.ok,
        checked: pp.autoscale.fluid.checked,
      },
    })),
    ...(p.hpaDay
      ? {
          autoscaledDay: {
            seed: p.hpaDay.seed,
            sloMet: p.hpaDay.pass,
            ...(p.hpaDay.pass ? {} : {misses: p.hpaDay.misses}),
            ttftP95S: p.hpaDay.ttftP95S === null ? null : r(p.hpaDay.ttftP95S),
            errorRate: r(p.hpaDay.errorRate),
            costPerDayUsd: usd(p.hpaDay.costPerDayUsd),
            replicas: p.hpaDay.replicas,
            scaleEvents: p.hpaDay.scaleEvents,
          },
        }
      : {}),
    baselines: p.search.baselines.map((b) => ({
      label: b.candidate.label ?? b.candidate.id,
      fleet: b.candidate.id,
      gpus: b.candidate.gpuCounts,
      sloMet: passed(b),
      costPerDayUsd: usd(costPerDay(b.candidate)),
      ...(passed(b) ? {} : {misses: missesOf(b)}),
      ...(b.availability ? {availability: availabilityStatus(b.availability)} : {}),
    })),
    pareto: p.search.pareto.map((e) => ({fleet: e.candidate.id, costPerDayUsd: usd(costPerDay(e.candidate)), ttftP95S: r(p95Of(e)), sloMet: passed(e)})),
    rejected: rejectedCheaper(p).map((e) => ({fleet: e.candidate.id, costPerDayUsd: usd(costPerDay(e.candidate)), reason: reasonOf(e)})),
    counts: {candidates: p.search.evaluated.length, pruned: p.search.pruned, simulations: p.search.simulated},
    risk: riskStatus(p),
    ...(p.precisions.length > 0
      ? {
          precisions: p.precisions.map((x) => ({
            precision: x.precision,
            gpus: x.gpus,
            fleet: x.fleet,
            costPerDayUsd: x.costPerDayUsd === null ? null : usd(x.costPerDayUsd),
            ...(x.note ? {note: x.note} : {}),
            ...(x.excluded ? {excluded: x.excluded} : {}),
          })),
        }
      : {}),
  }
}

function availabilityStatus(a: AvailabilityVerdict): AvailabilityStatus {
  return {
    met: a.pass,
    check: a.reason,
    ...(a.lost === undefined ? {} : {replicaLost: a.lost}),
    ...(a.outcomes ? {ttftP95SWithOneLost: r(Math.max(...a.outcomes.map((o) => o.ttftP95S ?? Number.POSITIVE_INFINITY))), seeds: a.outcomes.map((o) => o.seed)} : {}),
  }
}

/** The day's cost with the autoscalers: simulated with the HPA in the loop, else the fluid model's. */
export function autoscaledCostOf(p: PhasePlan): number {
  if (p.hpaDay) return p.hpaDay.costPerDayUsd
  return (p.pools ?? []).reduce((a, pp) => a + pp.autoscale.fluid.costPerDayUsd, 0)
}

export function passed(e: Evaluated): boolean {
  return e.verdict.status === 'passed' || (e.verdict.status === 'estimated' && e.verdict.pass)
}

export function reasonOf(e: Evaluated): string {
  return 'reason' in e.verdict ? e.verdict.reason : 'passed'
}

export function missesOf(e: Evaluated): string[] {
  const v = e.verdict
  if (v.status === 'failed') {
    const misses = [...new Set(v.outcomes.flatMap((o) => o.misses.map((m) => `seed ${o.seed}: ${m}`)))]
    // Met the SLOs at full size, failed the availability policy: its reason is the miss.
    return misses.length > 0 ? misses : [v.reason]
  }
  if (v.status === 'estimated' || v.status === 'pruned' || v.status === 'not-simulated') return [v.reason]
  return []
}

/** Rejected candidates that cost no more than the choice (the ones a reader asks "why not?" about). */
export function rejectedCheaper(p: PhasePlan, limit = 25): Evaluated[] {
  const bound = p.search.chosen ? p.search.chosen.candidate.costPerHourUsd : Number.POSITIVE_INFINITY
  return p.search.evaluated.filter((e) => e !== p.search.chosen && e.verdict.status !== 'passed' && e.verdict.status !== 'not-simulated' && e.candidate.costPerHourUsd <= bound).slice(-limit)
}

export function sloMargins(c: Evaluated, result: PlanResult): SloMargin[] {
  const v = c.verdict
  if (v.status === 'passed' || v.status === 'failed') {
    const objectives = v.outcomes[0]?.checks.map((k) => k.objective) ?? []
    return objectives.map((obj) => {
      const vals = v.outcomes.map((o) => o.checks.find((k) => k.objective === obj)?.actual ?? null).filter((x): x is number => x !== null)
      const target = v.outcomes[0].checks.find((k) => k.objective === obj)?.target ?? 0
      const worst = vals.length > 0 ? Math.max(...vals) : null
      return {objective: obj, target, worst: worst === null ? null : r(worst), margin: worst === null || target === 0 ? null : r(1 - worst / target)}
    })
  }
  void result
  return [{objective: 'analytic estimate', ttftP95S: r(c.candidate.estimate.ttftP95S), utilization: r(c.candidate.estimate.utilization)}]
}

/** plan.yaml's record of the workload a phase was verified on (load tests replay it). */
function workloadOf(p: PhasePlan, headroom: number): {workload?: PhaseWorkload} {
  const w = phaseWorkloadRecord(p, headroom)
  return w ? {workload: w.workload} : {}
}
