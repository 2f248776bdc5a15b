/** PLAN.md: the plan for people (phases, why each fleet, what was rejected and why). Pure: same result, same bytes. */
import type {ResolvedProfile} from '../fleet/profiles/index.js'
import type {Candidate} from './candidates.js'
import {fmt} from './candidates.js'
import {describePolicy} from './availability.js'
import {droppedPoolsNote, rolloutBudget, rolloutNote} from './manifests.js'
import {autoscaledCostOf, costPerDay, missesOf, passed, reasonOf, rejectedCheaper, sloMargins} from './plan-document.js'
import type {PhasePlan, PlanResult} from './plan.js'
import {riskSection, riskSummary} from './render-risk.js'
import {type AvailabilityVerdict, p95Of} from './search.js'

function availabilityText(a: AvailabilityVerdict | undefined): string {
  if (!a) return 'not judged'
  return a.pass ? 'yes' : `**no**: ${a.reason}`
}

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
    req.risk === 'pessimistic'
      ? 'Risk **pessimistic**: every figure below is at the slow edge of each serving profile\'s uncertainty band unless a table says otherwise (see "Uncertainty, risk and margin").'
      : 'Risk **nominal**: every figure below is at the serving profiles\' step times as fitted (see "Uncertainty, risk and margin" for the band).',
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
  L.push("## The seeds' fleets beside fleetcap's", '')
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
      // A simulated choice has a margin per objective (the analytic kind is for --fast).
      for (const m of sloMargins(c, result)) if ('target' in m) L.push(`| ${m.objective} | ${m.target} | ${m.worst ?? 'n/a'} | ${m.margin === null ? 'n/a' : `${Math.round(m.margin * 100)} %`} |`)
      L.push('')
      L.push(`Utilization at the peak: ${p.pools.map((pp) => `${pp.pool.name} ${Math.round(pp.utilization * 100)} %`).join(', ')}.`, '')
    } else {
      L.push(`Estimated TTFT p95 ${s(c.candidate.estimate.ttftP95S)}, utilization ${Math.round(c.candidate.estimate.utilization * 100)} % (analytic).`, '')
    }
    L.push(
      `Availability (${policyShort(result.request)}): ${c.availability ? `${c.availability.pass ? 'met' : '**not met**'} — ${c.availability.reason}${c.availability.estimated ? ' (analytic, not simulated)' : ''}` : 'not judged'}.`,
      '',
    )
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
        L.push(
          `  Not simulated with the HPA (--fast); an HPA without lag would keep ${a.fluid.minReady}–${a.fluid.maxReplicasReached} replicas, ${money(a.fluid.costPerDayUsd)}/day against ${money(a.staticCostPerDayUsd)}/day held at the peak size.`,
        )
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
        `The whole forecast day simulated as a scenario with these autoscalers as its pools' \`autoscaler:\` (seed ${d.seed}, ${p.tasksPerDay.toLocaleString('en-US')} tasks over the daily curve, starting at minReplicas): SLOs ${d.pass ? 'met' : `**missed** (${d.misses.join('; ')})`}, TTFT p95 ${s(d.ttftP95S)}, error rate ${(d.errorRate * 100).toFixed(3)} %, replicas ${Object.entries(
          d.replicas,
        )
          .map(([k, v]) => `${k} ${v[0]}–${v[1]}`)
          .join(', ')}, ${d.scaleEvents} scaling actions, ${money(d.costPerDayUsd)}/day.`,
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
    `Explicit phase targets are taken as the value at the sizing quantile (p${Math.round(req.quantile * 100)}); with --series the forecast's p${Math.round(req.quantile * 100)} gives them.`,
    'Latency and throughput come from the serving profiles in models/ (roofline calibrated on published measurements; see docs/profiles.md); GPU prices from models/gpus.yaml unless overridden.',
    "Autoscaling is tuned in a fluid model (src/autoscale's HPA controller, the exact kube-controller-manager arithmetic, reading the HPA we write every 15 s; load = rate × simulated call latency over ready replicas; replicas ready one cold start after creation), then the chosen fleet is simulated over the whole forecast day with the same controllers in the discrete-event simulator. The simulator reports the fleet's in-flight requests, not each replica's: pools share them by throughput. Cold start = model load + engine start from the profile; node provisioning and image pull are not included.",
    `Routing: every fleet (the baselines too) is simulated behind one ${req.routing.policy} router over all pools, with one priority queue (critical, high, normal, low)${
      Object.keys(req.queueDeadlines).length > 0
        ? ` and queue deadlines ${Object.entries(req.queueDeadlines)
            .map(([k, v]) => `${k} ${v} s`)
            .join(', ')}`
        : ''
    }${req.prefixCache ? `; replicas keep an agent chain's context between its calls (vLLM automatic prefix caching, \`--enable-prefix-caching\` in the Deployments)${req.routing.policy === 'prefix-affinity' ? ", and the analytic bounds count a call's shared context as cached" : ', and the analytic bounds count full prefills (without prefix-affinity a chain returns to its replica only by chance)'}` : ''}; the manifests do not configure the router.`,
    'Costs: the peak fleet all day is replicas × price × 24 h; the autoscaled cost integrates the replicas the HPA keeps in the fluid run, billing from creation.',
    "Manifests: one Deployment, HPA (or KEDA ScaledObject) and PodDisruptionBudget per pool; the HPA metric must be served by a custom-metrics adapter (e.g. prometheus-adapter exposing vLLM's running-requests gauge).",
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
  const warn =
    providers.size > 1
      ? ` These come from ${providers.size} providers and dates (${[...providers].join(', ')}), not one price list: a GPU may win on its provider's price rather than its speed; give gpus[].pricePerGpuHourUsd from one provider for a like-for-like choice.`
      : ''
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
