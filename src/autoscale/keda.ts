import {z} from 'zod'

import {InputError} from '../errors.js'
import {createHpaController, type HpaController, type HpaControllerOptions, type HpaDecision, type HpaObservation} from './hpa.js'
import {type Fail, hpaBehaviorSchema, type HpaMetric, type HpaSpec, toBehavior} from './hpa-schema.js'
import {type MetricAliases, type ModelledMetric, resolveCustomMetric} from './metric-names.js'
import {parseQuantity, toMilli} from './quantity.js'
import {locationFor, parseWith, readYamlFile, type YamlSource, YamlText} from './yaml-input.js'

/**
 * KEDA's ScaledObject (keda.sh/v1alpha1) with queue-length triggers, as the same YAML a user
 * applies. KEDA owns 0 ↔ 1 (activation: any trigger above its activation threshold; deactivation to
 * minReplicaCount, or idleReplicaCount, once no trigger has been active for cooldownPeriod) and
 * creates an HPA for 1 ↔ N with one External metric per trigger, target AverageValue = the
 * trigger's queue length (kedacore/keda pkg/scaling/executor/scale_scaledobjects.go RequestScale,
 * scaleToZeroOrIdle, scaleFromZeroOrIdle; pkg/scaling/scale_handler.go; controllers/keda/hpa.go).
 * The 1 ↔ N part is the HPA controller of hpa.ts.
 */

const metadataValue = z.union([z.string(), z.number(), z.boolean()])

const trigger = z.strictObject({
  type: z.string().min(1),
  name: z.string().optional(),
  metadata: z.record(z.string(), metadataValue),
  metricType: z.enum(['AverageValue', 'Value', 'Utilization']).optional(),
  authenticationRef: z.looseObject({name: z.string()}).optional(),
  useCachedMetrics: z.boolean().optional(),
})

export const scaledObjectSchema = z.strictObject({
  apiVersion: z.literal('keda.sh/v1alpha1', {error: 'apiVersion must be "keda.sh/v1alpha1"'}),
  kind: z.literal('ScaledObject', {error: 'kind must be "ScaledObject"'}),
  metadata: z.looseObject({name: z.string().min(1), namespace: z.string().optional()}),
  spec: z.strictObject({
    scaleTargetRef: z.strictObject({
      name: z.string().min(1),
      kind: z.string().optional(),
      apiVersion: z.string().optional(),
      envSourceContainerName: z.string().optional(),
    }),
    pollingInterval: z.number().int().positive().optional(),
    cooldownPeriod: z.number().int().nonnegative().optional(),
    initialCooldownPeriod: z.number().int().nonnegative().optional(),
    idleReplicaCount: z.number().int().nonnegative().optional(),
    minReplicaCount: z.number().int().nonnegative().optional(),
    maxReplicaCount: z.number().int().positive().optional(),
    fallback: z.unknown().optional(),
    advanced: z
      .strictObject({
        restoreToOriginalReplicaCount: z.boolean().optional(),
        horizontalPodAutoscalerConfig: z
          .strictObject({name: z.string().optional(), behavior: hpaBehaviorSchema.optional()})
          .optional(),
        scalingModifiers: z.unknown().optional(),
      })
      .optional(),
    triggers: z.array(trigger).min(1, 'must have at least one trigger'),
  }),
  status: z.unknown().optional(),
})

export type ScaledObjectObject = z.output<typeof scaledObjectSchema>

/** A queue-length trigger, resolved. */
export interface QueueTrigger {
  type: string
  /** The simulator quantity the trigger reads (from the external metrics of the pool). */
  reads: ModelledMetric
  /** Target per replica (AverageValue) or in total (Value). */
  target: number
  metricType: 'AverageValue' | 'Value'
  /** The trigger is active while its value is strictly above this. */
  activation: number
  /** The External metric name KEDA gives the HPA (s<index>-<type>-<name>). */
  metricName: string
  /** The HPA reads the value of KEDA's last poll instead of querying the scaler at each sync. */
  useCachedMetrics: boolean
}

export interface ScaledObjectSpec {
  name: string
  namespace: string
  scaleTargetRef: {name: string; kind: string}
  pollingIntervalS: number
  cooldownPeriodS: number
  initialCooldownPeriodS: number
  minReplicaCount: number
  maxReplicaCount: number
  idleReplicaCount: number | undefined
  triggers: QueueTrigger[]
  /** The HPA KEDA creates for 1 ↔ N. */
  hpa: HpaSpec
}

