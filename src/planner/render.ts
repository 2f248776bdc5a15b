/**
 * A plan result rendered for its two readers: plan.yaml + manifests/ for the executor
 * (src/plan's format, loaded by src/plan/load.ts) and PLAN.md for people. Pure: same result, same bytes.
 */
import {stringify} from 'yaml'

import {type Catalog, getGpu, loadCatalog, type ResolvedProfile} from '../fleet/profiles/index.js'
import {FleetcapError, ExitCode} from '../errors.js'
import type {ManifestObject} from '../plan/load.js'
import {PLAN_API_VERSION, PLAN_KIND, type PlanDocument} from '../plan/schema.js'
import {withPlanCharts} from './html-files.js'
import {withStrategyRoi} from './strategy-roi.js'
import {writeOutputDir} from '../util/atomic-write.js'
import {describePolicy} from './availability.js'
import {type Candidate, fmt} from './candidates.js'
import {droppedPoolsNote, namespaceObject, phaseWorkloadRecord, poolObjects, rolloutBudget, rolloutNote} from './manifests.js'
import type {PhaseWorkload} from '../plan/workload.js'
import type {PhasePlan, PlanResult} from './plan.js'
import {riskMethod, riskSection, riskStatus, riskSummary} from './render-risk.js'
import {type AvailabilityVerdict, type Evaluated, p95Of} from './search.js'
import {round} from './verify.js'

const r = (x: number): number => (Number.isFinite(x) ? round(x) : x)
const usd = (x: number): number => Math.round(x * 100) / 100

export function costPerDay(c: Candidate): number {
  return c.costPerHourUsd * 24
}

