/**
 * From a scenario's `autoscaler:`, `capacity:` and `failures:` to the controllers and node pools the
 * simulator drives. Manifests inline in the scenario are re-read from the scenario text so that an
 * error names the scenario file, the line and the field path (`fleet.pools[0].autoscaler.hpa.spec…`);
 * manifests in their own file name that file.
 */
import {readFile} from 'node:fs/promises'
import {resolve as resolvePath} from 'node:path'

import {isNode, LineCounter, parseDocument} from 'yaml'

import {type FailuresSpec, parseFailures} from '../autoscale/failures.js'
import {createHpaController, type HpaController, type HpaControllerOptions} from '../autoscale/hpa.js'
import {loadHpaFile, parseHpaObject} from '../autoscale/hpa-schema.js'
import {createKedaController, type KedaController, loadScaledObjectFile, parseScaledObject} from '../autoscale/keda.js'
import type {MetricAliases} from '../autoscale/metric-names.js'
import type {MetricsPipelineOptions} from '../autoscale/metrics-lag.js'
import type {GpuNodePoolOptions} from '../autoscale/provisioning.js'
import {type MinReplicaSchedule, parseMinReplicaSchedule, ScheduledHpa} from '../autoscale/schedule.js'
import {loadThresholdAutoscalerFile, parseThresholdAutoscaler, ThresholdAutoscaler} from '../autoscale/thresholds.js'
import {readYamlFile, type YamlSource, YamlText} from '../autoscale/yaml-input.js'
import {InputError} from '../errors.js'
import type {Scenario} from '../scenario/schema.js'
import {hasClusterParts} from './cluster-parts.js'
import type {PoolConfig} from './types.js'

/** The controller of one pool. */
export type PoolController =
  | {kind: 'hpa'; hpa: HpaController}
  | {kind: 'scheduled-hpa'; hpa: ScheduledHpa}
  | {kind: 'keda'; keda: KedaController}
  | {kind: 'thresholds'; thresholds: ThresholdAutoscaler; schedule?: MinReplicaSchedule}
  | {kind: 'none'}

export interface PoolAutoscalingConfig {
  pool: number
  name: string
  controller: PoolController
  metrics: MetricsPipelineOptions
  /** Node pool (without gpusPerReplica/price: the runtime fills them from the pool). */
  nodes: Omit<GpuNodePoolOptions, 'initialNodes' | 'gpusPerReplica' | 'pricePerGpuHourUsd' | 'initialNodesHaveImage'>
  /** Seconds a drained replica may keep running before it is killed (terminationGracePeriodSeconds); undefined: no limit. */
  terminationGraceS?: number
  /** What happens to calls on a replica that is killed or lost: the scenario's failures.policy, else retry twice. */
  lostWork: {retry: boolean; maxRetries: number}
}

export interface AutoscalingConfig {
  pools: PoolAutoscalingConfig[]
  failures?: FailuresSpec
}

export interface ResolveOptions {
  /** Directory `file:` references resolve against (the scenario file's). */
  baseDir: string
  /** The scenario file, re-read for the line numbers of inline manifests. */
  scenarioFile?: string
}

/** Locates inline manifests in the scenario text. */
class ScenarioText {
  private constructor(
    private readonly text: string | undefined,
    private readonly file: string | undefined,
  ) {}

  static async open(file: string | undefined): Promise<ScenarioText> {
    if (file === undefined) return new ScenarioText(undefined, undefined)
    try {
      return new ScenarioText(await readFile(file, 'utf8'), file)
    } catch {
      return new ScenarioText(undefined, file)
    }
  }