/** Where each supported trigger type keeps its target and activation threshold, and their defaults. */
const TRIGGERS: Record<string, {target: string[]; activation: string[]; defaultTarget?: number; what: string}> = {
  redis: {target: ['listLength'], activation: ['activationListLength'], defaultTarget: 5, what: 'listName'},
  'redis-cluster': {target: ['listLength'], activation: ['activationListLength'], defaultTarget: 5, what: 'listName'},
  'aws-sqs-queue': {target: ['queueLength'], activation: ['activationQueueLength'], defaultTarget: 5, what: 'queueURL'},
  'azure-queue': {target: ['queueLength'], activation: ['activationQueueLength'], defaultTarget: 5, what: 'queueName'},
  'azure-servicebus': {target: ['messageCount'], activation: ['activationMessageCount'], defaultTarget: 5, what: 'queueName'},
  rabbitmq: {target: ['value', 'queueLength'], activation: ['activationValue'], what: 'queueName'},
  prometheus: {target: ['threshold'], activation: ['activationThreshold'], what: 'query'},
}

export interface ScaledObjectParseOptions extends YamlSource {
  metricAliases?: MetricAliases
}

export function parseScaledObjectYaml(text: string, options: ScaledObjectParseOptions = {}): ScaledObjectSpec {
  const yaml = new YamlText(text, options, 'ScaledObject')
  return toScaledObjectSpec(parseWith(scaledObjectSchema, yaml.value, {text: yaml}), {...options, text: yaml})
}

export async function loadScaledObjectFile(file: string, options: Omit<ScaledObjectParseOptions, 'file'> = {}): Promise<ScaledObjectSpec> {
  return parseScaledObjectYaml(await readYamlFile(file), {...options, file})
}

export function parseScaledObject(value: unknown, options: ScaledObjectParseOptions & {text?: YamlText} = {}): ScaledObjectSpec {
  return toScaledObjectSpec(parseWith(scaledObjectSchema, value, {text: options.text, source: options}), options)
}

function toScaledObjectSpec(obj: ScaledObjectObject, options: ScaledObjectParseOptions & {text?: YamlText}): ScaledObjectSpec {
  const fail: Fail = (path, problem) => {
    throw new InputError(locationFor(path, {text: options.text, source: options}), problem)
  }
  const s = obj.spec
  if (s.fallback !== undefined) fail(['spec', 'fallback'], 'is not modelled: simulated triggers never fail; remove it')
  if (s.advanced?.scalingModifiers !== undefined) fail(['spec', 'advanced', 'scalingModifiers'], 'is not modelled; remove it')
  const minReplicaCount = s.minReplicaCount ?? 0
  const maxReplicaCount = s.maxReplicaCount ?? 100
  if (maxReplicaCount < minReplicaCount) fail(['spec', 'maxReplicaCount'], `must be at least minReplicaCount (${minReplicaCount})`)
  if (s.idleReplicaCount !== undefined) {
    if (s.idleReplicaCount !== 0) fail(['spec', 'idleReplicaCount'], 'KEDA supports only 0 here (an HPA limitation)')
    if (minReplicaCount <= s.idleReplicaCount) fail(['spec', 'idleReplicaCount'], 'must be less than minReplicaCount')
  }
  const triggers = s.triggers.map((t, i) => toTrigger(t, i, options.metricAliases ?? {}, fail))
  const behavior = s.advanced?.horizontalPodAutoscalerConfig?.behavior
  const metrics: HpaMetric[] = triggers.map((t) => ({
    sourceType: 'External',
    name: t.metricName,
    reads: t.reads,
    target: t.metricType === 'AverageValue' ? {type: 'AverageValue', averageValueMilli: toMilli(t.target)} : {type: 'Value', valueMilli: toMilli(t.target)},
    seriesKey: t.metricName,
    description: `external metric ${t.metricName}(${JSON.stringify({matchLabels: {'scaledobject.keda.sh/name': obj.metadata.name}})})`,
  }))
  const hpa: HpaSpec = {
    name: s.advanced?.horizontalPodAutoscalerConfig?.name ?? `keda-hpa-${obj.metadata.name}`,
    namespace: obj.metadata.namespace ?? 'default',
    scaleTargetRef: {kind: s.scaleTargetRef.kind ?? 'Deployment', name: s.scaleTargetRef.name, apiVersion: s.scaleTargetRef.apiVersion ?? 'apps/v1'},
    minReplicas: minReplicaCount > 0 ? minReplicaCount : 1,
    maxReplicas: maxReplicaCount,
    metrics,
    behavior: behavior === undefined ? undefined : toBehavior(behavior, ['spec', 'advanced', 'horizontalPodAutoscalerConfig', 'behavior'], fail),
  }
  return {
    name: obj.metadata.name,
    namespace: obj.metadata.namespace ?? 'default',
    scaleTargetRef: {name: s.scaleTargetRef.name, kind: s.scaleTargetRef.kind ?? 'Deployment'},
    pollingIntervalS: s.pollingInterval ?? 30,
    cooldownPeriodS: s.cooldownPeriod ?? 300,
    initialCooldownPeriodS: s.initialCooldownPeriod ?? 0,
    minReplicaCount,
    maxReplicaCount,
    idleReplicaCount: s.idleReplicaCount,
    triggers,
    hpa,
  }
}

