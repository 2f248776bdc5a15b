import {renderPage} from '../src/report/html/page.js'
import {planPage} from '../src/planner/html-page.js'
import {checkHtmlOutput, writeHtml} from '../src/report/html/write.js'
import {planSparklines} from '../src/report/sparkline.js'
import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../src/cli/base-command.js'
import {ExitCode, FleetcapError, InputError} from '../src/errors.js'
import {parseEngine, parsePrecision} from '../src/fleet/profiles/precision.js'
import {checkOutputDir} from '../src/util/atomic-write.js'
import {seriesInputFromFlags} from '../src/forecast/input-flags.js'
import {phasesFromHistory} from '../src/planner/forecast-input.js'
import {defaultPlanWorkers} from '../src/planner/executor.js'
import {makePlan, type PlanResult} from '../src/planner/plan.js'
import {tryParseDuration} from '../src/util/duration.js'
import {planDocument, writePlan} from '../src/planner/render.js'
import {type PhaseRiskStatus, riskStatus} from '../src/planner/render-risk.js'
import {loadPlanSpecFile, type PlanSpec, PlanSpecSchema, resolveRequest, SEED_WORKLOAD} from '../src/planner/spec.js'

export default class Plan extends FleetcapCommand<typeof Plan> {
  static override summary = 'Plan GPU fleets per phase: the cheapest fleet that meets the SLOs, verified by simulation, with HPA manifests.'

  static override description = `For each phase (a load target in tasks/day, or by date), enumerates fleets (GPU type × tensor parallelism × replicas, and two-type mixes), prunes them with analytic bounds (capacity, Erlang-C queueing, limits, budget, dominance), then simulates the survivors cheapest first over the phase's peak window on several seeds and keeps the first that meets every SLO on every seed. Availability floor (default): at least 2 replicas in total at every size (--min-replicas), and the SLOs still met at the peak with the largest replica lost (--survive one-replica-loss, N+1), checked by simulating the fleet minus that replica. Tunes an autoscaling/v2 HPA per pool (min/max from the daily curve, in-flight target, behavior; a predictive minReplicas schedule where the curve is periodic), then simulates the whole forecast day as a scenario with those HPAs as its pools' autoscalers, as 'fleetcap simulate' would. The simulations run on a pool of worker threads (--workers). The seeds' own fleets (baselines) are simulated under the same load and SLOs.

--out DIR writes plan.yaml (fleetcap.dev/v1 CapacityPlan, read by apply-to-cluster), manifests/<phase>/ (Deployment, HPA or KEDA ScaledObject, PodDisruptionBudget per pool) and PLAN.md, all at once; a non-empty folder fleetcap did not write is refused.

Exit codes: 0 plan found; 2 bad input (flag, spec file with line and field, unknown GPU); 3 nothing meets the SLOs within the limits (the closest candidate and what it misses are printed; nothing is written); 1 internal error.`

  static override examples = [
    '<%= config.bin %> plan --phases 500,5000,50000 --out out/plan',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --out out/seeds-plan',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --fast',
    '<%= config.bin %> plan --history tasks-per-hour.csv --horizon 4w --phase-every 1w --quantile 0.9 --out out/plan',
    '<%= config.bin %> plan --phases 5000 --gpu A100-80GB=64 --gpu V100-32GB --ttft-p95 3 --json',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --min-replicas 3 --survive one-replica-loss --out out/ha-plan',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --risk nominal --out out/nominal-plan',
  ]