  /** A YamlText of the node at `path`, whose lines and field paths are the scenario's. */
  sub(path: (string | number)[], fieldPrefix: string): {value?: unknown; text?: YamlText; source: YamlSource} {
    const source: YamlSource = {file: this.file, fieldPrefix}
    if (this.text === undefined) return {source}
    const lines = new LineCounter()
    const doc = parseDocument(this.text, {lineCounter: lines})
    const node = doc.getIn(path, true)
    if (!isNode(node) || !node.range) return {source}
    const {line, col} = lines.linePos(node.range[0])
    // Re-indent the slice to its column so a block mapping parses on its own.
    const slice = ' '.repeat(col - 1) + this.text.slice(node.range[0], node.range[1])
    const sourceAt: YamlSource = {file: this.file, fieldPrefix, lineOffset: line - 1}
    const text = new YamlText(slice, sourceAt)
    return {value: text.value, text, source: sourceAt}
  }
}

function isFileRef(v: unknown): v is {file: string} {
  return v !== null && typeof v === 'object' && Object.keys(v).length === 1 && typeof (v as {file?: unknown}).file === 'string'
}

/** Resolve every pool's autoscaler and capacity, and the failures, of a scenario. Undefined when it has none. */
export async function resolveAutoscaling(scenario: Scenario, pools: readonly PoolConfig[], options: ResolveOptions): Promise<AutoscalingConfig | undefined> {
  const specs = scenario.fleet.pools
  if (!hasClusterParts(scenario)) return undefined
  const text = await ScenarioText.open(options.scenarioFile)
  const poolNames = specs.map((p) => p.name)
  const failures = scenario.failures === undefined ? undefined : parseFailures(scenario.failures, {knownPools: poolNames, file: options.scenarioFile, fieldPrefix: 'failures'})
  const touched = new Set(failures?.events.map((e) => e.pool) ?? [])
  const out: PoolAutoscalingConfig[] = []
  for (const [i, spec] of specs.entries()) {
    if (spec.autoscaler === undefined && spec.capacity === undefined && !touched.has(spec.name)) continue
    const pool = pools[i]
    const cap = spec.capacity ?? {}
    const gpusPerReplica = Math.max(1, Math.ceil(pool.gpusPerReplica))
    const gpusPerNode = cap.gpusPerNode ?? gpusPerReplica
    if (gpusPerNode < gpusPerReplica) {
      throw new InputError({file: options.scenarioFile, field: `fleet.pools.${i}.capacity.gpusPerNode`}, `a replica of ${spec.name} needs ${gpusPerReplica} GPUs; a node has ${gpusPerNode}`)
    }
    const initialGpus = Math.ceil(pool.replicas / Math.floor(gpusPerNode / gpusPerReplica)) * gpusPerNode
    if (cap.gpuQuota !== undefined && initialGpus > cap.gpuQuota) {
      throw new InputError({file: options.scenarioFile, field: `fleet.pools.${i}.capacity.gpuQuota`}, `${pool.replicas} replicas at t = 0 already need ${initialGpus} GPUs`)
    }
    const a = spec.autoscaler
    const prefix = `fleet.pools[${i}].autoscaler`
    const controller = a === undefined ? ({kind: 'none'} as const) : await buildController(a, [...['fleet', 'pools', i, 'autoscaler']], prefix, text, options.baseDir)
    out.push({
      pool: i,
      name: spec.name,
      controller,
      metrics: {scrapeIntervalS: a?.metrics?.scrapeIntervalS, reportDelayS: a?.metrics?.reportDelayS, averagingWindowS: a?.metrics?.averagingWindowS} as MetricsPipelineOptions,
      nodes: {
        gpusPerNode,
        quotaGpus: cap.gpuQuota,
        nodeProvisionS: cap.nodeProvisioningS ?? 0,
        imagePullS: cap.imagePullS ?? 0,
        modelLoadS: cap.modelLoadS ?? pool.coldStartS ?? 0,
        scaleDownUnneededS: cap.scaleDownUnneededS,
        minNodes: cap.minNodes,
      },
      terminationGraceS: cap.terminationGracePeriodS,
      lostWork: {retry: (failures?.policy.onLostWork ?? 'retry') === 'retry', maxRetries: failures?.policy.maxRetries ?? 2},
    })
    // KEDA reads its scaler at each poll and serves the HPA fresh values: unless told otherwise,
    // sample at every poll and every sync (the gcd of the two periods), so neither reads stale data.
    if (controller.kind === 'keda' && a?.metrics?.scrapeIntervalS === undefined) {
      out.at(-1)!.metrics.scrapeIntervalS = gcd(controller.keda.spec.pollingIntervalS, controller.keda.hpa.syncPeriodS)
    }
    // Options left undefined take the pipeline's defaults.
    const m = out.at(-1)!.metrics as Record<string, number | undefined>
    for (const k of Object.keys(m)) if (m[k] === undefined) delete m[k]
    const n = out.at(-1)!.nodes as Record<string, number | undefined>
    for (const k of Object.keys(n)) if (n[k] === undefined) delete n[k]
  }
  return {pools: out, failures}
}

