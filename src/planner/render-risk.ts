/**
 * The risk part of a plan, for plan.yaml's status and PLAN.md: the band of each phase's headline
 * figures, what every pool's serving profile rests on, what sizing to the pessimistic edge cost
 * against the nominal plan, the plan at other precisions, and what to measure before buying.
 */
import {fmt} from './candidates.js'
import type {PhasePlan, PlanResult} from './plan.js'
import type {PhaseRiskStatus} from './plan-result.js'
import {round} from './verify.js'

const r = (x: number): number => (Number.isFinite(x) ? round(x) : x)
const usd = (x: number): number => Math.round(x * 100) / 100
const money = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : `$${x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2)}`)
const sec = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : `${fmt(x)} s`)
const pct = (x: number): string => `${Math.round(x * 100)} %`

export function riskMethod(mode: PlanResult['request']['risk']): string {
  return mode === 'pessimistic'
    ? 'every fleet sized and verified with each serving profile\'s step times × its band.slow'
    : 'every fleet sized and verified with the serving profiles\' step times as fitted'
}

/** A phase's risk as plan.yaml status.phases[].risk and the --json result's `risk` give it (typed in plan-result.ts). */
export type {PhaseRiskStatus} from './plan-result.js'

export function riskStatus(p: PhasePlan): PhaseRiskStatus {
  const k = p.risk
  return {
    mode: k.mode,
    pools: k.pools.map((b) => ({pool: b.pool, profile: b.profile, status: b.status, statusBasis: b.statusBasis, band: {fast: r(b.band.fast), slow: r(b.band.slow), coverage: b.band.coverage, basis: b.band.basis}, sizedWithStepTimes: r(b.sizedWith)})),
    band: {
      method: k.bandMethod === 'simulated' ? 'the choice re-simulated on the first seed with every pool at band.fast, nominal and band.slow' : 'analytic estimate of the choice at band.fast, nominal and band.slow (--fast)',
      edges: k.band.map((b) => ({edge: b.edge, ttftP95S: b.ttftP95S === null ? null : r(b.ttftP95S), taskP95S: b.taskP95S === null ? null : r(b.taskP95S), utilization: r(b.utilization), errorRate: r(b.errorRate), sloMet: b.sloMet})),
    },
    costPerDayUsd: k.costPerDayUsd === null ? null : usd(k.costPerDayUsd),
    other: {mode: k.other.mode, fleet: k.other.fleet, costPerDayUsd: k.other.costPerDayUsd === null ? null : usd(k.other.costPerDayUsd)},
    marginCostPerDayUsd: marginCost(p) === null ? null : usd(marginCost(p) as number),
    ...(k.measure.length > 0 ? {measureBeforeBuying: k.measure} : {}),
  }
}

/** What sizing to the slow edge costs per day: the pessimistic choice's peak-size cost minus the nominal one's. */
export function marginCost(p: PhasePlan): number | null {
  const k = p.risk
  const [pess, nom] = k.mode === 'pessimistic' ? [k.costPerDayUsd, k.other.costPerDayUsd] : [k.other.costPerDayUsd, k.costPerDayUsd]
  return pess === null || nom === null ? null : pess - nom
}


function edgeOf(p: PhasePlan, edge: 'fast' | 'nominal' | 'slow') {
  return p.risk.band.find((b) => b.edge === edge)
}

function unmeasured(p: PhasePlan): string {
  const list = p.risk.pools.filter((b) => b.status !== 'measured')
  return list.length === 0 ? 'none' : list.map((b) => `${b.pool} (${b.status})`).join(', ')
}

