/**
 * `fleetcap plan` behind its flags: the request from the spec file, the flags and a forecast; the
 * plan; its files; the lines the command prints and its --json result. The command class
 * (commands/plan.ts) only hands over its flags and its output.
 */
import type {Interfaces} from '@oclif/core'

import {ExitCode, FleetcapError, InputError} from '../errors.js'
import {parseEngine, parsePrecision} from '../fleet/profiles/precision.js'
import {seriesInputFromFlags} from '../forecast/input-flags.js'
import {renderPage} from '../report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../report/html/write.js'
import {planSparklines} from '../report/sparkline.js'
import {checkOutputDir} from '../util/atomic-write.js'
import {sloFromFlags} from '../cli/flags.js'
import {PLAN_SLO_FIELDS, type planFlags} from './cli-flags.js'
import {defaultPlanWorkers} from './executor.js'
import {phasesFromHistory} from './forecast-input.js'
import {planPage} from './html-page.js'
import {makePlan, type PlanResult} from './plan.js'
import {planDocument, writePlan} from './render.js'
import type {PlanCommandResult} from './plan-result.js'
import {riskStatus} from './render-risk.js'
import {loadPlanSpecFile, type PlanSpec, PlanSpecSchema, resolveRequest, SEED_WORKLOAD} from './spec.js'

export type PlanFlags = Interfaces.InferredFlags<typeof planFlags>

/** Where the command's lines go: notes to stderr, results to stdout (a terminal gets sparklines). */
export interface PlanIo {
  note: (line: string) => void
  say: (line: string) => void
  tty: boolean
}

export async function runPlanCommand(f: PlanFlags, io: PlanIo): Promise<PlanCommandResult> {
  if (f.html !== undefined) checkHtmlOutput(f.html)
  if (f.out !== undefined) checkOutputDir(f.out)
  let spec: PlanSpec = {}
  let baseDir = process.cwd()
  if (f.spec !== undefined) ({spec, baseDir} = loadPlanSpecFile(f.spec))
  let forecastSummary: PlanResult['forecast']
  if (f.quantile === 1) throw new InputError({field: '--quantile'}, 'must be less than 1 (got 1)')
  if (f.series || f.trace || f.prometheus) {
    const quantile = f.quantile ?? spec.quantile ?? 0.9
    // The command's clock ends a Prometheus range at "now"; the library never reads a clock.
    const input = seriesInputFromFlags({series: f.series, trace: f.trace, prometheus: f.prometheus, query: f.query, since: f.since, until: f.until, step: f.step}, Date.now() / 1000)
    const unit = (f.unit as 'per-step' | 'per-second' | undefined) ?? (f.series ? 'per-step' : 'per-second')
    const fp = await phasesFromHistory({input, unit, horizonS: f.horizon, phaseEveryS: f['phase-every'], quantile})
    spec = {...spec, phases: fp.phases}
    // The forecast's daily curve replaces the shape's daily cycle (weekly and bursts stay).
    if (fp.daily) {
      const base = spec.workload ?? (SEED_WORKLOAD as unknown as NonNullable<PlanSpec['workload']>)
      spec = {...spec, workload: {...base, shape: {...base.shape, daily: fp.daily}}}
    }
    forecastSummary = fp.summary
    io.note(`forecast (${String(fp.summary.model)}): ${fp.phases.map((p) => `${p.date} ${p.tasksPerDay}/day`).join(', ')}`)
  }
  const merged = PlanSpecSchema.safeParse(withFlags(spec, f))
  if (!merged.success) {
    const issue = merged.error.issues[0]
    throw new InputError({field: issue.path.join('.') || undefined}, issue.message)
  }
  const request = resolveRequest(merged.data, baseDir)
  const result = await makePlan(request, {fast: f.fast, workers: f.workers ?? defaultPlanWorkers(), forecast: forecastSummary, onProgress: (line) => io.note(line)})
  const summary = summarize(result)
  if (!result.ok) {
    for (const p of result.phases.filter((x) => !x.search.chosen)) {
      const c = p.search.closest
      io.note(`${p.name}: nothing meets the SLOs within the limits; closest ${c ? `${c.candidate.id}: ${'reason' in c.verdict ? c.verdict.reason : ''}` : 'none'}`)
    }
    throw new FleetcapError(
      `no fleet meets the SLOs within the limits for ${result.phases
        .filter((x) => !x.search.chosen)
        .map((x) => x.name)
        .join(', ')}${f.out ? '; nothing written' : ''}`,
      {
        exit: ExitCode.SLO_NOT_MET,
        hint: 'relax the SLOs, raise the GPU limits or the budget, or add GPU types',
        result: summary,
      },
    )
  }
  if (f.out !== undefined) {
    const files = await writePlan(f.out, result, undefined, {strategyRoi: f['strategy-roi']})
    io.note(`wrote ${f.out}: ${files.length} files (plan.yaml, PLAN.md, manifests/)`)
  }
  if (f.html !== undefined) {
    await writeHtml(f.html, renderPage(planPage(result)))
    io.note(`wrote ${f.html}`)
  }
  for (const p of result.phases) {
    const c = p.search.chosen
    io.say(
      `${p.name}  ${p.tasksPerDay} tasks/day  ${c?.candidate.id}  $${((c?.candidate.costPerHourUsd ?? 0) * 24).toFixed(0)}/day at peak size  ${p.pools?.map((pp) => `${pp.pool.name} ${pp.autoscale.settings.minReplicas}-${pp.autoscale.settings.maxReplicas}`).join(', ')}`,
    )
    if (io.tty && p.hpaDay) for (const line of planSparklines(p.hpaDay.trajectory)) io.say(`  ${line}`)
    for (const b of p.search.baselines)
      io.say(
        `  baseline ${b.candidate.label}: ${b.candidate.id}  $${(b.candidate.costPerHourUsd * 24).toFixed(0)}/day  SLO ${b.verdict.status === 'passed' || (b.verdict.status === 'estimated' && b.verdict.pass) ? 'met' : 'NOT met'}`,
      )
  }
  const s = result.stats
  io.note(`decision ${s.decisionS.toFixed(2)} s; ${s.candidatesPruned} candidates pruned, ${s.candidatesSimulated} simulated (${s.simulations} simulations, ${s.simulationsPerS.toFixed(1)}/s)`)
  return summary
}