type Autoscaler = NonNullable<Scenario['fleet']['pools'][number]['autoscaler']>

async function buildController(a: Autoscaler, path: (string | number)[], prefix: string, text: ScenarioText, baseDir: string): Promise<PoolController> {
  const aliases: MetricAliases = a.metricAliases ?? {}
  const hpaOptions: HpaControllerOptions = {}
  if (a.syncPeriodS !== undefined) hpaOptions.syncPeriodS = a.syncPeriodS
  if (a.tolerance !== undefined) hpaOptions.tolerance = a.tolerance
  const startEpochS = a.startTime === undefined ? 0 : Date.parse(a.startTime) / 1000
  // A manifest: a file reference, or inline (re-read from the scenario text for line numbers).
  const read = async <T>(key: 'hpa' | 'keda' | 'thresholds' | 'schedule', fromFile: (file: string) => Promise<T>, inline: (value: unknown, where: {text?: YamlText} & YamlSource) => T): Promise<T> => {
    const v = a[key]
    if (isFileRef(v)) return fromFile(resolvePath(baseDir, v.file))
    const sub = text.sub([...path, key], `${prefix}.${key}`)
    return inline(sub.text === undefined ? v : sub.value, {...sub.source, text: sub.text})
  }
  let schedule: MinReplicaSchedule | undefined
  if (a.schedule !== undefined) {
    schedule = await read(
      'schedule',
      async (file) => {
        const yaml = new YamlText(await readYamlFile(file), {file})
        return parseMinReplicaSchedule(yaml.value, startEpochS, {file, text: yaml})
      },
      (value, where) => parseMinReplicaSchedule(value, startEpochS, where),
    )
  }
  if (a.hpa !== undefined) {
    const spec = await read(
      'hpa',
      (file) => loadHpaFile(file, {metricAliases: aliases, featureGates: a.featureGates}),
      (value, where) => parseHpaObject(value, {...where, metricAliases: aliases, featureGates: a.featureGates}),
    )
    if (schedule !== undefined) return {kind: 'scheduled-hpa', hpa: new ScheduledHpa(spec, schedule, hpaOptions)}
    return {kind: 'hpa', hpa: createHpaController(spec, hpaOptions)}
  }
  if (a.keda !== undefined) {
    const spec = await read(
      'keda',
      (file) => loadScaledObjectFile(file, {metricAliases: aliases}),
      (value, where) => parseScaledObject(value, {...where, metricAliases: aliases}),
    )
    return {kind: 'keda', keda: createKedaController(spec, hpaOptions)}
  }
  const spec = await read(
    'thresholds',
    (file) => loadThresholdAutoscalerFile(file),
    (value, where) => parseThresholdAutoscaler(value, where),
  )
  return {kind: 'thresholds', thresholds: new ThresholdAutoscaler(spec), schedule}
}

/** Greatest common divisor of two periods in seconds (to the millisecond). */
function gcd(a: number, b: number): number {
  let x = Math.round(a * 1000)
  let y = Math.round(b * 1000)
  while (y > 0) [x, y] = [y, x % y]
  return Math.max(1, x) / 1000
}
