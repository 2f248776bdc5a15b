import {formatLocation, InputError} from '../errors.js'
import {
  type MetricAliases,
  RESOURCE_NAMES,
  resolveCustomMetric,
  supportedCustomNames,
} from './metric-names.js'
import {parseQuantity, toMilli} from './quantity.js'
import {locationFor, parseWith, readYamlFile, type YamlSource, YamlText} from './yaml-input.js'
import {
  goLabelSelector,
  type HpaBehaviorObject,
  hpaObjectSchema,
  type HpaObject,
  type MetricSpecObject,
  type ScalingRulesObject,
  seriesKey,
} from './hpa-object.js'
import type {HpaMetric, HpaSpec, HpaTarget, MetricSourceType, ScalingRules} from './hpa-spec.js'

export * from './hpa-object.js'
export * from './hpa-spec.js'

/**
 * The autoscaling/v2 HorizontalPodAutoscaler a user would `kubectl apply`, read into the form the
 * controller model (hpa.ts) computes with. Shape and defaults follow kubernetes
 * staging/src/k8s.io/api/autoscaling/v2/types.go, pkg/apis/autoscaling/v2/defaults.go and the
 * checks of pkg/apis/autoscaling/validation/validation.go. Fields fleetcap cannot honour are
 * rejected with the list of what it can. The object's shape is hpa-object.ts, the result's hpa-spec.ts.
 */


export interface HpaParseOptions extends YamlSource {
  /** Extra metric names the scenario maps onto modelled quantities. */
  metricAliases?: MetricAliases
  /**
   * Feature gates of the modelled control plane, all off by default as in Kubernetes 1.34:
   * HPAScaleToZero allows minReplicas 0; HPAConfigurableTolerance keeps behavior.*.tolerance (with
   * the gate off the API server drops the field, and so does fleetcap, with a warning).
   */
  featureGates?: FeatureGates
  /**
   * The caller gives pods their requests (PodView.requestsMilli), so Resource metrics may have an
   * AverageValue target (usage per pod, e.g. `500m` cpu, `2Gi` memory). Default: refused, as the
   * simulator reports utilization, not usage.
   */
  podRequests?: boolean
  /** Where warnings go (one line each); default: stderr, prefixed `warning: `. */
  onWarning?: (message: string) => void
}

export interface FeatureGates {
  HPAScaleToZero?: boolean
  HPAConfigurableTolerance?: boolean
}

/** What toBehavior does with a `tolerance` field: keep it (gate on) or drop it and say so. */
export interface ToleranceGate {
  enabled: boolean
  /** Called once per dropped field with its path. */
  dropped: (path: PropertyKey[]) => void
}

const warnedOnce = new Set<string>()

/** Print a warning once per process (the same file is read again by plans that simulate many fleets). */
function warnOnce(message: string, sink: ((message: string) => void) | undefined): void {
  if (warnedOnce.has(message)) return
  warnedOnce.add(message)
  if (sink === undefined) process.stderr.write(`warning: ${message}\n`)
  else sink(message)
}

const TOLERANCE_DROPPED =
  'ignored: behavior tolerance needs the alpha feature gate HPAConfigurableTolerance (off by default in Kubernetes 1.34; the API server drops the field). Enable it with featureGates: {HPAConfigurableTolerance: true}'

/** The gate as the parse options set it; dropped fields are warned about with their file and field. */
export function toleranceGate(options: HpaParseOptions & {text?: YamlText}): ToleranceGate {
  return {
    enabled: options.featureGates?.HPAConfigurableTolerance ?? false,
    dropped: (path) => {
      const where = formatLocation(locationFor(path, {text: options.text, source: options}))
      warnOnce(`${where === '' ? '' : `${where}: `}${TOLERANCE_DROPPED}`, options.onWarning)
    },
  }
}

/** Scale-up rules when `behavior` is set but `scaleUp` (or part of it) is not: defaults.go. */
export const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    {type: 'Pods', value: 4, periodSeconds: 15},
    {type: 'Percent', value: 100, periodSeconds: 15},
  ],
  tolerance: undefined,
}

/** Scale-down rules when `behavior` is set but `scaleDown` (or part of it) is not: defaults.go. */
export const DEFAULT_SCALE_DOWN: ScalingRules = {
  stabilizationWindowSeconds: undefined,
  selectPolicy: 'Max',
  policies: [{type: 'Percent', value: 100, periodSeconds: 15}],
  tolerance: undefined,
}

const MEMBER: Record<MetricSourceType, 'resource' | 'containerResource' | 'pods' | 'object' | 'external'> = {
  Resource: 'resource',
  ContainerResource: 'containerResource',
  Pods: 'pods',
  Object: 'object',
  External: 'external',
}

/** Parse HPA YAML text (one document). */
export function parseHpaYaml(text: string, options: HpaParseOptions = {}): HpaSpec {
  const yaml = new YamlText(text, options, 'HorizontalPodAutoscaler')
  return toHpaSpec(parseWith(hpaObjectSchema, yaml.value, {text: yaml}), {...options, text: yaml})
}

