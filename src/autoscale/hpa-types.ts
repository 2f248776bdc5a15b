import type {ModelledMetric} from './metric-names.js'
import type {HpaMetric} from './hpa-schema.js'

/** What the HPA controller (hpa.ts) is configured with, reads at a sync, and decides. */

export interface HpaControllerOptions {
  /** --horizontal-pod-autoscaler-sync-period: how often the simulator should call reconcile. */
  syncPeriodS?: number
  /** --horizontal-pod-autoscaler-tolerance. */
  tolerance?: number
  /** --horizontal-pod-autoscaler-downscale-stabilization (used when behavior.scaleDown sets no window). */
  downscaleStabilizationS?: number
  /** --horizontal-pod-autoscaler-cpu-initialization-period. */
  cpuInitializationPeriodS?: number
  /** --horizontal-pod-autoscaler-initial-readiness-delay. */
  initialReadinessDelayS?: number
  /** Window of a CPU sample (metrics-server resolution), for the "sample after readiness" check. */
  metricWindowS?: number
}

export const HPA_CONTROLLER_DEFAULTS: Required<HpaControllerOptions> = {
  syncPeriodS: 15,
  tolerance: 0.1,
  downscaleStabilizationS: 300,
  cpuInitializationPeriodS: 300,
  initialReadinessDelayS: 30,
  metricWindowS: 15,
}

/** One pod of the scale target, as the controller's pod lister and metrics client see it. */
export interface PodView {
  name: string
  /** Default Running. Pending pods count as unready; Failed ones are ignored. */
  phase?: 'Pending' | 'Running' | 'Failed'
  /** Being deleted (draining): ignored. */
  deleting?: boolean
  /**
   * The Ready condition's status: true, false, or 'Unknown' (a node that stopped reporting). The
   * controller treats Unknown as not ready when it counts Running-and-Ready pods (Object/External
   * Value targets, podutil.IsPodReady) but, for cpu, only a status of False makes a pod unready
   * (groupPods compares with ConditionFalse), so an Unknown pod's sample counts.
   */
  ready: boolean | 'Unknown'
  /** status.startTime; undefined means not started (unready for CPU). */
  startTimeS?: number
  /** lastTransitionTime of the Ready condition (when it last became ready or unready); undefined: no condition. */
  readyTransitionS?: number
  /**
   * The pod's request per resource (cpu, memory) in milli-units, when pods differ. Utilization is
   * Σ usage × 100 / Σ requests over the pods with samples, as GetResourceUtilizationRatio computes it;
   * default: every pod requests the same (1000 milli-units).
   */
  requestsMilli?: Partial<Record<ModelledMetric, number>>
  /** Latest visible sample per modelled metric; a missing key is a pod without metrics. */
  metrics: Partial<Record<ModelledMetric, number>>
  /** When the pod's sample was taken (metrics pipeline); default: the reconcile time. */
  metricTimestampS?: number
}

/** What the controller reads at one sync. */
export interface HpaObservation {
  /** scale.spec.replicas: the replica count the HPA last set (or the user). */
  currentReplicas: number
  /** scale.status.replicas: pods that exist; default currentReplicas. */
  statusReplicas?: number
  pods: readonly PodView[]
  /**
   * Object metrics (value for the described object), by modelled metric (`queue_depth`) or, for a
   * metric with a selector, by its series key (`queue_depth{priority=high}`, see HpaMetric.seriesKey).
   */
  objectMetrics?: Readonly<Record<string, number | undefined>>
  /** External metrics (sum over the selected series), keyed as objectMetrics. */
  externalMetrics?: Readonly<Record<string, number | undefined>>
}

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited'

export interface HpaCondition {
  type: ConditionType
  status: 'True' | 'False'
  reason: string
  message: string
  lastTransitionTimeS: number
}

export interface MetricProposal {
  description: string
  reads: ModelledMetric
  sourceType: HpaMetric['sourceType']
  /** The replica count this metric asks for; undefined when its value could not be computed. */
  replicas?: number
  /** Current value as the HPA status shows it: percent for Utilization, else the (average) value. */
  current?: number
  /**
   * Why it could not be computed: reason and message as in the ScalingActive condition (the
   * message after "the HPA was unable to compute the replica count: "), and `returned`, the error
   * as computeReplicasForMetric returns it (what the FailedComputeMetricsReplicas event quotes).
   */
  error?: {reason: string; message: string; returned: string}
}

/** Which rule held the replica count back from what the metrics asked for. */
export type LimitedBy = 'minReplicas' | 'maxReplicas' | 'stabilizationWindow' | 'scaleUpLimit' | 'scalingDisabled' | 'invalidMetrics' | `policy:${string}`

export interface HpaDecision {
  timeS: number
  currentReplicas: number
  /** The replica count to set on the target (equals currentReplicas when nothing changes). */
  desiredReplicas: number
  rescale: boolean
  /** Max over the metric proposals, before stabilization and limits (undefined if not computed). */
  metricReplicas?: number
  /** The metric that gave metricReplicas (its description, as in events). */
  metric?: string
  /** After the stabilization window, before rate limits and bounds. */
  stabilizedReplicas?: number
  proposals: MetricProposal[]
  limitedBy: LimitedBy[]
  /** The reason the controller would put in the SuccessfulRescale event. */
  rescaleReason?: string
  conditions: HpaCondition[]
  event?: {type: 'Normal' | 'Warning'; reason: string; message: string}
}
