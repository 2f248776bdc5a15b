/**
 * makePlan: for each phase, the cheapest fleet that meets every SLO at the phase's peak (verified by
 * simulation on several seeds), its autoscaler, the seeds' own fleets judged beside it, the Pareto
 * front and the reasons every rejected candidate failed. Deterministic for the same request.
 */
import {performance} from 'node:perf_hooks'

import {type Catalog, getGpu, loadCatalog, poolPrecision, type ResolvedProfile, resolveServingProfile} from '../fleet/profiles/index.js'
import type {ReplicaCapacity} from './analytic.js'
import type {ForecastSummary} from './plan-result.js'
import {FleetcapError, InputError} from '../errors.js'
import {canonicalJson, sha256Hex} from '../plan/canonical.js'
import {parseScenario} from '../scenario/load.js'
import {type AutoscalePlan, tuneAutoscaler} from './autoscaler.js'
import {analyticChecks, buildOffers, type Candidate, type CandidatePool, capacityOf, makeCandidate, type Offer, poolName, type Unfit} from './candidates.js'
import {scaleStepTimes} from '../fleet/step-scale.js'
import {settleHpaDay} from './hpa-day.js'
import {createExecutor, type SimExecutor} from './executor.js'
import type {HpaDayResult} from './sim-job.js'
import {metricName} from './manifests.js'
import {type Evaluated, type PhaseSearch, searchPhase} from './search.js'
import type {ResolvedRequest} from './spec.js'
import type {SeedOutcome, SimContext} from './verify.js'
import {dailyMultiplier, generateTasks, type PhaseLoad, phaseLoad} from './workload.js'
import {noOffersNote, offersAtPrecision} from './precision.js'
import {atRisk, type BandRun, measureCommands, offersAtRisk, phaseBand, type PoolBasis, poolBasis, type RiskMode} from './risk.js'
import type {Precision} from './spec.js'
import {readInputFileSync} from '../util/read-input.js'

export interface PlanOptions {
  /** Analytic only: no simulation. */
  fast?: boolean
  catalog?: Catalog
  /** Forecast summary to record (when phases came from --history). */
  forecast?: ForecastSummary
  /** Progress lines for the command (stderr). */
  onProgress?: (line: string) => void
  /** Worker threads the simulations run on (the sweep's pool); 0 runs them in this thread. The plan is the same whatever the number. */
  workers?: number
}

export interface PoolPlan {
  pool: CandidatePool
  autoscale: AutoscalePlan
  utilization: number
}

export interface PhasePlan {
  name: string
  tasksPerDay: number
  date?: string
  load: PhaseLoad
  search: PhaseSearch
  /** The chosen fleet's pools with their autoscalers (absent when nothing met the SLO). */
  pools?: PoolPlan[]
  worst?: SeedOutcome
  /** The chosen fleet with its autoscalers, simulated over the whole forecast day (not with --fast). */
  hpaDay?: HpaDayResult
  /** What the choice rests on and what sizing to the risk mode cost. */
  risk: PhaseRisk
  /** The phase planned again at each precision of `compare.precision`. */
  precisions: PrecisionPlan[]
}

export interface PhaseRisk {
  mode: RiskMode
  /** The chosen fleet at band.fast, nominal and band.slow: simulated on the first seed, or analytic with --fast. */
  band: BandRun[]
  bandMethod: 'simulated' | 'analytic'
  pools: PoolBasis[]
  /** Peak-size cost per day of this plan's choice and of the choice under the other risk mode (planned too). */
  costPerDayUsd: number | null
  other: {mode: RiskMode; fleet: string | null; costPerDayUsd: number | null}
  /** Pools resting on transferred or roofline profiles: the commands that measure one replica before buying. */
  measure: Array<{pool: string; status: string; commands: string[]}>
}

export interface PrecisionPlan {
  precision: Precision
  gpus: string[]
  fleet: string | null
  costPerDayUsd: number | null
  note?: string
  /** Offered GPUs that cannot serve this precision (hardware or engine), with why: never planned on. */
  excluded?: Array<{gpu: string; reason: string}>
}

