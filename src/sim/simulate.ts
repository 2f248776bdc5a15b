import {resolve as resolvePath} from 'node:path'

import {RandomStreams} from '../engine/random.js'
import {FleetcapError, InputError} from '../errors.js'
// The catalog by file, not the profiles index: that also loads the calibration code.
import {type Catalog, loadCatalog, resolveServingProfile} from '../fleet/profiles/catalog.js'
import {poolPrecision} from '../fleet/profiles/precision.js'
import {UnsupportedPrecisionError} from '../fleet/profiles/support.js'
import type {ServingProfile} from '../fleet/types.js'
import {LIMITS} from '../limits.js'
import type {LlmPoolSpec, Scenario} from '../scenario/schema.js'
import type {WorkloadSpec} from '../workload/spec.js'
import type {TaskStream} from '../workload/types.js'
import {createWorkload} from '../workload/create.js'
import {boundOutput} from '../util/output-bound.js'
import {hasClusterParts} from './cluster-parts.js'
import type {ClusterRuntime} from './cluster-runtime.js'
import {FleetModel} from './fleet-model.js'
import {LatencyOverTime, type LatencySeries, withLatencySampler} from './latency-series.js'
import type {MetricName} from './metrics.js'
import {runFleetModel} from './run.js'
import type {FleetModelConfig, LlmReplicaModel, PoolConfig} from './types.js'

export interface SimulateOptions {
  /** Directory relative paths in the scenario resolve against (the scenario file's); default cwd. */
  baseDir?: string
  /** Seed instead of the scenario's. */
  seed?: number
  /** Replay this trace file instead of the scenario's workload (format detected). */
  traceFile?: string
  /** Use these tasks instead of the scenario's workload (library use, tests, benchmarks). */
  tasks?: TaskStream
  /** Resolve an LLM pool's serving profile (default: from the model catalog). */
  resolveProfile?: (pool: LlmPoolSpec) => ServingProfile
  /** The model catalog (default: models/ as shipped); pass one loaded once when simulating many times. */
  catalog?: Catalog
  /** Called as simulated time advances: fraction of the arrival window done (0…1), for a progress bar. */
  onProgress?: (fraction: number) => void
  /** The scenario file, re-read for the line numbers of inline autoscaler manifests in errors. */
  scenarioFile?: string
  /** Run without the pools' autoscalers, capacity and failures (the benchmark's baseline). */
  withoutAutoscaling?: boolean
  /** Also collect what the HTML report draws (latency quantiles over time, distributions): `charts` in the result. */
  chartData?: boolean
  /** Called as each call completes (FleetModelConfig.onCallComplete): per-request predictions. */
  onCallComplete?: FleetModelConfig['onCallComplete']
}

export interface TimeSeries {
  columns: string[]
  /** Row-major values, columns.length per row. */
  rows: number[]
}

/** Percentile levels (0–100) of the distributions in ChartData. */
export const DISTRIBUTION_LEVELS = [0, 1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9, 100] as const

/** What the HTML report draws beyond report.json and the time series (SimulateOptions.chartData). */
export interface ChartData {
  latencySeries: LatencySeries
  /** Metric → class ('all' or a priority with data) → values at DISTRIBUTION_LEVELS, seconds. */
  distributions: Record<string, Record<string, number[]>>
}


/** Scenario duration in seconds (durationS, duration, or the workload's own), or undefined. */
export function scenarioDurationS(s: Scenario): number | undefined {
  const w = s.workload as {durationS?: unknown}
  return s.durationS ?? s.duration ?? (typeof w.durationS === 'number' ? w.durationS : undefined)
}

