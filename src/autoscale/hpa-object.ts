import {z} from 'zod'

/**
 * The autoscaling/v2 HorizontalPodAutoscaler object as the API defines it (types.go), as a zod
 * schema: what a user's YAML must look like before hpa-schema.ts gives it meaning. Also how the
 * controller prints a metric's label selector.
 */

const quantity = z.union([z.string(), z.number()])

const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.strictObject({key: z.string(), operator: z.string(), values: z.array(z.string()).optional()})).optional(),
})

const metricTarget = z.strictObject({
  type: z.enum(['Utilization', 'Value', 'AverageValue']),
  averageUtilization: z.number().int().optional(),
  averageValue: quantity.optional(),
  value: quantity.optional(),
})

const metricIdentifier = z.strictObject({name: z.string().min(1), selector: labelSelector.optional()})

const crossVersionObjectReference = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().min(1),
  name: z.string().min(1),
})

const metricSpec = z.strictObject({
  type: z.enum(['Resource', 'ContainerResource', 'Pods', 'Object', 'External']),
  resource: z.strictObject({name: z.string().min(1), target: metricTarget}).optional(),
  containerResource: z.strictObject({name: z.string().min(1), container: z.string().min(1), target: metricTarget}).optional(),
  pods: z.strictObject({metric: metricIdentifier, target: metricTarget}).optional(),
  object: z.strictObject({describedObject: crossVersionObjectReference, metric: metricIdentifier, target: metricTarget}).optional(),
  external: z.strictObject({metric: metricIdentifier, target: metricTarget}).optional(),
})

const scalingPolicy = z.strictObject({
  type: z.enum(['Pods', 'Percent']),
  value: z.number().int(),
  periodSeconds: z.number().int(),
})

const scalingRules = z.strictObject({
  stabilizationWindowSeconds: z.number().int().optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(scalingPolicy).optional(),
  /**
   * Per-direction tolerance (KEP-4951). Behind the feature gate HPAConfigurableTolerance, alpha and
   * off by default in 1.33 and 1.34: read only when HpaParseOptions.featureGates enables it.
   */
  tolerance: quantity.optional(),
})

/** `spec.behavior` of an HPA (also KEDA's advanced.horizontalPodAutoscalerConfig.behavior). */
export const hpaBehaviorSchema = z.strictObject({scaleUp: scalingRules.optional(), scaleDown: scalingRules.optional()})
export type HpaBehaviorObject = z.output<typeof hpaBehaviorSchema>

export const hpaObjectSchema = z.strictObject({
  apiVersion: z.literal('autoscaling/v2', {error: 'apiVersion must be "autoscaling/v2" (v1 and v2beta2 are not read)'}),
  kind: z.literal('HorizontalPodAutoscaler', {error: 'kind must be "HorizontalPodAutoscaler"'}),
  metadata: z.looseObject({name: z.string().min(1), namespace: z.string().optional()}),
  spec: z.strictObject({
    scaleTargetRef: crossVersionObjectReference,
    minReplicas: z.number().int().optional(),
    maxReplicas: z.number().int(),
    metrics: z.array(metricSpec).optional(),
    behavior: hpaBehaviorSchema.optional(),
  }),
  /** `kubectl get -o yaml` output carries a status; it is read and ignored. */
  status: z.unknown().optional(),
})

/** The HPA exactly as written (after schema validation), for round trips and manifests. */
export type HpaObject = z.output<typeof hpaObjectSchema>
export type MetricSpecObject = z.output<typeof metricSpec>
export type ScalingRulesObject = z.output<typeof scalingRules>

export type LabelSelectorObject = z.output<typeof labelSelector>

/**
 * A *metav1.LabelSelector as the controller prints it with %+v: `nil`, or the generated String()
 * (`&LabelSelector{MatchLabels:map[string]string{a: b,},MatchExpressions:[]LabelSelectorRequirement{…},}`,
 * labels sorted). It appears in "external metric NAME(SELECTOR)" and in metric errors.
 */
export function goLabelSelector(selector: LabelSelectorObject | undefined): string {
  if (selector === undefined) return 'nil'
  const labels = Object.keys(selector.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${selector.matchLabels![k]},`)
    .join('')
  const expressions = (selector.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('')
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`
}

/** `name{a=b,c in (x,y)}`: a stable key for a metric and its selector (labels sorted). */
export function seriesKey(name: string, selector: LabelSelectorObject | undefined): string {
  if (selector === undefined) return name
  const parts = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
  for (const e of selector.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values === undefined ? '' : ` (${[...e.values].sort().join(',')})`}`)
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`
}