export interface PlanResult {
  request: ResolvedRequest
  /** sha256 of the inputs: request, baselines' files, the catalog. */
  digest: string
  fast: boolean
  seeds: number[]
  unfit: Unfit[]
  phases: PhasePlan[]
  /** Every phase has a fleet that meets the SLOs. */
  ok: boolean
  forecast?: ForecastSummary
  stats: {decisionS: number; candidatesPruned: number; candidatesSimulated: number; simulations: number; simulationsPerS: number; simulatedHours: number}
}

const DAY_S = 86_400

export async function makePlan(request: ResolvedRequest, options: PlanOptions = {}): Promise<PlanResult> {
  const executor = createExecutor(options.fast ? 0 : (options.workers ?? 0))
  try {
    return await planWith(request, options, executor)
  } finally {
    await executor.close()
  }
}

async function planWith(request: ResolvedRequest, options: PlanOptions, executor: SimExecutor): Promise<PlanResult> {
  const t0 = performance.now()
  const catalog = options.catalog ?? loadCatalog()
  const fast = options.fast ?? false
  const seeds = Array.from({length: request.seeds}, (_, i) => i + 1)
  const {offers: nominalOffers, unfit} = buildOffers(request.model, request.gpus, request.tensorParallel, catalog, {engine: request.engine, precision: request.precision})
  // Every fleet is sized and verified at the risk mode's step times; the other mode is planned beside it.
  const offers = offersAtRisk(nominalOffers, request.risk)
  const otherRisk: RiskMode = request.risk === 'pessimistic' ? 'nominal' : 'pessimistic'
  const compareOffers = restrictTo(offers, request.compareGpus, catalog)
  if (offers.length === 0) {
    throw new InputError({field: 'gpus'}, `${request.model} fits none of the offered GPUs at TP ${request.tensorParallel.join('/')}: ${unfit.map((u) => `${u.gpu} tp${u.tensorParallel}${u.reason.startsWith('not supported') ? ' (precision not supported)' : ''}`).join(', ')}`)
  }
  const baselineFiles = request.baselines.map((b) => ({...b, text: readBaseline(b.scenario)}))
  const counter = {simulations: 0, simulatedS: 0}
  const phases: PhasePlan[] = []
  let pruned = 0
  let simulatedCandidates = 0
  let simTimeMs = 0
  for (const target of request.phases) {
    const load = phaseLoad(request.workload, target.tasksPerDay, request.headroom, request.peakWindowS, fast ? seeds.slice(0, 1) : seeds)
    await generateTasks(load, request.prefixCache && request.routing.policy === 'prefix-affinity')
    const ctx: SimContext = {request, load, catalog, counter, executor}
    const caps = new Map<ResolvedProfile, ReplicaCapacity>()
    const baselines = baselineFiles
      .filter((b) => b.phase === target.name)
      .map((b) => baselineCandidate(b, request, catalog, caps, load))
    options.onProgress?.(`${target.name}: ${target.tasksPerDay} tasks/day, peak ${load.stats.callRatePerS.toFixed(2)} calls/s (sized with ${Math.round(request.headroom * 100)} % headroom)`)
    const ts = performance.now()
    const searchOptions = {seeds: fast ? seeds.slice(0, 1) : seeds, fast, budgetPerDayUsd: request.budgetPerDayUsd, availability: request.availability}
    const search = await searchPhase(offers, baselines, ctx, searchOptions)
    simTimeMs += performance.now() - ts
    pruned += search.pruned
    simulatedCandidates += [...search.evaluated, ...search.baselines].filter((e) => e.verdict.status === 'passed' || e.verdict.status === 'failed').length
    const phase: PhasePlan = {
      name: target.name,
      tasksPerDay: target.tasksPerDay,
      ...(target.date ? {date: target.date} : {}),
      load,
      search,
      risk: {mode: request.risk, band: [], bandMethod: fast ? 'analytic' : 'simulated', pools: [], costPerDayUsd: null, other: {mode: otherRisk, fleet: null, costPerDayUsd: null}, measure: []},
      precisions: [],
    }
    if (search.chosen) {
      phase.worst = worstOutcome(search.chosen)
      phase.pools = search.chosen.candidate.pools.map((pool) => planPool(pool, search.chosen as Evaluated, phase, offers, request, caps, !fast))
      applyReplicaFloor(phase.pools, request.availability.minReplicas)
      if (!fast) {
        const th = performance.now()
        const {day, simulations} = await settleHpaDay(phase.pools, target.tasksPerDay, request, executor, seeds[0])
        phase.hpaDay = day
        simTimeMs += performance.now() - th
        counter.simulations += simulations
        counter.simulatedS += simulations * DAY_S
      }
    }
    const tr = performance.now()
    const other = await searchPhase(offersAtRisk(nominalOffers, otherRisk), [], ctx, searchOptions)
    phase.risk = await phaseRisk(phase, other.chosen, ctx, seeds[0], fast, request)
    for (const precision of request.comparePrecisions) {
      const po = offersAtPrecision(compareOffers, precision, request, catalog)
      const gpus = [...new Set(po.offers.map((o) => o.gpu))]
      if (po.offers.length === 0) {
        phase.precisions.push({precision, gpus, fleet: null, costPerDayUsd: null, note: noOffersNote(po)})
        continue
      }
      // The request's own precision on the same GPUs is the choice above: not planned twice.
      const same = precision === weightsOf(request.precision) && po.excluded.length === 0 && compareOffers.length === offers.length
      const chosen = same ? search.chosen : (await searchPhase(offersAtRisk(po.offers, request.risk), [], ctx, searchOptions)).chosen
      phase.precisions.push({
        precision,
        gpus,
        fleet: chosen?.candidate.id ?? null,
        costPerDayUsd: chosen ? chosen.candidate.costPerHourUsd * 24 : null,
        ...(chosen ? {} : {note: 'nothing meets the SLOs within the limits'}),
        ...(po.excluded.length > 0 ? {excluded: po.excluded} : {}),
      })
    }
    simTimeMs += performance.now() - tr
    options.onProgress?.(
      search.chosen
        ? `${target.name}: ${search.chosen.candidate.id} at $${(search.chosen.candidate.costPerHourUsd * 24).toFixed(0)}/day (${search.pruned} pruned, ${search.simulated} simulations)`
        : `${target.name}: nothing meets the SLOs; closest ${search.closest?.candidate.id ?? 'none'}`,
    )
    phases.push(phase)
  }
  const decisionS = (performance.now() - t0) / 1000
  const digest = `sha256:${sha256Hex(
    canonicalJson({
      request: {...request, baselines: request.baselines.map((b) => ({phase: b.phase, label: b.label}))},
      baselines: baselineFiles.map((b) => sha256Hex(b.text)),
      catalog: {gpus: catalog.gpus, models: catalog.models, serving: catalog.serving},
      forecast: options.forecast ?? null,
      fast,
    }),
  )}`
  return {
    request,
    digest,
    fast,
    seeds: fast ? seeds.slice(0, 1) : seeds,
    unfit,
    phases,
    ok: phases.every((p) => p.search.chosen !== undefined),
    ...(options.forecast ? {forecast: options.forecast} : {}),
    stats: {
      decisionS,
      candidatesPruned: pruned,
      candidatesSimulated: simulatedCandidates,
      simulations: counter.simulations,
      simulationsPerS: simTimeMs > 0 ? counter.simulations / (simTimeMs / 1000) : 0,
      simulatedHours: counter.simulatedS / 3600,
    },
  }
}