/** Read and parse an HPA YAML file. */
export async function loadHpaFile(file: string, options: Omit<HpaParseOptions, 'file'> = {}): Promise<HpaSpec> {
  return parseHpaYaml(await readYamlFile(file), {...options, file})
}

/** Validate an HPA object already parsed from a larger document (a scenario's inline `hpa:`). */
export function parseHpaObject(value: unknown, options: HpaParseOptions & {text?: YamlText} = {}): HpaSpec {
  return toHpaSpec(parseWith(hpaObjectSchema, value, {text: options.text, source: options}), options)
}

/** Semantic checks and defaults: the object is well-shaped, now make it mean something. */
export function toHpaSpec(obj: HpaObject, options: HpaParseOptions & {text?: YamlText} = {}): HpaSpec {
  const fail = (path: PropertyKey[], problem: string): never => {
    throw new InputError(locationFor(path, {text: options.text, source: options}), problem)
  }
  const spec = obj.spec
  const minReplicas = spec.minReplicas ?? 1
  const rawMetrics = spec.metrics ?? [
    {type: 'Resource' as const, resource: {name: 'cpu', target: {type: 'Utilization' as const, averageUtilization: 80}}},
  ]
  const metrics = rawMetrics.map((m, i) => toMetric(m, ['spec', 'metrics', i], options.metricAliases ?? {}, fail, options.podRequests ?? false))

  if (minReplicas < 0) fail(['spec', 'minReplicas'], 'must be greater than or equal to 0')
  if (minReplicas === 0) {
    if (!(options.featureGates?.HPAScaleToZero ?? false)) {
      fail(['spec', 'minReplicas'], 'must be at least 1 (minReplicas 0 needs the alpha feature gate HPAScaleToZero)')
    }
    if (!metrics.some((m) => m.sourceType === 'Object' || m.sourceType === 'External')) {
      fail(['spec', 'minReplicas'], 'may be 0 only with at least one Object or External metric')
    }
  }
  if (spec.maxReplicas < 1) fail(['spec', 'maxReplicas'], 'must be at least 1')
  if (spec.maxReplicas < minReplicas) fail(['spec', 'maxReplicas'], `must be at least minReplicas (${minReplicas})`)
  if (metrics.length === 0) fail(['spec', 'metrics'], 'must specify at least one metric')

  const behavior = spec.behavior === undefined ? undefined : toBehavior(spec.behavior, ['spec', 'behavior'], fail, toleranceGate(options))
  return {
    name: obj.metadata.name,
    namespace: obj.metadata.namespace ?? 'default',
    scaleTargetRef: spec.scaleTargetRef,
    minReplicas,
    maxReplicas: spec.maxReplicas,
    metrics,
    behavior,
  }
}

export type Fail = (path: PropertyKey[], problem: string) => never

/** Behavior with the API defaults filled in where the user left parts out (defaults.go). */
export function toBehavior(
  b: HpaBehaviorObject,
  path: PropertyKey[],
  fail: Fail,
  gate: ToleranceGate = toleranceGate({}),
): NonNullable<HpaSpec['behavior']> {
  return {
    scaleUp: toRules(b.scaleUp, DEFAULT_SCALE_UP, [...path, 'scaleUp'], fail, gate),
    scaleDown: toRules(b.scaleDown, DEFAULT_SCALE_DOWN, [...path, 'scaleDown'], fail, gate),
  }
}

function toRules(
  rules: ScalingRulesObject | undefined,
  defaults: ScalingRules,
  path: PropertyKey[],
  fail: Fail,
  gate: ToleranceGate,
): ScalingRules {
  if (rules === undefined) return structuredClone(defaults)
  const window = rules.stabilizationWindowSeconds
  if (window !== undefined && (window < 0 || window > 3600)) {
    fail([...path, 'stabilizationWindowSeconds'], 'must be between 0 and 3600 seconds')
  }
  if (rules.policies !== undefined && rules.policies.length === 0) {
    fail([...path, 'policies'], 'must specify at least one policy')
  }
  rules.policies?.forEach((p, i) => {
    if (p.value <= 0) fail([...path, 'policies', i, 'value'], 'must be greater than zero')
    if (p.periodSeconds <= 0 || p.periodSeconds > 1800) {
      fail([...path, 'policies', i, 'periodSeconds'], 'must be between 1 and 1800 seconds')
    }
  })
  let tolerance: number | undefined
  if (rules.tolerance !== undefined && !gate.enabled) {
    gate.dropped([...path, 'tolerance'])
  } else if (rules.tolerance !== undefined) {
    tolerance = parseQuantity(rules.tolerance)
    if (tolerance === undefined || tolerance < 0) fail([...path, 'tolerance'], 'must be a non-negative quantity')
  }
  return {
    stabilizationWindowSeconds: window ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules.selectPolicy ?? defaults.selectPolicy,
    policies: rules.policies ?? structuredClone(defaults.policies),
    tolerance,
  }
}