/** One table over the phases, after the Phases table. */
export function riskSummary(L: string[], result: PlanResult): void {
  const req = result.request
  L.push('## Uncertainty, risk and margin', '')
  L.push(
    `Risk mode **${req.risk}**: ${riskMethod(req.risk)}. Each serving profile carries a band of step-time multipliers (models/ and docs/simulator.md, "Error bands"); the band below is the choice ${result.fast ? 'estimated (analytic, --fast)' : `re-simulated on seed ${result.seeds[0]}`} with every pool's step times at band.fast, as fitted, and at band.slow. The plan under the other risk mode was made too, so the margin is the difference of two plans, not a guess.`,
    '',
  )
  L.push('| phase | choice | TTFT p95 nominal (fast – slow edge) | task p95 nominal (fast – slow) | SLO met at the slow edge | pools on transferred or roofline profiles | nominal plan | pessimistic plan | margin $/day |')
  L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const p of result.phases) {
    const c = p.search.chosen
    const [f, n, s] = [edgeOf(p, 'fast'), edgeOf(p, 'nominal'), edgeOf(p, 'slow')]
    const k = p.risk
    const nom = k.mode === 'nominal' ? {fleet: c?.candidate.id ?? null, cost: k.costPerDayUsd} : {fleet: k.other.fleet, cost: k.other.costPerDayUsd}
    const pes = k.mode === 'pessimistic' ? {fleet: c?.candidate.id ?? null, cost: k.costPerDayUsd} : {fleet: k.other.fleet, cost: k.other.costPerDayUsd}
    const margin = nom.cost === null || pes.cost === null ? null : pes.cost - nom.cost
    L.push(
      `| ${p.name} | ${c?.candidate.id ?? 'none'} | ${n ? `${sec(n.ttftP95S)} (${sec(f?.ttftP95S ?? null)} – ${sec(s?.ttftP95S ?? null)})` : 'n/a'} | ${n ? `${sec(n.taskP95S)} (${sec(f?.taskP95S ?? null)} – ${sec(s?.taskP95S ?? null)})` : 'n/a'} | ${s ? (s.sloMet ? 'yes' : '**no**') : 'n/a'} | ${unmeasured(p)} | ${nom.fleet ?? 'none'} ${money(nom.cost)} | ${pes.fleet ?? 'none'} ${money(pes.cost)} | ${margin === null ? 'n/a' : `${money(margin)} (${nom.cost ? pct(margin / nom.cost) : 'n/a'})`} |`,
    )
  }
  L.push('', 'Costs in this table are the fleet at its peak size held all day.', '')
  const compared = result.phases.filter((p) => p.precisions.length > 0)
  if (compared.length > 0) {
    const precisions = [...new Set(compared.flatMap((p) => p.precisions.map((x) => x.precision)))]
    L.push('### By precision', '')
    L.push(`Each phase planned again at each precision of \`compare.precision\`, on ${req.compareGpus ? `${req.compareGpus.join(', ')} (\`compare.gpus\`)` : 'the offered GPUs'} where that precision is served, under the same risk mode.`, '')
    L.push(`| phase | ${precisions.join(' | ')} |`, `| --- | ${precisions.map(() => '---').join(' | ')} |`)
    for (const p of compared) {
      const cell = (prec: string): string => {
        const x = p.precisions.find((y) => y.precision === prec)
        if (!x) return ''
        return x.fleet ? `${x.fleet} ${money(x.costPerDayUsd)} (${x.gpus.join(', ')})` : `none: ${x.note ?? ''}`
      }
      L.push(`| ${p.name} | ${precisions.map(cell).join(' | ')} |`)
    }
    L.push('')
    // Which offered GPUs a precision was never planned on, and why (the same in every phase).
    for (const x of compared[0].precisions) for (const e of x.excluded ?? []) L.push(`- Not planned at ${x.precision}: ${e.gpu} — ${e.reason}`)
    if (compared[0].precisions.some((x) => (x.excluded ?? []).length > 0)) L.push('')
  }
}

/** Per phase: the band table, what each pool rests on and what to measure before buying. */
export function riskSection(L: string[], p: PhasePlan, result: PlanResult): void {
  const k = p.risk
  if (k.band.length === 0) return
  L.push('### Band and what the choice rests on', '')
  L.push(`Sized ${k.mode === 'pessimistic' ? 'at the slow edge' : 'as fitted'}; the choice ${k.bandMethod === 'simulated' ? `re-simulated on seed ${result.seeds[0]}` : 'estimated (analytic)'} at each edge:`, '')
  L.push('| step times | TTFT p95 | task p95 | peak utilization | error rate | SLO met |', '| --- | --- | --- | --- | --- | --- |')
  for (const b of k.band) L.push(`| ${b.edge === 'nominal' ? 'as fitted' : `band.${b.edge}`} | ${sec(b.ttftP95S)} | ${sec(b.taskP95S)} | ${pct(b.utilization)} | ${(b.errorRate * 100).toFixed(2)} % | ${b.sloMet ? 'yes' : '**no**'} |`)
  L.push('')
  for (const b of k.pools) {
    L.push(`- **${b.pool}** (${b.profile}): **${b.status}** — ${b.statusBasis}. Band ×${fmt(b.band.fast)}–×${fmt(b.band.slow)} on step times, ${pct(b.band.coverage)} nominal coverage (${b.band.basis}); sized with ×${fmt(b.sizedWith)}.`)
  }
  L.push('')
  if (k.measure.length > 0) {
    L.push('What to measure before buying (one replica at 80 % of its estimated capacity, or its share of the peak if higher; REPLICA_URL is the replica\'s OpenAI-compatible base URL; docs/k6.md):', '')
    for (const m of k.measure) {
      L.push(`- ${m.pool} (${m.status}):`, '', '  ```sh', ...m.commands.map((c) => `  ${c}`), '  ```', '')
    }
    L.push(`\`fleetcap calibrate\` prints the measured step-time scale against the profile: a scale outside the band (×${k.pools.length > 0 ? `${fmt(Math.min(...k.pools.map((b) => b.band.fast)))}–×${fmt(Math.max(...k.pools.map((b) => b.band.slow)))}` : ''}) means this plan's sizing does not hold.`, '')
  }
}