/** The fleet as the model needs it: profiles resolved, prices and limits applied. */
export function buildPools(scenario: Scenario, resolve: (pool: LlmPoolSpec) => ServingProfile): {pools: PoolConfig[]; info: {gpu?: string; model?: string; profile?: string}[]} {
  const pools: PoolConfig[] = []
  const info: {gpu?: string; model?: string; profile?: string}[] = []
  for (const [i, p] of scenario.fleet.pools.entries()) {
    if (p.kind === 'generic') {
      pools.push({
        kind: 'generic',
        name: p.name,
        replicas: p.servers,
        slots: p.slots ?? 1,
        gpusPerReplica: p.gpusPerServer ?? 1,
        pricePerHourUsd: p.pricePerHourUsd ?? 0,
        weight: p.weight,
        taskTypes: p.taskTypes,
        gpu: p.gpu,
      })
      info.push({gpu: p.gpu})
      continue
    }
    let profile: ServingProfile
    try {
      profile = resolve(p)
    } catch (error) {
      if (!(error instanceof FleetcapError)) throw error
      // An engine or precision the GPU cannot run points at the pool's own precision/engine key where it has one.
      const key = error instanceof UnsupportedPrecisionError ? error.location.field : undefined
      const field = key === 'precision' && p.precision !== undefined ? `fleet.pools.${i}.precision` : key === 'engine' && p.engine !== undefined ? `fleet.pools.${i}.engine` : `fleet.pools.${i}`
      const problem = key === undefined ? error.message : error.message.replace(`${key}: `, '')
      throw new InputError({field}, `pool "${p.name}": ${problem}`, {hint: error.hint})
    }
    let serving: LlmReplicaModel = profile
    const sched = p.scheduler
    if (sched?.maxNumSeqs !== undefined && p.maxBatchSeqs !== undefined) {
      throw new InputError({field: `fleet.pools.${i}.scheduler.maxNumSeqs`}, `pool "${p.name}": give maxNumSeqs or maxBatchSeqs, not both`)
    }
    if (sched?.maxNumBatchedTokens !== undefined && p.maxBatchTokens !== undefined) {
      throw new InputError({field: `fleet.pools.${i}.scheduler.maxNumBatchedTokens`}, `pool "${p.name}": give maxNumBatchedTokens or maxBatchTokens, not both`)
    }
    const maxSeqs = sched?.maxNumSeqs ?? p.maxBatchSeqs
    const maxTokens = sched?.maxNumBatchedTokens ?? p.maxBatchTokens
    if (maxSeqs !== undefined || maxTokens !== undefined) {
      // Same cost model, other batch limits: a prototype-linked view keeps the methods' `this`.
      serving = Object.assign(Object.create(profile) as LlmReplicaModel, {
        maxBatchSeqs: maxSeqs ?? profile.maxBatchSeqs,
        maxBatchTokens: maxTokens ?? profile.maxBatchTokens,
      })
    }
    pools.push({
      kind: 'llm',
      name: p.name,
      replicas: p.replicas,
      serving,
      profileId: profile.id,
      prefixCache: p.prefixCache,
      scheduler: sched === undefined ? undefined : {kvAllocation: sched.kvAllocation, blockTokens: sched.blockTokens},
      gpusPerReplica: profile.gpusPerReplica,
      pricePerHourUsd: profile.pricePerHourUsd,
      coldStartS: profile.coldStartS,
      weight: p.weight,
      taskTypes: p.taskTypes,
      gpu: profile.gpu,
      model: profile.model,
    })
    info.push({gpu: profile.gpu, model: profile.model, profile: profile.id})
  }
  return {pools, info}
}

/** Latency targets whose attainment is counted: the p95 objective of each metric, else its p99 one. */
function sloThresholds(scenario: Scenario): Partial<Record<MetricName, number>> {
  const slo = scenario.slo ?? {}
  const out: Partial<Record<MetricName, number>> = {}
  const e2e = slo.e2eP95S ?? slo.e2eP99S
  if (e2e !== undefined) out.taskE2e = e2e
  const ttft = slo.ttftP95S ?? slo.ttftP99S
  if (ttft !== undefined) out.ttft = ttft
  if (slo.tpotP95S !== undefined) out.tpot = slo.tpotP95S
  if (slo.queueWaitP95S !== undefined) out.queueWait = slo.queueWaitP95S
  return out
}

/** Resolve pools against the model catalog. */
export function catalogResolver(catalog: Catalog): (p: LlmPoolSpec) => ServingProfile {
  return (p) => resolveServingProfile({model: p.model, gpu: p.gpu, tensorParallel: p.tensorParallel, engine: p.engine, precision: poolPrecision(p.precision), pricePerGpuHourUsd: p.priceOverride, catalog})
}