function withFlags(spec: PlanSpec, f: PlanFlags): unknown {
  const out: Record<string, unknown> = {...spec}
  if (f.phases !== undefined) {
    out.phases = f.phases.split(',').map((x, i) => {
      const [date, count] = x.includes('=') ? x.split('=').map((v) => v.trim()) : [undefined, x.trim()]
      const n = Number(count.replace(/_/g, ''))
      if (count === '' || !Number.isFinite(n) || n <= 0) throw new InputError({field: `--phases[${i}]`}, `not a positive number of tasks/day: "${count}"`)
      if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new InputError({field: `--phases[${i}]`}, `not a date (YYYY-MM-DD): "${date}"`)
      return {tasksPerDay: n, ...(date === undefined ? {} : {date})}
    })
  }
  if (f.gpu !== undefined) {
    out.gpus = f.gpu.map((g) => {
      const [name, limit, ...rest] = g.split('=')
      if (rest.length > 0 || name.trim() === '') throw new InputError({field: '--gpu'}, `expected GPU or GPU=MAX_GPUS, got "${g}"`)
      const maxGpus = limit === undefined ? undefined : Number(limit)
      if (maxGpus !== undefined && (limit.trim() === '' || !Number.isFinite(maxGpus))) throw new InputError({field: '--gpu'}, `not a number of GPUs: "${limit}" in "${g}"`)
      return {gpu: name.trim(), ...(maxGpus === undefined ? {} : {maxGpus})}
    })
  }
  if (f.model !== undefined) out.model = f.model
  if (f.engine !== undefined) out.engine = parseEngine(f.engine, '--engine')
  if (f.precision !== undefined) {
    const p = parsePrecision(f.precision, '--precision')
    out.precision = f.precision.includes('/') ? p : {weights: p.weights}
  }
  // The flags' objectives over the file's; with neither, resolveRequest's default objectives.
  const slo = {...spec.slo, ...sloFromFlags(f, PLAN_SLO_FIELDS)}
  if (Object.keys(slo).length > 0) out.slo = slo
  if (f.budget !== undefined) out.budgetPerDayUsd = f.budget
  if (f.quantile !== undefined) out.quantile = f.quantile
  if (f.headroom !== undefined) out.headroom = f.headroom
  if (f.seeds !== undefined) out.seeds = f.seeds
  if (f.baseline !== undefined) {
    out.baselines = [
      ...(spec.baselines ?? []),
      ...f.baseline.map((b) => {
        const i = b.indexOf('=')
        if (i <= 0) throw new InputError({field: '--baseline'}, `expected PHASE=SCENARIO.yaml, got "${b}"`)
        return {phase: b.slice(0, i), scenario: b.slice(i + 1)}
      }),
    ]
  }
  const m: Record<string, unknown> = {...spec.manifests}
  if (f.image !== undefined) m.image = f.image
  if (f.namespace !== undefined) m.namespace = f.namespace
  if (f.metric !== undefined) m.metric = f.metric
  if (f.keda) m.keda = true
  if (Object.keys(m).length > 0) out.manifests = m
  if (f.risk !== undefined) out.risk = f.risk
  if (f['min-replicas'] !== undefined || f.survive !== undefined) {
    out.availability = {
      ...spec.availability,
      ...(f['min-replicas'] === undefined ? {} : {minReplicas: f['min-replicas']}),
      ...(f.survive === undefined ? {} : {survive: f.survive}),
    }
  }
  return out
}

/** The command's JSON result: the plan document, each phase's risk (typed) and the run's figures. */
function summarize(result: PlanResult): PlanCommandResult {
  return {plan: planDocument(result), risk: result.phases.map((p) => ({phase: p.name, ...riskStatus(p)})), stats: result.stats}
}