/** plan.yaml as data. */
export function planDocument(result: PlanResult): PlanDocument {
  const req = result.request
  const slo = req.slo
  return {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: {name: req.name, createdFrom: result.digest},
    spec: {
      slo: {
        ...(slo.e2eP95S === undefined ? {} : {p95S: slo.e2eP95S}),
        ...(slo.e2eP99S === undefined ? {} : {p99S: slo.e2eP99S}),
        ...(slo.queueWaitP95S === undefined ? {} : {maxQueueWaitS: slo.queueWaitP95S}),
        ...(slo.ttftP95S === undefined ? {} : {ttftP95S: slo.ttftP95S}),
        ...(slo.ttftP99S === undefined ? {} : {ttftP99S: slo.ttftP99S}),
        ...(slo.tpotP95S === undefined ? {} : {tpotP95S: slo.tpotP95S}),
        ...(slo.errorRateMax === undefined ? {} : {errorRateMax: slo.errorRateMax}),
      },
      forecast: result.forecast ?? {source: 'explicit phase targets', quantile: req.quantile, note: 'targets are taken as the sizing quantile\'s value'},
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

function phaseStatus(p: PhasePlan, result: PlanResult): Record<string, unknown> {
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
    ...(p.precisions.length > 0 ? {precisions: p.precisions.map((x) => ({precision: x.precision, gpus: x.gpus, fleet: x.fleet, costPerDayUsd: x.costPerDayUsd === null ? null : usd(x.costPerDayUsd), ...(x.note ? {note: x.note} : {}), ...(x.excluded ? {excluded: x.excluded} : {})}))} : {}),
  }
}

function availabilityStatus(a: AvailabilityVerdict): Record<string, unknown> {
  return {
    met: a.pass,
    check: a.reason,
    ...(a.lost === undefined ? {} : {replicaLost: a.lost}),
    ...(a.outcomes ? {ttftP95SWithOneLost: r(Math.max(...a.outcomes.map((o) => o.ttftP95S ?? Number.POSITIVE_INFINITY))), seeds: a.outcomes.map((o) => o.seed)} : {}),
  }
}

function availabilityText(a: AvailabilityVerdict | undefined): string {
  if (!a) return 'not judged'
  return a.pass ? 'yes' : `**no**: ${a.reason}`
}

/** The day's cost with the autoscalers: simulated with the HPA in the loop, else the fluid model's. */
export function autoscaledCostOf(p: PhasePlan): number {
  if (p.hpaDay) return p.hpaDay.costPerDayUsd
  return (p.pools ?? []).reduce((a, pp) => a + pp.autoscale.fluid.costPerDayUsd, 0)
}

function passed(e: Evaluated): boolean {
  return e.verdict.status === 'passed' || (e.verdict.status === 'estimated' && e.verdict.pass)
}

function reasonOf(e: Evaluated): string {
  return 'reason' in e.verdict ? e.verdict.reason : 'passed'
}

function missesOf(e: Evaluated): string[] {
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
  return p.search.evaluated
    .filter((e) => e !== p.search.chosen && e.verdict.status !== 'passed' && e.verdict.status !== 'not-simulated' && e.candidate.costPerHourUsd <= bound)
    .slice(-limit)
}

function sloMargins(c: Evaluated, result: PlanResult): Array<Record<string, unknown>> {
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

/** Manifests per phase. */
export function planManifests(result: PlanResult, catalog: Catalog = loadCatalog()): Record<string, ManifestObject[]> {
  const out: Record<string, ManifestObject[]> = {}
  for (const p of result.phases) {
    const ns = namespaceObject(result.request.manifests)
    out[p.name] = (ns ? [ns] : []).concat((p.pools ?? []).flatMap((pp) => {
      const gpu = getGpu(pp.pool.profile.gpu, catalog)
      return poolObjects({
        phase: p.name,
        pool: pp.pool.name,
        gpuProduct: gpu.productLabel ?? gpu.name,
        gpusPerReplica: pp.pool.profile.gpusPerReplica,
        model: pp.pool.profile.model,
        autoscaler: pp.autoscale.settings,
        config: result.request.manifests,
        gpuMemoryGiB: gpu.memoryGiB.value,
        prefixCache: result.request.prefixCache,
      })
    }))
  }
  return out
}

export function renderYaml(value: unknown): string {
  return stringify(value, {lineWidth: 0, aliasDuplicateObjects: false})
}

/** Every file of the plan directory, by relative path. */
export function planFiles(result: PlanResult, catalog?: Catalog): Record<string, string> {
  if (!result.ok) {
    throw new FleetcapError('nothing meets the SLOs within the limits; no plan written', {exit: ExitCode.SLO_NOT_MET})
  }
  const files: Record<string, string> = {'plan.yaml': renderYaml(planDocument(result)), 'PLAN.md': renderPlanMd(result)}
  // The verified workload's tasks, named in plan.yaml with their SHA-256 (src/plan/workload.ts).
  for (const p of result.phases) {
    const w = phaseWorkloadRecord(p, result.request.headroom)
    if (w) files[w.file] = w.text
  }
  for (const [phase, objects] of Object.entries(planManifests(result, catalog))) {
    for (const o of objects) files[`manifests/${phase}/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`] = renderYaml(o)
  }
  return files
}

/** Write the plan directory at once (nothing half-written; a user's non-empty folder is refused). */
export async function writePlan(dir: string, result: PlanResult, catalog?: Catalog, options: {strategyRoi?: boolean} = {}): Promise<string[]> {
  // PLAN.md's charts (charts/*.svg) and index.html come with it.
  let files = await withPlanCharts(planFiles(result, catalog), result)
  if (options.strategyRoi) files = await withStrategyRoi(files, result, catalog)
  await writeOutputDir(dir, files)
  return Object.keys(files).sort()
}

// ---------------------------------------------------------------- PLAN.md

export function renderPlanMd(result: PlanResult): string {
  const req = result.request
  const L: string[] = []
  const sloText = Object.entries(req.slo)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  L.push(`# Capacity plan: ${req.name}`, '')
  L.push(`Model **${req.model}**; SLOs: ${sloText}. Each phase is sized for its load × ${1 + req.headroom} (headroom ${Math.round(req.headroom * 100)} %) at the daily peak.`)
  L.push(
    result.fast
      ? 'Method: **analytic only** (`--fast`): capacity bounds and an Erlang-C queue over batch slots; no fleet below was simulated.'
      : `Method: every fleet below was simulated over the ${req.peakWindowS / 3600} h around the daily peak on seeds ${result.seeds.join(', ')}; a fleet passes only if it meets every SLO on every seed.`,
    req.risk === 'pessimistic' ? 'Risk **pessimistic**: every figure below is at the slow edge of each serving profile\'s uncertainty band unless a table says otherwise (see "Uncertainty, risk and margin").' : 'Risk **nominal**: every figure below is at the serving profiles\' step times as fitted (see "Uncertainty, risk and margin" for the band).',
    '',
    `Inputs digest: \`${result.digest}\``,
    '',
  )
  L.push('## Phases', '')
  L.push('| phase | trigger | fleet | GPUs | min–max replicas | TTFT p95 (worst seed) | task p95 | $/day (autoscaled) | $/day (peak fleet all day) | $ per 1,000 tasks |')
  L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const p of result.phases) {
    const c = p.search.chosen
    if (!c || !p.pools) {
      L.push(`| ${p.name} | ${trigger(p)} | none meets the SLOs | | | | | | | |`)
      continue
    }
    const auto = autoscaledCostOf(p)
    L.push(
      `| ${p.name} | ${trigger(p)} | ${c.candidate.id} | ${gpuText(c.candidate)} | ${p.pools.map((pp) => `${pp.autoscale.settings.minReplicas}–${pp.autoscale.settings.maxReplicas}`).join(' + ')} | ${s(p.worst?.ttftP95S ?? c.candidate.estimate.ttftP95S)} | ${s(p.worst?.taskP95S ?? c.candidate.estimate.taskE2eP95S)} | ${money(auto)} | ${money(costPerDay(c.candidate))} | ${money((auto / p.tasksPerDay) * 1000)} |`,
    )
  }
  L.push('')
  riskSummary(L, result)
  // Pools a phase drops (e.g. a GPU type change) keep running unless the apply prunes them.
  const dropped = droppedPoolsNote(result.phases.map((p) => ({name: p.name, pools: (p.pools ?? []).map((pp) => `${pp.pool.name} (${pp.pool.profile.gpu})`)})))
  if (dropped.length > 0) L.push(...dropped, '')
  L.push('## The seeds\' fleets beside fleetcap\'s', '')
  const withBaselines = result.phases.filter((p) => p.search.baselines.length > 0)
  if (withBaselines.length === 0) L.push('No baseline fleets were given (`baselines:` in the request, or `--baseline PHASE=SCENARIO.yaml`).', '')
  else {
    L.push('Same load, same SLOs, same seeds. Cost is the fleet held all day (the seeds size fixed fleets).', '')
    L.push(`Availability policy (${policyShort(req)}) judged on the baselines too.`, '')
    L.push('| phase | fleet | GPUs | SLO met | misses | meets the availability policy | $/day | fleetcap | fleetcap $/day | saving |')
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    for (const p of withBaselines) {
      for (const b of p.search.baselines) {
        const c = p.search.chosen
        const saving = c ? 1 - costPerDay(c.candidate) / costPerDay(b.candidate) : Number.NaN
        L.push(
          `| ${p.name} | ${b.candidate.label ?? b.candidate.id} (${b.candidate.id}) | ${gpuText(b.candidate)} | ${passed(b) ? 'yes' : '**no**'} | ${passed(b) ? '' : missesOf(b).join('; ')} | ${availabilityText(b.availability)} | ${money(costPerDay(b.candidate))} | ${c ? c.candidate.id : 'none'} | ${c ? money(costPerDay(c.candidate)) : ''} | ${Number.isFinite(saving) ? `${Math.round(saving * 100)} %` : ''} |`,
        )
      }
    }
    L.push('')
  }
  for (const p of result.phases) phaseSection(L, p, result)
  L.push('## Assumptions', '')
  for (const a of assumptions(result)) L.push(`- ${a}`)
  L.push('')
  return L.join('\n')
}

function phaseSection(L: string[], p: PhasePlan, result: PlanResult): void {
  const st = p.load.stats
  L.push(`## ${p.name}: ${p.tasksPerDay.toLocaleString('en-US')} tasks/day`, '')
  L.push(
    `Sized load ${Math.round(p.load.sizedTasksPerDay).toLocaleString('en-US')} tasks/day; at the peak (×${fmt(p.load.peakFactor)} the daily mean, ${fmt(p.load.peakHour)}:00) ${fmt(st.callRatePerS)} LLM calls/s (${fmt(st.callsPerTask)} calls per task, prompts ${Math.round(st.meanInputTokens)} tokens, answers ${Math.round(st.meanOutputTokens)} tokens on average).`,
    '',
  )
  const c = p.search.chosen
  if (c && p.pools) {
    L.push(`**Choice: ${c.candidate.id}** — ${gpuText(c.candidate)}, ${money(costPerDay(c.candidate))}/day at the peak size.`, '')
    const v = c.verdict
    if (v.status === 'passed') {
      L.push('| objective | target | worst seed | margin |', '| --- | --- | --- | --- |')
      for (const m of sloMargins(c, result)) L.push(`| ${m.objective} | ${m.target} | ${m.worst ?? 'n/a'} | ${m.margin === null ? 'n/a' : `${Math.round(Number(m.margin) * 100)} %`} |`)
      L.push('')
      L.push(`Utilization at the peak: ${p.pools.map((pp) => `${pp.pool.name} ${Math.round(pp.utilization * 100)} %`).join(', ')}.`, '')
    } else {
      L.push(`Estimated TTFT p95 ${s(c.candidate.estimate.ttftP95S)}, utilization ${Math.round(c.candidate.estimate.utilization * 100)} % (analytic).`, '')
    }
    L.push(`Availability (${policyShort(result.request)}): ${c.availability ? `${c.availability.pass ? 'met' : '**not met**'} — ${c.availability.reason}${c.availability.estimated ? ' (analytic, not simulated)' : ''}` : 'not judged'}.`, '')
    L.push('### Autoscaler', '')
    for (const pp of p.pools) {
      const a = pp.autoscale
      const st2 = a.settings
      if (st2.minReplicas === st2.maxReplicas) {
        L.push(`- **${pp.pool.name}**: fixed at ${st2.minReplicas} replica(s), no HPA; ${money(a.fluid.costPerDayUsd)}/day.`)
        for (const n of a.notes) L.push(`  ${n}.`)
        continue
      }
      L.push(
        `- **${pp.pool.name}**: HPA ${st2.minReplicas}–${st2.maxReplicas} replicas on the Pods metric \`${st2.metric}\` (in-flight requests per replica), target averageValue ${st2.targetAverageValue}; scale up at most max(4 pods, 100 %) per 60 s with no stabilization; scale down 10 % per 60 s after a ${st2.scaleDown.stabilizationWindowSeconds} s window (longer than the ${Math.round(pp.pool.profile.coldStartS)} s cold start).`,
      )
      if (a.schedule?.windows && a.schedule.windows.length > 0) {
        L.push(`  Predictive minReplicas schedule (UTC): ${a.schedule.windows.map((w) => `${w.start}–${w.end} ≥ ${w.minReplicas}`).join(', ')}.`)
      }
      if (!a.fluid.checked) {
        L.push(`  Not simulated with the HPA (--fast); an HPA without lag would keep ${a.fluid.minReady}–${a.fluid.maxReplicasReached} replicas, ${money(a.fluid.costPerDayUsd)}/day against ${money(a.staticCostPerDayUsd)}/day held at the peak size.`)
        continue
      }
      L.push(
        `  Estimated over the forecast day with cold starts (fluid model, the settings' pre-filter): ${a.fluid.ok ? 'keeps up' : '**falls behind**'} (${(a.fluid.delayedFraction * 100).toFixed(2)} % of calls arrive while the pool is short, longest wait ${s(a.fluid.maxWaitS)}); replicas ${a.fluid.minReady}–${a.fluid.maxReplicasReached}; ${money(a.fluid.costPerDayUsd)}/day against ${money(a.staticCostPerDayUsd)}/day held at the peak size.`,
      )
      for (const n of a.notes) L.push(`  ${n}.`)
    }
    if (p.hpaDay) {
      const d = p.hpaDay
      L.push(
        '',
        `The whole forecast day simulated as a scenario with these autoscalers as its pools' \`autoscaler:\` (seed ${d.seed}, ${p.tasksPerDay.toLocaleString('en-US')} tasks over the daily curve, starting at minReplicas): SLOs ${d.pass ? 'met' : `**missed** (${d.misses.join('; ')})`}, TTFT p95 ${s(d.ttftP95S)}, error rate ${(d.errorRate * 100).toFixed(3)} %, replicas ${Object.entries(d.replicas).map(([k, v]) => `${k} ${v[0]}–${v[1]}`).join(', ')}, ${d.scaleEvents} scaling actions, ${money(d.costPerDayUsd)}/day.`,
      )
    }
    L.push('')
  } else {
    const cl = p.search.closest
    L.push(`**Nothing meets the SLOs within the limits.** Closest: ${cl ? `${cl.candidate.id} (${money(costPerDay(cl.candidate))}/day), which misses ${missesOf(cl).join('; ')}` : 'none'}.`, '')
  }
  if (p.search.pareto.length > 0) {
    L.push('### Pareto front (cost against TTFT p95)', '', '| fleet | $/day | TTFT p95 | SLO met |', '| --- | --- | --- | --- |')
    for (const e of p.search.pareto) L.push(`| ${e.candidate.id} | ${money(costPerDay(e.candidate))} | ${s(p95Of(e))} | ${passed(e) ? 'yes' : 'no'} |`)
    L.push('')
  }
  riskSection(L, p, result)
  const rej = rejectedCheaper(p)
  if (rej.length > 0) {
    L.push('### Why cheaper fleets were rejected', '', '| fleet | $/day | reason |', '| --- | --- | --- |')
    for (const e of rej) L.push(`| ${e.candidate.id} | ${money(costPerDay(e.candidate))} | ${reasonOf(e)} |`)
    L.push('')
  }
  L.push(`${p.search.evaluated.length} candidates: ${p.search.pruned} pruned by analytic bounds, limits or dominance; ${p.search.simulated} simulations.`, '')
}

function policyShort(req: PlanResult['request']): string {
  return `minReplicas ${req.availability.minReplicas}, survive ${req.availability.survive}`
}

function assumptions(result: PlanResult): string[] {
  const req = result.request
  const out = [
    `Availability: ${describePolicy(req.availability)}. ${req.availability.survive === 'one-replica-loss' ? (result.fast ? 'Pruned analytically (a fleet whose remainder cannot carry the peak is rejected) and checked on the analytic estimate of the fleet minus its largest replica (--fast: not simulated). ' : `Pruned analytically (a fleet whose remainder cannot carry the peak is rejected), then the fleet minus its largest replica (most calls/s) is simulated over the peak on seeds ${result.seeds.join(', ')}. `) : ''}Each pool's PodDisruptionBudget allows one replica unavailable when the pool keeps at least 2, else requires 1 available (a drain waits for a replacement), so a voluntary disruption never leaves a pool with no ready replica.`,
    `Workload: the request's synthetic shape (default: the seeds' agent tasks as scenarios/seed-phase1-500-per-day.yaml states them), with each phase's tasks per day; the fleet is decided over the ${req.peakWindowS / 3600} h centred on the daily peak.`,
    `Explicit phase targets are taken as the value at the sizing quantile (p${Math.round(req.quantile * 100)}); with --history the forecast's p${Math.round(req.quantile * 100)} gives them.`,
    'Latency and throughput come from the serving profiles in models/ (roofline calibrated on published measurements; see docs/profiles.md); GPU prices from models/gpus.yaml unless overridden.',
    'Autoscaling is tuned in a fluid model (src/autoscale\'s HPA controller, the exact kube-controller-manager arithmetic, reading the HPA we write every 15 s; load = rate × simulated call latency over ready replicas; replicas ready one cold start after creation), then the chosen fleet is simulated over the whole forecast day with the same controllers in the discrete-event simulator. The simulator reports the fleet\'s in-flight requests, not each replica\'s: pools share them by throughput. Cold start = model load + engine start from the profile; node provisioning and image pull are not included.',
    `Routing: every fleet (the baselines too) is simulated behind one ${req.routing.policy} router over all pools, with one priority queue (critical, high, normal, low)${Object.keys(req.queueDeadlines).length > 0 ? ` and queue deadlines ${Object.entries(req.queueDeadlines).map(([k, v]) => `${k} ${v} s`).join(', ')}` : ''}${req.prefixCache ? `; replicas keep an agent chain's context between its calls (vLLM automatic prefix caching, \`--enable-prefix-caching\` in the Deployments)${req.routing.policy === 'prefix-affinity' ? ', and the analytic bounds count a call\'s shared context as cached' : ', and the analytic bounds count full prefills (without prefix-affinity a chain returns to its replica only by chance)'}` : ''}; the manifests do not configure the router.`,
    'Costs: the peak fleet all day is replicas × price × 24 h; the autoscaled cost integrates the replicas the HPA keeps in the fluid run, billing from creation.',
    'Manifests: one Deployment, HPA (or KEDA ScaledObject) and PodDisruptionBudget per pool; the HPA metric must be served by a custom-metrics adapter (e.g. prometheus-adapter exposing vLLM\'s running-requests gauge).',
    rolloutNote(req.manifests, Math.max(0, ...result.phases.map((p) => (p.pools ?? []).reduce((s, pp) => s + rolloutBudget(req.manifests, pp.pool.profile.gpusPerReplica).surgeGpus, 0)))),
  ]
  out.push(priceNote(result))
  const noFit = result.unfit.filter((u) => !u.reason.startsWith('not supported'))
  const unsupported = result.unfit.filter((u) => u.reason.startsWith('not supported'))
  if (noFit.length > 0) out.push(`Not considered (the model does not fit): ${noFit.map((u) => `${u.gpu} tp${u.tensorParallel}`).join(', ')}.`)
  if (unsupported.length > 0) out.push(`Not considered (the engine cannot run this precision on the GPU): ${unsupported.map((u) => u.gpu).join(', ')}.`)
  return out
}

/** The price behind each GPU the plan costed, with provider and date; says when they are not one price list. */
function priceNote(result: PlanResult): string {
  const prices = new Map<string, ResolvedProfile['details']['price']>()
  for (const p of result.phases) {
    for (const e of p.search.evaluated) for (const pool of e.candidate.pools) prices.set(pool.profile.gpu, pool.profile.details.price)
  }
  const list = [...prices].sort(([a], [b]) => (a < b ? -1 : 1))
  const providers = new Set(list.map(([, x]) => x.provider))
  const each = list.map(([gpu, x]) => `${gpu} $${Number(x.perGpuUsd.toFixed(3))} (${x.provider}, ${x.asOf})`).join('; ')
  const warn = providers.size > 1 ? ` These come from ${providers.size} providers and dates (${[...providers].join(', ')}), not one price list: a GPU may win on its provider's price rather than its speed; give gpus[].pricePerGpuHourUsd from one provider for a like-for-like choice.` : ''
  return `Prices per GPU-hour: ${each}.${warn}`
}

function trigger(p: PhasePlan): string {
  return p.date ? `from ${p.date}` : `${p.tasksPerDay.toLocaleString('en-US')} tasks/day`
}

function gpuText(c: Candidate): string {
  return Object.entries(c.gpuCounts)
    .map(([g, n]) => `${n}× ${g}`)
    .join(' + ')
}

function money(x: number): string {
  return Number.isFinite(x) ? `$${x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2)}` : 'n/a'
}

function s(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${fmt(x)} s`
}