/** A scenario built and run, before anything is reported: what the report stage reads. */
export interface ScenarioRun {
  model: FleetModel
  /** The pools' autoscalers, capacity and failures, when the scenario has any. */
  cluster: ClusterRuntime | undefined
  /** Latency quantiles over time, when chart data was asked for. */
  sampler: LatencyOverTime | undefined
  seed: number
  durationS: number
  endS: number
  /** What the workload was, in words (the report's `workload`). */
  workload: string
  poolInfo: {gpu?: string; model?: string; profile?: string}[]
}

/**
 * Build the fleet of a scenario and stream its workload through it. Deterministic: the same
 * scenario, options and seed give the same run. The caller owns the model's histograms (and the
 * sampler's): dispose them once the run is reported (pipeline/simulate.ts does).
 */
export async function runScenario(scenario: Scenario, options: SimulateOptions = {}): Promise<ScenarioRun> {
  const seed = options.seed ?? scenario.seed ?? 1
  const rng = new RandomStreams(seed)
  const baseDir = options.baseDir ?? process.cwd()
  const {pools, info} = buildPools(scenario, options.resolveProfile ?? catalogResolver(options.catalog ?? loadCatalog()))
  const declared = scenarioDurationS(scenario)
  // A --trace path is the user's, relative to where they run the command, not to the scenario.
  const workloadSpec: WorkloadSpec = options.traceFile ? {kind: 'trace', path: resolvePath(options.traceFile)} : scenario.workload
  const durationS = declared ?? Number.POSITIVE_INFINITY
  const sampleIntervalS = scenario.report?.sampleIntervalS ?? (Number.isFinite(durationS) ? Math.max(1, Math.ceil(durationS / 500)) : 60)
  // A declared duration gives the time series' length before anything runs; without one (a trace
  // replay) the model stops at the same bound as it samples.
  boundOutput({
    where: {field: 'report.sampleIntervalS'},
    from: 'duration ÷ report.sampleIntervalS',
    count: Number.isFinite(durationS) ? durationS / sampleIntervalS : 0,
    unit: 'time-series rows',
    limit: LIMITS.seriesRows,
    output: 'a simulation\'s time series (timeseries.csv, the HTML report)',
    hint: 'give report.sampleIntervalS a longer interval, or shorten the duration',
  })
  const tasks = options.tasks ?? createWorkload(workloadSpec, {baseDir, rng, durationS: declared})
  // The autoscaling code (controllers, their manifest schemas) loads only for a scenario that has some.
  const autoscaling = options.withoutAutoscaling || !hasClusterParts(scenario) ? undefined : await (await import('./autoscale-config.js')).resolveAutoscaling(scenario, pools, {baseDir, scenarioFile: options.scenarioFile})
  const cluster = autoscaling === undefined ? undefined : new (await import('./cluster-runtime.js')).ClusterRuntime(autoscaling, pools, durationS, seed)
  const sampler = options.chartData ? new LatencyOverTime() : undefined
  const hooks = cluster?.modelHooks()
  const model = new FleetModel(
    {
      pools,
      routing: {policy: scenario.routing?.policy ?? 'least-outstanding', score: scenario.routing?.weights, ewmaAlpha: scenario.routing?.ewmaAlpha},
      queue: {maxDepth: scenario.queue?.maxDepth, deadlineS: scenario.queue?.deadlines},
      durationS,
      sampleIntervalS,
      ...hooks,
      extraSeries: withLatencySampler(hooks?.extraSeries, sampler),
      sloThresholdsS: sloThresholds(scenario),
      onCallComplete: options.onCallComplete,
    },
    rng.stream('routing'),
  )
  cluster?.attach(model)
  sampler?.attach(model)
  const onProgress = options.onProgress
  const endS = await runFleetModel(model, tasks, {
    onProgress: onProgress && Number.isFinite(durationS) ? (t) => onProgress(Math.min(1, t / durationS)) : undefined,
  })
  return {
    model,
    cluster,
    sampler,
    seed,
    durationS,
    endS,
    workload: options.tasks ? 'tasks (library)' : options.traceFile ? 'trace (--trace)' : String(workloadSpec.kind),
    poolInfo: info,
  }
}