function toMetric(
  m: MetricSpecObject,
  path: PropertyKey[],
  aliases: MetricAliases,
  fail: Fail,
  podRequests = false,
): HpaMetric {
  const member = MEMBER[m.type]
  for (const other of Object.values(MEMBER)) {
    if (other !== member && m[other] !== undefined) fail([...path, other], `must not be set when type is ${m.type}`)
  }
  const body = m[member]
  if (body === undefined) fail([...path, member], `is required when type is ${m.type}`)
  const targetPath = [...path, member, 'target']

  if (m.type === 'Resource' || m.type === 'ContainerResource') {
    const r = (m.type === 'Resource' ? m.resource : m.containerResource)!
    if (r.name === 'nvidia.com/gpu') {
      fail([...path, member, 'name'], 'metrics-server reports no nvidia.com/gpu usage; scale on GPU utilization with a Pods metric named DCGM_FI_DEV_GPU_UTIL')
    }
    const reads = Object.hasOwn(RESOURCE_NAMES, r.name) ? RESOURCE_NAMES[r.name] : undefined
    if (reads === undefined) fail([...path, member, 'name'], `resource "${r.name}" is not modelled; supported: ${Object.keys(RESOURCE_NAMES).join(', ')}`)
    const container = m.type === 'ContainerResource' ? m.containerResource!.container : undefined
    if (r.target.type === 'AverageValue' && podRequests) {
      const raw = r.target.averageValue
      if (raw === undefined) fail([...targetPath, 'averageValue'], 'is required for type AverageValue')
      const v = parseQuantity(raw!)
      if (v === undefined || v <= 0) fail([...targetPath, 'averageValue'], `"${String(raw)}" is not a positive Kubernetes quantity (e.g. 500m, 2Gi)`)
      // metricNameProposal of computeStatusForResourceMetricGeneric for an AverageValue target.
      return {sourceType: m.type, name: r.name, reads: reads!, target: {type: 'AverageValue', averageValueMilli: toMilli(v!)}, container, description: `${r.name} resource`}
    }
    if (r.target.type !== 'Utilization') {
      fail([...targetPath, 'type'], `fleetcap models ${r.name} as utilization of the request; use type Utilization with averageUtilization (AverageValue needs pod requests: podRequests)`)
    }
    const util = r.target.averageUtilization
    if (util === undefined) fail([...targetPath, 'averageUtilization'], 'is required for type Utilization')
    if (util! <= 0) fail([...targetPath, 'averageUtilization'], 'must be greater than zero')
    return {
      sourceType: m.type,
      name: r.name,
      reads: reads!,
      target: {type: 'Utilization', averageUtilization: util!},
      container,
      description:
        container === undefined
          ? `${r.name} resource utilization (percentage of request)`
          : `${r.name} container resource utilization (percentage of request)`,
    }
  }

  const id = m.type === 'Pods' ? m.pods!.metric : m.type === 'Object' ? m.object!.metric : m.external!.metric
  const reads = resolveCustomMetric(id.name, aliases)
  if (reads === undefined) {
    fail(
      [...path, member, 'metric', 'name'],
      `metric "${id.name}" is not one fleetcap models; supported: ${supportedCustomNames(aliases).join(', ')} (map your own name with metricAliases, e.g. {${id.name}: queue_depth})`,
    )
  }
  const t = (m.type === 'Pods' ? m.pods! : m.type === 'Object' ? m.object! : m.external!).target
  const allowed = m.type === 'Pods' ? ['AverageValue'] : ['Value', 'AverageValue']
  if (!allowed.includes(t.type)) fail([...targetPath, 'type'], `must be ${allowed.join(' or ')} for ${m.type} metrics`)
  const field = t.type === 'Value' ? 'value' : 'averageValue'
  const raw = t.type === 'Value' ? t.value : t.averageValue
  if (raw === undefined) fail([...targetPath, field], `is required for type ${t.type}`)
  const v = parseQuantity(raw!)
  if (v === undefined) fail([...targetPath, field], `"${String(raw)}" is not a Kubernetes quantity (e.g. 100, 500m, 1k)`)
  if (v! <= 0) fail([...targetPath, field], 'must be positive')
  const milli = toMilli(v!)
  const target: HpaTarget = t.type === 'Value' ? {type: 'Value', valueMilli: milli} : {type: 'AverageValue', averageValueMilli: milli}
  if (m.type === 'Object') {
    const o = m.object!.describedObject
    // The controller names an Object metric with an AverageValue target "external metric …"
    // (computeStatusForObjectMetric, v1.34), and that text is what events and conditions show.
    const description = target.type === 'AverageValue' ? `external metric ${id.name}(${goLabelSelector(id.selector)})` : `${o.kind} metric ${id.name}`
    return {sourceType: 'Object', name: id.name, reads: reads!, target, describedObject: o, selector: id.selector, seriesKey: seriesKey(reads!, id.selector), description}
  }
  if (m.type === 'External') {
    return {sourceType: 'External', name: id.name, reads: reads!, target, selector: id.selector, seriesKey: seriesKey(reads!, id.selector), description: `external metric ${id.name}(${goLabelSelector(id.selector)})`}
  }
  return {sourceType: 'Pods', name: id.name, reads: reads!, target, description: `pods metric ${id.name}`}
}