  static override flags = {
    spec: Flags.string({description: 'Plan request YAML (phases, workload, SLOs, GPUs, baselines, manifests); flags override it.'}),
    phases: Flags.string({description: 'Phase targets in tasks/day, comma-separated (500,5000,50000), or by date (2026-12-01=500,2027-01-01=5000).', exclusive: ['history', 'trace', 'prometheus']}),
    history: Flags.string({description: 'Series CSV (timestamp,tasks): forecast it and plan one phase per --phase-every at the quantile.', exclusive: ['trace', 'prometheus']}),
    trace: Flags.string({description: 'Task trace (CSV/JSONL) as history: aggregated to an arrival rate in --step buckets, then forecast.', exclusive: ['history', 'prometheus']}),
    prometheus: Flags.string({description: 'Prometheus base URL as history (with --query, --since, --step).', exclusive: ['history', 'trace'], dependsOn: ['query']}),
    query: Flags.string({description: 'PromQL expression returning one series of tasks (a rate() per second, or counts per step with --unit per-step).'}),
    since: Flags.string({description: 'How far back to read from Prometheus (e.g. 28d).', default: '28d'}),
    until: Flags.string({description: 'End of the Prometheus range (ISO-8601; default now).'}),
    step: Flags.string({description: 'Step of the history (e.g. 1h): the bucket of a trace, the Prometheus step, or the grid of a CSV (inferred when absent).'}),
    unit: Flags.string({description: 'What a history value is: tasks in its step, or tasks per second (default: per-step for --history, per-second for --trace and --prometheus).', options: ['per-step', 'per-second']}),
    horizon: Flags.string({description: 'Forecast horizon with --history, e.g. 4w, 30d (default 4w).', default: '4w'}),
    'phase-every': Flags.string({description: 'Length of a phase with --history, e.g. 1w (default 1w).', default: '1w'}),
    gpu: Flags.string({description: 'GPU type to consider, optionally with a limit: A100-80GB=64 (repeatable; default every catalog GPU).', multiple: true}),
    model: Flags.string({description: 'Model served (default llama-3.1-70b).'}),
    engine: Flags.string({description: 'Serving engine of every candidate: vllm (default), tensorrt-llm, vllm-splitwise-2023.'}),
    precision: Flags.string({description: 'Weights[/KV cache] precision of every candidate: fp16 (default), fp8, int8, int4, fp4; e.g. fp8/fp8.'}),
    'ttft-p95': Flags.string({description: 'SLO: p95 time to first token, seconds.'}),
    'e2e-p95': Flags.string({description: 'SLO: p95 task end-to-end latency, seconds.'}),
    'error-rate': Flags.string({description: 'SLO: largest fraction of failed tasks, e.g. 0.001.'}),
    budget: Flags.string({description: 'Most a phase\'s fleet may cost per day, USD.'}),
    quantile: Flags.string({description: 'Forecast quantile to size for (default 0.9).'}),
    headroom: Flags.string({description: 'Extra load the fleet must carry, e.g. 0.1 for 10 % (default 0.1).'}),
    seeds: Flags.integer({description: 'Seeds each fleet must pass on (default 3).', min: 1, max: 20}),
    baseline: Flags.string({description: 'Judge a hand-made fleet: PHASE=SCENARIO.yaml (repeatable).', multiple: true}),
    image: Flags.string({description: 'Serving image in the Deployments.'}),
    namespace: Flags.string({description: 'Namespace of the manifests.'}),
    metric: Flags.string({description: 'Pods metric the HPA scales on (default vllm_num_requests_running).'}),
    keda: Flags.boolean({description: 'Write KEDA ScaledObjects instead of HPAs.'}),
    'min-replicas': Flags.integer({description: 'Availability: fewest replicas a fleet may have in total, HPA floor included (default 2).', min: 1}),
    survive: Flags.string({description: 'Availability: one-replica-loss = the SLOs must hold at the peak with the largest replica lost (N+1; default); none = no such check.', options: ['none', 'one-replica-loss']}),
    risk: Flags.string({description: 'pessimistic: size and verify every fleet with its serving profiles\' step times at the slow edge of their uncertainty band (default); nominal: as fitted. The other mode is planned too and PLAN.md shows the margin.', options: ['nominal', 'pessimistic']}),
    'strategy-roi': Flags.boolean({description: 'PLAN.md: compare a fixed fleet, the HPA, KEDA and a predictive schedule per one-pool phase over its forecast day (4 more day-long simulations each).'}),
    fast: Flags.boolean({description: 'Analytic only: no simulation (under a second).'}),
    workers: Flags.integer({description: 'Worker threads the simulations run on (the sweep\'s pool; default one per core; 0: in this process). The plan is the same whatever the number.', min: 0}),
    out: Flags.string({description: 'Write plan.yaml, manifests/ and PLAN.md (with its charts, charts/*.svg, and index.html) into this directory.'}),
    html: Flags.string({description: 'Also write the plan as a self-contained HTML report with charts to this file.'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const f = this.flags
    if (f.html !== undefined) checkHtmlOutput(f.html)
    if (f.out !== undefined) checkOutputDir(f.out)
    let spec: PlanSpec = {}
    let baseDir = process.cwd()
    if (f.spec !== undefined) ({spec, baseDir} = loadPlanSpecFile(f.spec))
    let forecastSummary: Record<string, unknown> | undefined
    if (f.history || f.trace || f.prometheus) {
      const quantile = num(f.quantile, 'quantile') ?? spec.quantile ?? 0.9
      // The command's clock ends a Prometheus range at "now"; the library never reads a clock.
      const input = seriesInputFromFlags({series: f.history, trace: f.trace, prometheus: f.prometheus, query: f.query, since: f.since, until: f.until, step: f.step}, Date.now() / 1000)
      const unit = (f.unit as 'per-step' | 'per-second' | undefined) ?? (f.history ? 'per-step' : 'per-second')
      const fp = await phasesFromHistory({input, unit, horizonS: duration(f.horizon, 'horizon'), phaseEveryS: duration(f['phase-every'], 'phase-every'), quantile})
      spec = {...spec, phases: fp.phases}
      // The forecast's daily curve replaces the shape's daily cycle (weekly and bursts stay).
      if (fp.daily) {
        const base = spec.workload ?? (SEED_WORKLOAD as unknown as NonNullable<PlanSpec['workload']>)
        spec = {...spec, workload: {...base, shape: {...base.shape, daily: fp.daily}}}
      }
      forecastSummary = fp.summary
      this.note(`forecast (${String(fp.summary.model)}): ${fp.phases.map((p) => `${p.date} ${p.tasksPerDay}/day`).join(', ')}`)
    }
    const merged = PlanSpecSchema.safeParse(withFlags(spec, f))
    if (!merged.success) {
      const issue = merged.error.issues[0]
      throw new InputError({field: issue.path.join('.') || undefined}, issue.message)
    }
    const request = resolveRequest(merged.data, baseDir)
    const result = await makePlan(request, {fast: f.fast, workers: f.workers ?? defaultPlanWorkers(), forecast: forecastSummary, onProgress: (line) => this.note(line)})
    const summary = summarize(result)
    if (!result.ok) {
      for (const p of result.phases.filter((x) => !x.search.chosen)) {
        const c = p.search.closest
        this.note(`${p.name}: nothing meets the SLOs within the limits; closest ${c ? `${c.candidate.id}: ${'reason' in c.verdict ? c.verdict.reason : ''}` : 'none'}`)
      }
      throw new FleetcapError(`no fleet meets the SLOs within the limits for ${result.phases.filter((x) => !x.search.chosen).map((x) => x.name).join(', ')}${f.out ? '; nothing written' : ''}`, {
        exit: ExitCode.SLO_NOT_MET,
        hint: 'relax the SLOs, raise the GPU limits or the budget, or add GPU types',
        result: summary,
      })
    }
    if (f.out !== undefined) {
      const files = await writePlan(f.out, result, undefined, {strategyRoi: f['strategy-roi']})
      this.note(`wrote ${f.out}: ${files.length} files (plan.yaml, PLAN.md, manifests/)`)
    }
    if (f.html !== undefined) {
      await writeHtml(f.html, renderPage(planPage(result)))
      this.note(`wrote ${f.html}`)
    }
    for (const p of result.phases) {
      const c = p.search.chosen
      this.say(`${p.name}  ${p.tasksPerDay} tasks/day  ${c?.candidate.id}  $${((c?.candidate.costPerHourUsd ?? 0) * 24).toFixed(0)}/day at peak size  ${p.pools?.map((pp) => `${pp.pool.name} ${pp.autoscale.settings.minReplicas}-${pp.autoscale.settings.maxReplicas}`).join(', ')}`)
      if (process.stdout.isTTY && p.hpaDay) for (const line of planSparklines(p.hpaDay.trajectory)) this.say(`  ${line}`)
      for (const b of p.search.baselines) this.say(`  baseline ${b.candidate.label}: ${b.candidate.id}  $${(b.candidate.costPerHourUsd * 24).toFixed(0)}/day  SLO ${b.verdict.status === 'passed' || (b.verdict.status === 'estimated' && b.verdict.pass) ? 'met' : 'NOT met'}`)
    }
    const s = result.stats
    this.note(`decision ${s.decisionS.toFixed(2)} s; ${s.candidatesPruned} candidates pruned, ${s.candidatesSimulated} simulated (${s.simulations} simulations, ${s.simulationsPerS.toFixed(1)}/s)`)
    return summary
  }
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new InputError({field: `--${flag}`}, `not a number: "${v}"`)
  return n
}

function duration(v: string, flag: string): number {
  const s = tryParseDuration(v)
  if (s === undefined || s <= 0) throw new InputError({field: `--${flag}`}, `not a duration: "${v}" (write e.g. 4w, 30d, 12h)`)
  return s
}

function withFlags(spec: PlanSpec, f: Plan['flags']): unknown {
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
      return {gpu: name.trim(), ...(limit === undefined ? {} : {maxGpus: num(limit, 'gpu')})}
    })
  }
  if (f.model !== undefined) out.model = f.model
  if (f.engine !== undefined) out.engine = parseEngine(f.engine, '--engine')
  if (f.precision !== undefined) {
    const p = parsePrecision(f.precision, '--precision')
    out.precision = f.precision.includes('/') ? p : {weights: p.weights}
  }
  const slo: Record<string, unknown> = {...(spec.slo ?? (f['ttft-p95'] || f['e2e-p95'] || f['error-rate'] ? {} : undefined))}
  if (f['ttft-p95'] !== undefined) slo.ttftP95S = num(f['ttft-p95'], 'ttft-p95')
  if (f['e2e-p95'] !== undefined) slo.e2eP95S = num(f['e2e-p95'], 'e2e-p95')
  if (f['error-rate'] !== undefined) slo.errorRateMax = num(f['error-rate'], 'error-rate')
  if (Object.keys(slo).length > 0) out.slo = slo
  if (f.budget !== undefined) out.budgetPerDayUsd = num(f.budget, 'budget')
  if (f.quantile !== undefined) out.quantile = num(f.quantile, 'quantile')
  if (f.headroom !== undefined) out.headroom = num(f.headroom, 'headroom')
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
function summarize(result: PlanResult): Record<string, unknown> {
  const risk: Array<PhaseRiskStatus & {phase: string}> = result.phases.map((p) => ({phase: p.name, ...riskStatus(p)}))
  return {plan: planDocument(result), risk, stats: result.stats}
}