/** The offers on the listed GPUs (names or aliases); every offer without a list. */
function restrictTo(offers: readonly Offer[], gpus: readonly string[] | undefined, catalog: Catalog): Offer[] {
  if (gpus === undefined) return [...offers]
  const names = gpus.map((g, i) => {
    try {
      return getGpu(g, catalog).name
    } catch (error) {
      if (error instanceof FleetcapError) throw new InputError({field: `compare.gpus[${i}]`}, error.message)
      throw error
    }
  })
  const out = offers.filter((o) => names.includes(o.gpu))
  if (out.length === 0) throw new InputError({field: 'compare.gpus'}, `none of ${names.join(', ')} is offered to this plan (gpus:) where ${offers[0]?.profile.model ?? 'the model'} fits`)
  return out
}

function readBaseline(file: string): string {
  return readInputFileSync(file)
}

/** A seed's hand-made fleet as a candidate: its LLM pools, serving the plan's model on their GPUs. */
function baselineCandidate(b: {scenario: string; label?: string; text: string}, request: ResolvedRequest, catalog: Catalog, caps: Map<ResolvedProfile, ReplicaCapacity>, load: PhaseLoad): Candidate {
  const scenario = parseScenario(b.text, b.scenario)
  const pools: CandidatePool[] = []
  for (const [i, p] of scenario.fleet.pools.entries()) {
    if (p.kind === 'generic') throw new InputError({file: b.scenario, field: `fleet.pools[${i}]`}, 'a baseline fleet must be LLM pools')
    let profile
    try {
      // Judged at the same risk as fleetcap's own candidates.
      profile = atRisk(resolveServingProfile({model: request.model, gpu: p.gpu, tensorParallel: p.tensorParallel, engine: p.engine ?? request.engine, precision: poolPrecision(p.precision) ?? request.precision, pricePerGpuHourUsd: p.priceOverride, catalog}), request.risk)
    } catch (error) {
      if (error instanceof FleetcapError) throw new InputError({file: b.scenario, field: `fleet.pools[${i}]`}, error.message)
      throw error
    }
    pools.push({name: p.name, profile, replicas: p.replicas, ...(p.taskTypes ? {taskTypes: p.taskTypes} : {})})
  }
  return makeCandidate(pools, caps, load.stats, 'baseline', b.label ?? scenario.name)
}

