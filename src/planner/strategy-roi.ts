/**
 * PLAN.md's "What each strategy costs and saves" (seed 003's question, `plan --strategy-roi`): for
 * each phase whose fleet is one pool, the chosen pool over the phase's forecast day, sized four ways
 * on the same traffic by the sweep's strategy comparison (src/sweep/strategies.ts): a fixed fleet at
 * the HPA's peak, the plan's reactive HPA, KEDA on the queue, and the HPA with forecast-driven hourly
 * minimum replicas. Each runs through `fleetcap simulate`'s scenario path with the catalog's nominal
 * profile and its autoscaling model (node provisioning, image pull, model load), so its HPA figures
 * can differ from the plan's own HPA day above, which runs the planner's risk-mode profile.
 */
import type {Catalog} from '../fleet/profiles/index.js'
import {ScenarioSchema, type Scenario} from '../scenario/schema.js'
import {compareStrategies, type StrategyComparison} from '../sweep/strategies.js'
import {hpaObject} from './autoscaler.js'
import type {PhasePlan, PlanResult} from './plan.js'

const DAY_S = 86_400

/** The scenario of one phase's single pool with its HPA over the forecast day, or why there is none. */
export function phaseScenario(result: PlanResult, phase: PhasePlan): Scenario | string {
  const pools = phase.pools ?? []
  if (pools.length !== 1) return `${pools.length} pools (the comparison sizes one pool)`
  const [pp] = pools
  const req = result.request
  const s = pp.autoscale.settings
  return ScenarioSchema.parse({
    apiVersion: 'fleetcap.dev/v1',
    kind: 'Scenario',
    name: `${req.name}-${phase.name}-strategies`,
    seed: result.seeds[0] ?? 1,
    durationS: DAY_S,
    workload: {...req.workload, kind: 'synthetic', tasksPerDay: phase.tasksPerDay, ratePerS: undefined, durationS: undefined, shape: {...req.workload.shape, startHour: 0}},
    fleet: {
      pools: [
        {
          name: pp.pool.name,
          gpu: pp.pool.profile.gpu,
          model: pp.pool.profile.model,
          tensorParallel: pp.pool.profile.tensorParallel,
          engine: pp.pool.profile.engine,
          precision: pp.pool.profile.precision,
          replicas: s.minReplicas,
          ...(req.prefixCache ? {prefixCache: true} : {}),
          autoscaler: {hpa: hpaObject(pp.pool.name, s)},
        },
      ],
    },
    routing: req.routing,
    queue: {deadlines: req.queueDeadlines},
    slo: req.slo,
  })
}

export interface PhaseRoi {
  phase: string
  comparison?: StrategyComparison
  skipped?: string
}

export async function strategyRoi(result: PlanResult, catalog?: Catalog): Promise<PhaseRoi[]> {
  const out: PhaseRoi[] = []
  for (const phase of result.phases) {
    const scenario = phaseScenario(result, phase)
    if (typeof scenario === 'string') {
      out.push({phase: phase.name, skipped: scenario})
      continue
    }
    try {
      out.push({phase: phase.name, comparison: await compareStrategies(scenario, {baseDir: process.cwd(), catalog})})
    } catch (error) {
      out.push({phase: phase.name, skipped: (error as Error).message})
    }
  }
  return out
}

const usd = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${x < 0 ? '−' : ''}$${Math.abs(x).toFixed(0)}`)
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(2)} %`)

function saves(base: number | null | undefined, x: number | null | undefined): string {
  if (base === null || base === undefined || x === null || x === undefined || base === 0) return '–'
  return `${usd(base - x)} (${(((base - x) / base) * 100).toFixed(1)} %)`
}

export function renderStrategyRoi(rois: readonly PhaseRoi[]): string {
  const L = ['', '## What each strategy costs and saves', '']
  L.push('Each phase\'s pool over its forecast day, the same traffic (same seed) sized four ways: **fixed** at the HPA\'s peak all day; the plan\'s reactive **HPA**; **KEDA** on the queue (20 per replica, floor the HPA\'s minimum); **predictive**: the HPA plus hourly minimum replicas learned from the HPA\'s demand on another day\'s traffic, moved earlier by the cold start. Simulated through `fleetcap simulate` with the catalog\'s nominal profile (the HPA figures may differ from the HPA day above, which uses the plan\'s risk mode). Cold starts: replicas asked for by scale-ups. `fleetcap sweep SCENARIO --strategies` reruns one.', '')
  for (const r of rois) {
    L.push(`### ${r.phase}`, '')
    if (r.comparison === undefined) {
      L.push(`Not compared: ${r.skipped}.`, '')
      continue
    }
    const m = (s: string) => r.comparison?.rows.find((x) => x.strategy === s)?.metrics
    const fixed = m('fixed')?.costUsd
    const hpa = m('hpa')?.costUsd
    L.push('| strategy | setup | cost/day | saves vs fixed | saves vs HPA | SLO attainment | SLOs | TTFT p95 s | cold starts | peak replicas |')
    L.push('| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |')
    for (const row of r.comparison.rows) {
      const x = row.metrics
      L.push(`| ${row.strategy} | ${row.setup} | ${usd(x.costUsd)} | ${saves(fixed, x.costUsd)} | ${saves(hpa, x.costUsd)} | ${pct(x.sloAttainment)} | ${x.sloPass === 1 ? 'met' : 'missed'} | ${x.ttftP95S === null ? '–' : x.ttftP95S.toPrecision(3)} | ${x.coldStarts ?? '–'} | ${x.peakReplicas ?? '–'} |`)
    }
    L.push('')
  }
  return L.join('\n')
}

/** Append the section to PLAN.md among the plan's files. */
export async function withStrategyRoi(files: Record<string, string>, result: PlanResult, catalog?: Catalog): Promise<Record<string, string>> {
  if (files['PLAN.md'] === undefined || result.fast) return files
  return {...files, 'PLAN.md': `${files['PLAN.md'].replace(/\n+$/, '\n')}${renderStrategyRoi(await strategyRoi(result, catalog))}`}
}