function toTrigger(t: z.output<typeof trigger>, i: number, aliases: MetricAliases, fail: Fail): QueueTrigger {
  const path = ['spec', 'triggers', i]
  const kind = Object.hasOwn(TRIGGERS, t.type) ? TRIGGERS[t.type] : undefined
  if (kind === undefined) fail([...path, 'type'], `trigger "${t.type}" is not modelled; supported: ${Object.keys(TRIGGERS).join(', ')}`)
  for (const [key, v] of Object.entries(t.metadata)) {
    if (typeof v !== 'string') fail([...path, 'metadata', key], `KEDA metadata values are strings: quote it ("${String(v)}")`)
  }
  const md = t.metadata as Record<string, string>
  const number = (keys: string[], fallback: number | undefined, what: string): number => {
    const key = keys.find((k) => md[k] !== undefined)
    if (key === undefined) {
      if (fallback === undefined) fail([...path, 'metadata', keys[0]], `is required (the ${what})`)
      return fallback!
    }
    const v = parseQuantity(md[key])
    if (v === undefined || v < 0) fail([...path, 'metadata', key], `"${md[key]}" is not a non-negative number`)
    return v!
  }
  if (t.type === 'rabbitmq' && md.mode !== undefined && md.mode !== 'QueueLength') {
    fail([...path, 'metadata', 'mode'], 'only mode QueueLength is modelled (MessageRate is not)')
  }
  let reads: ModelledMetric = 'queue_depth'
  if (t.type === 'prometheus') {
    const query = md.query
    if (query === undefined) fail([...path, 'metadata', 'query'], 'is required')
    const found = new Set<ModelledMetric>()
    for (const name of query.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? []) {
      const m = resolveCustomMetric(name, aliases)
      if (m !== undefined) found.add(m)
    }
    if (found.size !== 1) fail([...path, 'metadata', 'query'], 'must read exactly one metric fleetcap models (e.g. sum(vllm:num_requests_waiting)); map your own with metricAliases')
    reads = [...found][0]
  }
  const target = number(kind!.target, kind!.defaultTarget, 'target value per replica')
  if (target <= 0) fail([...path, 'metadata', kind!.target[0]], 'must be positive')
  if (t.metricType === 'Utilization') fail([...path, 'metricType'], 'Utilization applies to cpu/memory triggers, which are not queue triggers; use AverageValue or Value')
  const what = md[kind!.what] ?? t.name ?? String(i)
  return {
    type: t.type,
    reads,
    target,
    metricType: t.metricType === 'Value' ? 'Value' : 'AverageValue',
    activation: number(kind!.activation, 0, 'activation threshold'),
    metricName: `s${i}-${t.type}-${sanitize(what)}`,
    useCachedMetrics: t.useCachedMetrics ?? false,
  }
}

/** KEDA's metric names keep letters, digits and dashes. */
function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
}

export interface KedaPoll {
  timeS: number
  active: boolean
  /** Trigger values read at this poll. */
  values: number[]
  action: 'activate' | 'deactivate' | 'toMin' | 'coolingDown' | 'none'
  desiredReplicas: number
  /** KEDA's condition reason: ScalerActive, ScalerNotActive, ScalerCooldown. */
  reason: string
}