/**
 * The availability floor holds at the fleet's smallest size too: raise the HPAs' minReplicas (the pool
 * with the most room below its verified size first) until they add up to the policy's minReplicas.
 */
export function applyReplicaFloor(pools: PoolPlan[], minReplicas: number): void {
  const total = () => pools.reduce((a, pp) => a + pp.autoscale.settings.minReplicas, 0)
  const before = pools.map((pp) => pp.autoscale.settings.minReplicas)
  while (total() < minReplicas && pools.length > 0) {
    const room = (pp: PoolPlan) => pp.pool.replicas - pp.autoscale.settings.minReplicas
    const pp = pools.reduce((best, x) => (room(x) > room(best) ? x : best), pools[0])
    const min = pp.autoscale.settings.minReplicas + 1
    pp.autoscale.settings = {...pp.autoscale.settings, minReplicas: min, maxReplicas: Math.max(min, pp.autoscale.settings.maxReplicas)}
  }
  for (const [i, pp] of pools.entries()) {
    if (pp.autoscale.settings.minReplicas > before[i]) {
      pp.autoscale.notes.push(`minReplicas raised from ${before[i]} to ${pp.autoscale.settings.minReplicas}: the availability policy asks for at least ${minReplicas} replicas in total at every size`)
    }
  }
}

/** The chosen fleet's band, what its pools rest on, and the choice under the other risk mode. */
async function phaseRisk(phase: PhasePlan, other: Evaluated | undefined, ctx: SimContext, seed: number, fast: boolean, request: ResolvedRequest): Promise<PhaseRisk> {
  const c = phase.search.chosen
  const otherCost = other ? other.candidate.costPerHourUsd * 24 : null
  const base: PhaseRisk = {mode: request.risk, band: [], bandMethod: fast ? 'analytic' : 'simulated', pools: [], costPerDayUsd: null, other: {mode: request.risk === 'pessimistic' ? 'nominal' : 'pessimistic', fleet: other?.candidate.id ?? null, costPerDayUsd: otherCost}, measure: []}
  if (!c) return base
  const band = fast ? analyticBand(c.candidate, ctx) : await phaseBand(c.candidate, ctx, seed)
  const w = ctx.load.stats
  const outcomes = c.verdict.status === 'passed' || c.verdict.status === 'failed' ? c.verdict.outcomes : []
  const measure = c.candidate.pools
    .filter((p) => p.profile.status !== 'measured')
    .map((p) => {
      const share = outcomes.length > 0 ? Math.max(...outcomes.map((o) => o.callShare[p.name] ?? 0)) : 1 / c.candidate.pools.length
      // Measured near what one replica is estimated to carry (at least its share of the peak): step
      // times at the batch sizes the plan relies on, not a near-idle replica's.
      const capacity = capacityOf(atRisk(p.profile, 'nominal'), new Map(), w).callsPerS
      return {pool: p.name, status: p.profile.status, commands: measureCommands(phase.name, p, Math.max((w.callRatePerS * share) / p.replicas, 0.8 * capacity), w, request)}
    })
  return {...base, band, pools: c.candidate.pools.map(poolBasis), costPerDayUsd: c.candidate.costPerHourUsd * 24, measure}
}

