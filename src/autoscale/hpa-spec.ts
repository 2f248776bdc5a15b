import type {ModelledMetric} from './metric-names.js'
import type {LabelSelectorObject} from './hpa-object.js'

/** The HPA in the form the controller model (hpa.ts) computes with: names resolved, defaults applied. */

export type MetricSourceType = 'Resource' | 'ContainerResource' | 'Pods' | 'Object' | 'External'

export type HpaTarget = {type: 'Utilization'; averageUtilization: number} | {type: 'AverageValue'; averageValueMilli: number} | {type: 'Value'; valueMilli: number}

/** One metric of the HPA, resolved to what fleetcap models. */
export interface HpaMetric {
  sourceType: MetricSourceType
  /** The name as the user wrote it (`cpu`, `vllm:num_requests_waiting`, `livhana_queue_depth`). */
  name: string
  /** The simulator quantity it reads. */
  reads: ModelledMetric
  target: HpaTarget
  /** Object metrics: the object described. */
  describedObject?: {kind: string; name: string; apiVersion?: string}
  /** ContainerResource metrics: the container. */
  container?: string
  /**
   * Object/External metrics: the series the simulator is asked for, `reads` plus the metric's label
   * selector (`queue_depth{priority=high}`), so one pool can expose several queues. An observation
   * without that key falls back to the plain `reads` value. Pods metric selectors are not modelled.
   */
  seriesKey?: string
  /** Object/External metrics: the metric's label selector as written (for the controller's texts). */
  selector?: LabelSelectorObject
  /** How the controller names this metric in events and conditions ("pods metric queue_depth"). */
  description: string
}

export interface ScalingPolicy {
  type: 'Pods' | 'Percent'
  value: number
  periodSeconds: number
}

export interface ScalingRules {
  /** Undefined on scaleDown means "the controller's --horizontal-pod-autoscaler-downscale-stabilization". */
  stabilizationWindowSeconds: number | undefined
  selectPolicy: 'Max' | 'Min' | 'Disabled'
  policies: ScalingPolicy[]
  tolerance: number | undefined
}

/** The HPA in the form the controller uses, defaults applied. */
export interface HpaSpec {
  name: string
  namespace: string
  scaleTargetRef: {kind: string; name: string; apiVersion?: string}
  minReplicas: number
  maxReplicas: number
  metrics: HpaMetric[]
  /** Absent: the controller takes its legacy path (no per-policy rates; scale-up limit max(2×, 4)). */
  behavior: {scaleUp: ScalingRules; scaleDown: ScalingRules} | undefined
}