export interface KedaStep {
  timeS: number
  desiredReplicas: number
  poll?: KedaPoll
  hpa?: HpaDecision
}

/**
 * KEDA's operator loop plus the HPA it created. Call `reconcile` at every `nextWakeS()`; it polls
 * the triggers when the polling interval is due and runs the HPA sync when that is due, in that
 * order, as two controllers sharing the target's scale.
 */
export class KedaController {
  readonly spec: ScaledObjectSpec
  readonly hpa: HpaController
  private lastActiveTimeS: number | undefined
  private createdAtS: number | undefined
  private nextPollS: number | undefined
  private nextHpaSyncS: number | undefined
  /** Trigger values of the last poll (served to the HPA for triggers with useCachedMetrics). */
  private polled: number[] | undefined

  constructor(spec: ScaledObjectSpec, hpaOptions: HpaControllerOptions = {}) {
    this.spec = spec
    this.hpa = createHpaController(spec.hpa, hpaOptions)
  }

  /** When the next poll or HPA sync is due (the simulator's next wake-up for this pool). */
  nextWakeS(): number {
    if (this.nextPollS === undefined || this.nextHpaSyncS === undefined) return 0
    return Math.min(this.nextPollS, this.nextHpaSyncS)
  }

  reconcile(nowS: number, obs: HpaObservation): KedaStep {
    if (this.createdAtS === undefined) {
      this.createdAtS = nowS
      this.nextPollS = nowS
      this.nextHpaSyncS = nowS
    }
    let current = obs.currentReplicas
    const step: KedaStep = {timeS: nowS, desiredReplicas: current}
    if (nowS >= this.nextPollS!) {
      step.poll = this.poll(nowS, current, obs.externalMetrics ?? {})
      current = step.poll.desiredReplicas
      this.nextPollS = nowS + this.spec.pollingIntervalS
    }
    if (nowS >= this.nextHpaSyncS!) {
      // KEDA's metrics server answers the HPA per trigger: fresh from the scaler, or the last poll's value.
      const external: Record<string, number | undefined> = {}
      this.spec.triggers.forEach((t, i) => {
        external[t.metricName] = t.useCachedMetrics && this.polled !== undefined ? this.polled[i] : obs.externalMetrics?.[t.reads]
      })
      step.hpa = this.hpa.reconcile(nowS, {...obs, currentReplicas: current, externalMetrics: external})
      current = step.hpa.desiredReplicas
      this.nextHpaSyncS = nowS + this.hpa.syncPeriodS
    }
    step.desiredReplicas = current
    return step
  }

  /** One KEDA poll (RequestScale). */
  private poll(nowS: number, current: number, external: Readonly<Record<string, number | undefined>>): KedaPoll {
    const s = this.spec
    const values = s.triggers.map((t) => external[t.reads] ?? 0)
    this.polled = values
    const active = s.triggers.some((t, i) => values[i] > t.activation)
    const result = (action: KedaPoll['action'], desiredReplicas: number, reason: string): KedaPoll => ({timeS: nowS, active, values, action, desiredReplicas, reason})
    const min = s.minReplicaCount
    const idle = s.idleReplicaCount
    if (active) {
      this.lastActiveTimeS = nowS
      if ((idle !== undefined && current < min) || current === 0) return result('activate', min > 0 ? min : 1, 'ScalerActive')
      return result('none', current, 'ScalerActive')
    }
    if ((idle !== undefined && current > idle) || (current > 0 && min === 0)) {
      const cooled =
        this.lastActiveTimeS === undefined
          ? this.createdAtS! + s.initialCooldownPeriodS < nowS
          : this.lastActiveTimeS + s.cooldownPeriodS < nowS
      if (cooled) return result('deactivate', idle ?? min, 'ScalerNotActive')
      return result('coolingDown', current, 'ScalerCooldown')
    }
    if (current < min && idle === undefined) return result('toMin', min, 'ScalerNotActive')
    return result('none', current, 'ScalerNotActive')
  }
}

export function createKedaController(spec: ScaledObjectSpec, hpaOptions: HpaControllerOptions = {}): KedaController {
  return new KedaController(spec, hpaOptions)
}