/** --fast: the band from the analytic estimate of the chosen fleet at each edge. */
function analyticBand(c: Candidate, ctx: SimContext): BandRun[] {
  const caps = new Map<ResolvedProfile, ReplicaCapacity>()
  return (['fast', 'nominal', 'slow'] as const).map((edge) => {
    const pools = c.pools.map((p) => {
      const nominal = atRisk(p.profile, 'nominal')
      return {...p, profile: edge === 'nominal' ? nominal : scaleStepTimes(nominal, nominal.band[edge])}
    })
    const e = makeCandidate(pools, caps, ctx.load.stats)
    const a = analyticChecks(e.estimate, ctx.request.slo)
    return {edge, ttftP95S: e.estimate.ttftP95S, taskP95S: e.estimate.taskE2eP95S, utilization: e.estimate.utilization, errorRate: e.estimate.utilization < 1 ? 0 : 1, sloMet: a.pass}
  })
}

function worstOutcome(e: Evaluated): SeedOutcome | undefined {
  if (e.verdict.status !== 'passed' && e.verdict.status !== 'failed') return undefined
  return [...e.verdict.outcomes].sort((a, b) => (b.ttftP95S ?? 0) - (a.ttftP95S ?? 0))[0]
}

function planPool(pool: CandidatePool, chosen: Evaluated, phase: PhasePlan, offers: readonly Offer[], request: ResolvedRequest, caps: Map<ResolvedProfile, ReplicaCapacity>, check: boolean): PoolPlan {
  const w = phase.load.stats
  const cap = capacityOf(pool.profile, caps, w)
  const outcomes = chosen.verdict.status === 'passed' || chosen.verdict.status === 'failed' ? chosen.verdict.outcomes : []
  // The pool's share of the calls, by its capacity in the fleet.
  const total = chosen.candidate.pools.reduce((s, p) => s + p.replicas * capacityOf(p.profile, caps, w).callsPerS, 0)
  const share = outcomes.length > 0 ? Math.max(...outcomes.map((o) => o.callShare[pool.name] ?? 0)) : (pool.replicas * cap.callsPerS) / total
  const inflight = outcomes.length > 0 ? Math.max(...outcomes.map((o) => o.inflightPerReplica[pool.name] ?? 0)) : Math.min(cap.batch, (w.callRatePerS * share * chosen.candidate.estimate.callE2eS) / pool.replicas)
  const callE2eS = outcomes.length > 0 ? Math.max(...outcomes.map((o) => o.callE2eMeanS ?? 0)) : chosen.candidate.estimate.callE2eS
  const utilization = outcomes.length > 0 ? Math.max(...outcomes.map((o) => o.utilization[pool.name] ?? 0)) : Math.min(1, chosen.candidate.estimate.utilization)
  const shape = dailyMultiplier(request.workload)
  const meanCallsPerS = (phase.tasksPerDay / DAY_S) * w.callsPerTask * share
  const offer = offers.find((o) => o.gpu === pool.profile.gpu)
  const maxAllowed = offer?.maxGpus === undefined ? undefined : Math.floor(offer.maxGpus / pool.profile.gpusPerReplica)
  const autoscale = tuneAutoscaler({
    pool: pool.name,
    replicas: pool.replicas,
    maxAllowed,
    pricePerHourUsd: pool.profile.pricePerHourUsd,
    coldStartS: pool.profile.coldStartS,
    callsPerSPerReplica: cap.callsPerS,
    batch: cap.batch,
    inflightAtPeak: inflight,
    callE2eS,
    rateAt: (t) => meanCallsPerS * shape(t),
    headroom: request.headroom,
    metric: metricName(request.manifests),
    maxWaitS: request.slo.ttftP95S ?? request.slo.queueWaitP95S ?? 5,
    periodic: phase.load.peakFactor / Math.max(1e-9, phase.load.troughFactor) >= 1.5,
  }, {check})
  return {pool, autoscale, utilization}
}

export function gpuProduct(gpu: string, catalog: Catalog = loadCatalog()): string {
  return getGpu(gpu, catalog).productLabel ?? gpu
}

export {poolName}

/** The weight precision of a request's "fp8" or "fp8/fp8" (fp16 when unset; bf16 is fp16's width). */
function weightsOf(precision: string | undefined): string {
  const w = (precision ?? 'fp16').split('/')[0]
  return w === 'bf16' ? 'fp16' : w
}
