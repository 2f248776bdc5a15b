import type {ModelledMetric} from './metric-names.js'
import {goLabelSelector, type HpaMetric, type HpaSpec, type ScalingPolicy, type ScalingRules} from './hpa-schema.js'

/**
 * The HorizontalPodAutoscaler controller as kube-controller-manager computes it, as a pure and
 * deterministic state machine the simulator calls once per sync period with what the controller
 * would see. Read from kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go
 * (reconcileAutoscaler, computeReplicasForMetrics, normalizeDesiredReplicas[WithBehaviors],
 * stabilizeRecommendation[WithBehaviors], calculateScale{Up,Down}Limit…) and replica_calculator.go
 * (groupPods, GetResourceReplicas, calcPlainMetricReplicas, GetObject/ExternalMetricReplicas,
 * Get…PerPodMetricReplicas). Metric values are compared in milli-units with integer truncation, as
 * the controller does, so the replica counts match it exactly.
 */

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
export type LimitedBy =
  | 'minReplicas'
  | 'maxReplicas'
  | 'stabilizationWindow'
  | 'scaleUpLimit'
  | 'scalingDisabled'
  | 'invalidMetrics'
  | `policy:${string}`

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

interface Tolerances {
  up: number
  down: number
}

interface Timed {
  t: number
  v: number
}

/** timestampedScaleEvent: a replica change, kept (and later overwritten in place) once outdated. */
interface ScaleEvent extends Timed {
  outdated: boolean
}

/**
 * The controller's two timestamp comparisons, on fleetcap's exact sync times (see
 * docs/autoscaling.md, "Sync times and window edges"): `timestamp.After(cutoff)` and
 * `timestamp.Before(cutoff)`, cutoff = now − window. Both are strict, so an entry exactly one window
 * (or policy period) old is neither: it is outside a behavior window and a policy period (After is
 * false) yet not old (Before is false): it still counts in the legacy window and is not outdated.
 */
const after = (t: number, cutoff: number): boolean => t > cutoff
const before = (t: number, cutoff: number): boolean => t < cutoff

/** Create a controller for one HPA. State (recommendations, scale events, conditions) lives inside. */
export function createHpaController(spec: HpaSpec, options: HpaControllerOptions = {}): HpaController {
  return new HpaController(spec, options)
}

export class HpaController {
  readonly spec: HpaSpec
  readonly options: Required<HpaControllerOptions>
  private readonly tolerances: Tolerances
  private recommendations: Timed[] = []
  private scaleUpEvents: ScaleEvent[] = []
  private scaleDownEvents: ScaleEvent[] = []
  private readonly conditions = new Map<ConditionType, HpaCondition>()
  private seenTarget = false
  lastScaleTimeS: number | undefined

  constructor(spec: HpaSpec, options: HpaControllerOptions = {}) {
    this.spec = spec
    this.options = {...HPA_CONTROLLER_DEFAULTS, ...options}
    this.tolerances = {
      up: spec.behavior?.scaleUp.tolerance ?? this.options.tolerance,
      down: spec.behavior?.scaleDown.tolerance ?? this.options.tolerance,
    }
  }

  get syncPeriodS(): number {
    return this.options.syncPeriodS
  }

  /**
   * One sync of the controller at `nowS`. `minReplicas` overrides spec.minReplicas for this sync
   * (a schedule patching the HPA, see schedule.ts). The caller applies desiredReplicas to the target.
   * `scaleWrittenAtS`: when the scale update returned, if later than nowS. The controller stamps the
   * scale event with time.Now() after that write, so under a slow API server the event is younger
   * than the sync; the simulator's writes are instantaneous (default nowS).
   * `syncStartedAtS`: when the sync began, if earlier than nowS. The controller records the initial
   * recommendation before it reads any metric, and reads its clock for windows and policies after
   * them; nowS is that later instant (default: both at nowS, as in the simulator).
   */
  reconcile(nowS: number, obs: HpaObservation, override: {minReplicas?: number; scaleWrittenAtS?: number; syncStartedAtS?: number} = {}): HpaDecision {
    const spec = this.spec
    const current = obs.currentReplicas
    if (!this.seenTarget) {
      // recordInitialRecommendation: the current size counts as a recommendation from the first sync.
      this.recommendations.push({t: override.syncStartedAtS ?? nowS, v: current})
      this.seenTarget = true
    }
    this.setCondition(nowS, 'AbleToScale', true, 'SucceededGetScale', "the HPA controller was able to get the target's current scale")
    const minReplicas = Math.min(override.minReplicas ?? spec.minReplicas, spec.maxReplicas)
    const decision: HpaDecision = {
      timeS: nowS,
      currentReplicas: current,
      desiredReplicas: current,
      rescale: false,
      proposals: [],
      limitedBy: [],
      conditions: [],
    }

    let desired: number
    if (current === 0 && minReplicas !== 0) {
      this.setCondition(nowS, 'ScalingActive', false, 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero')
      decision.limitedBy.push('scalingDisabled')
      return this.finish(decision, current)
    } else if (current > spec.maxReplicas) {
      decision.rescaleReason = 'Current number of replicas above Spec.MaxReplicas'
      decision.limitedBy.push('maxReplicas')
      desired = spec.maxReplicas
    } else if (current < minReplicas) {
      decision.rescaleReason = 'Current number of replicas below Spec.MinReplicas'
      decision.limitedBy.push('minReplicas')
      desired = minReplicas
    } else {
      const computed = this.computeReplicasForMetrics(nowS, obs)
      decision.proposals = computed.proposals
      if (computed.replicas === undefined) {
        const first = computed.proposals.find((p) => p.error !== undefined)!
        this.setCondition(nowS, 'ScalingActive', false, first.error!.reason, `the HPA was unable to compute the replica count: ${first.error!.message}`)
        decision.limitedBy.push('invalidMetrics')
        decision.event = {type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: computed.errorMessage!}
        return this.finish(decision, current)
      }
      this.setCondition(nowS, 'ScalingActive', true, 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${computed.metric!}`)
      decision.metricReplicas = computed.replicas
      decision.metric = computed.metric
      if (computed.replicas > current) decision.rescaleReason = `${computed.metric!} above target`
      if (computed.replicas < current) decision.rescaleReason = 'All metrics below target'
      desired =
        spec.behavior === undefined
          ? this.normalizeLegacy(nowS, current, computed.replicas, minReplicas, decision)
          : this.normalizeWithBehaviors(nowS, current, computed.replicas, minReplicas, decision)
    }

    if (desired !== current) {
      decision.rescale = true
      this.setCondition(nowS, 'AbleToScale', true, 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`)
      decision.event = {type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${desired}; reason: ${decision.rescaleReason ?? ''}`}
      this.storeScaleEvent(override.scaleWrittenAtS ?? nowS, current, desired)
      this.lastScaleTimeS = override.scaleWrittenAtS ?? nowS
    }
    return this.finish(decision, desired)
  }

  /** The conditions as the HPA status would show them now. */
  currentConditions(): HpaCondition[] {
    return (['AbleToScale', 'ScalingActive', 'ScalingLimited'] as const)
      .map((t) => this.conditions.get(t))
      .filter((c): c is HpaCondition => c !== undefined)
      .map((c) => ({...c}))
  }

  private finish(decision: HpaDecision, desired: number): HpaDecision {
    decision.desiredReplicas = desired
    decision.conditions = this.currentConditions()
    return decision
  }

  private setCondition(nowS: number, type: ConditionType, status: boolean, reason: string, message: string): void {
    const s = status ? 'True' : 'False'
    const old = this.conditions.get(type)
    const lastTransitionTimeS = old === undefined || old.status !== s ? nowS : old.lastTransitionTimeS
    this.conditions.set(type, {type, status: s, reason, message, lastTransitionTimeS})
  }

  // ---- metrics → one proposal -------------------------------------------------------------

  private computeReplicasForMetrics(
    nowS: number,
    obs: HpaObservation,
  ): {replicas?: number; metric?: string; proposals: MetricProposal[]; errorMessage?: string} {
    const proposals: MetricProposal[] = []
    let replicas = 0
    let metric: string | undefined
    let invalid = 0
    let firstError: string | undefined
    for (const m of this.spec.metrics) {
      const p = this.computeReplicasForMetric(nowS, m, obs)
      proposals.push(p)
      if (p.replicas === undefined) {
        if (invalid === 0) firstError = p.error!.returned
        invalid++
        continue
      }
      if (replicas === 0 || p.replicas > replicas) {
        replicas = p.replicas
        metric = m.description
      }
    }
    const n = this.spec.metrics.length
    const errorMessage =
      invalid > 0 ? `invalid metrics (${invalid} invalid out of ${n}), first error is: ${firstError!}` : undefined
    // All invalid, or some invalid and the valid ones would scale down: do nothing (no scale-down on partial data).
    if (invalid >= n || (invalid > 0 && replicas < obs.currentReplicas)) return {proposals, errorMessage}
    return {replicas, metric, proposals, errorMessage}
  }

  private computeReplicasForMetric(nowS: number, m: HpaMetric, obs: HpaObservation): MetricProposal {
    const base = {description: m.description, reads: m.reads, sourceType: m.sourceType}
    const current = obs.currentReplicas
    try {
      switch (m.sourceType) {
        case 'Resource':
        case 'ContainerResource': {
          if (m.target.type === 'AverageValue') {
            // GetRawResourceReplicas: calcPlainMetricReplicas on raw usage (milli-units), which
            // fleetcap derives from a pod's utilization and its own request.
            const unknown = obs.pods.find((p) => p.metrics[m.reads] !== undefined && !((p.requestsMilli?.[m.reads] ?? 0) > 0))
            if (unknown !== undefined) {
              throw new MetricError('FailedGetResourceMetric', `failed to get ${m.name} usage: fleetcap needs the ${m.name} request of pod ${unknown.name} (requestsMilli) to turn its utilization into usage`)
            }
            const r = this.plainMetricReplicas(nowS, current, m.target.averageValueMilli, m.reads, obs.pods, 'FailedGetResourceMetric', m.reads === 'cpu')
            return {...base, replicas: r.replicas, current: r.usageMilli / 1000}
          }
          const target = m.target.type === 'Utilization' ? m.target.averageUtilization : 0
          const r = this.resourceReplicas(nowS, current, target, m.reads, obs.pods)
          return {...base, replicas: r.replicas, current: r.utilization}
        }
        case 'Pods': {
          const target = m.target.type === 'AverageValue' ? m.target.averageValueMilli : 0
          const r = this.plainMetricReplicas(nowS, current, target, m.reads, obs.pods)
          return {...base, replicas: r.replicas, current: r.usageMilli / 1000}
        }
        case 'Object':
        case 'External': {
          const source = m.sourceType === 'Object' ? obs.objectMetrics : obs.externalMetrics
          const value = (m.seriesKey === undefined ? undefined : source?.[m.seriesKey]) ?? source?.[m.reads]
          if (value === undefined || !Number.isFinite(value)) throw this.missingValue(m)
          const usage = toMilliValue(value)
          if (m.target.type === 'AverageValue') {
            const status = obs.statusReplicas ?? current
            const replicas = this.perPodReplicas(status, usage, m.target.averageValueMilli)
            return {...base, replicas, current: status > 0 ? Math.ceil(usage / status) / 1000 : usage / 1000}
          }
          const target = m.target.type === 'Value' ? m.target.valueMilli : 0
          try {
            const replicas = this.usageRatioReplicas(current, usage / target, obs.pods)
            return {...base, replicas, current: usage / 1000}
          } catch (error) {
            if (!(error instanceof MetricError)) throw error
            const reason = m.sourceType === 'Object' ? 'FailedGetObjectMetric' : 'FailedGetExternalMetric'
            throw new MetricError(reason, error.message, wrapReturned(m, error.message))
          }
        }
      }
    } catch (error) {
      if (error instanceof MetricError) return {...base, error: {reason: error.reason, message: error.message, returned: error.returned ?? error.message}}
      throw error
    }
  }

  private within(ratio: number): boolean {
    return 1 - this.tolerances.down <= ratio && ratio <= 1 + this.tolerances.up
  }

  /** GetResourceReplicas: Utilization target; pod samples are percentages of the request. */
  private resourceReplicas(
    nowS: number,
    current: number,
    targetUtilization: number,
    reads: ModelledMetric,
    pods: readonly PodView[],
  ): {replicas: number; utilization: number} {
    const reason = 'FailedGetResourceMetric'
    if (pods.length === 0) throw new MetricError(reason, 'no pods returned by selector while calculating replica count')
    // Each pod's request (REQUEST milli-units unless the pod says); usage = utilization% × request.
    const g = groupPods(nowS, pods, reads, reads === 'cpu', this.options)
    if (g.metrics.size === 0) throw new MetricError(reason, 'did not receive metrics for targeted pods (pods might be unready)')
    const requests = new Map(pods.map((p) => [p.name, requestOf(p, reads)]))
    const utilizationOf = (metrics: Map<string, number>): number => {
      let usage = 0
      let requested = 0
      for (const [name, v] of metrics) {
        usage += v
        requested += requests.get(name)!
      }
      return Math.trunc((usage * 100) / requested)
    }
    const utilization = utilizationOf(g.metrics)
    const ratio = utilization / targetUtilization
    const scaleUpWithUnready = g.unready.length > 0 && ratio > 1
    if (!scaleUpWithUnready && g.missing.length === 0) {
      if (this.within(ratio)) return {replicas: current, utilization}
      return {replicas: Math.ceil(ratio * g.readyCount), utilization}
    }
    if (g.missing.length > 0) {
      if (ratio < 1) {
        // Scale-down: a pod without a sample is taken to use max(100%, target) of its request.
        for (const name of g.missing) g.metrics.set(name, Math.trunc((requests.get(name)! * Math.max(100, targetUtilization)) / 100))
      } else if (ratio > 1) {
        for (const name of g.missing) g.metrics.set(name, 0)
      }
    }
    if (scaleUpWithUnready) for (const name of g.unready) g.metrics.set(name, 0)
    const newRatio = utilizationOf(g.metrics) / targetUtilization
    return {replicas: this.recheckDirection(current, ratio, newRatio, g.metrics.size), utilization}
  }

  /** calcPlainMetricReplicas: Pods metrics (AverageValue), per-pod samples in milli-units. */
  private plainMetricReplicas(
    nowS: number,
    current: number,
    targetMilli: number,
    reads: ModelledMetric,
    pods: readonly PodView[],
    reason = 'FailedGetPodsMetric',
    isCpu = false,
  ): {replicas: number; usageMilli: number} {
    if (pods.length === 0) throw new MetricError(reason, 'no pods returned by selector while calculating replica count')
    const g = groupPods(nowS, pods, reads, isCpu, this.options)
    if (g.metrics.size === 0) throw new MetricError(reason, 'did not receive metrics for targeted pods (pods might be unready)')
    const usageOf = (metrics: Map<string, number>): number => {
      let total = 0
      for (const v of metrics.values()) total += v
      return Math.trunc(total / metrics.size)
    }
    const usageMilli = usageOf(g.metrics)
    const ratio = usageMilli / targetMilli
    const scaleUpWithUnready = g.unready.length > 0 && ratio > 1
    if (!scaleUpWithUnready && g.missing.length === 0) {
      if (this.within(ratio)) return {replicas: current, usageMilli}
      return {replicas: Math.ceil(ratio * g.readyCount), usageMilli}
    }
    if (g.missing.length > 0) {
      // Scale-down: a pod without a sample is taken to be exactly at target; scale-up: at zero.
      if (ratio < 1) for (const name of g.missing) g.metrics.set(name, targetMilli)
      else if (ratio > 1) for (const name of g.missing) g.metrics.set(name, 0)
    }
    if (scaleUpWithUnready) for (const name of g.unready) g.metrics.set(name, 0)
    const newRatio = usageOf(g.metrics) / targetMilli
    return {replicas: this.recheckDirection(current, ratio, newRatio, g.metrics.size), usageMilli}
  }

  /** After filling in missing/unready pods: keep the current size if the direction would flip. */
  private recheckDirection(current: number, ratio: number, newRatio: number, podCount: number): number {
    if (this.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return current
    const replicas = Math.ceil(newRatio * podCount)
    if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current
    return replicas
  }

  /** getUsageRatioReplicaCount: Object/External metrics with a Value target. */
  private usageRatioReplicas(current: number, ratio: number, pods: readonly PodView[]): number {
    if (current === 0) return Math.ceil(ratio) // scale from zero (HPAScaleToZero)
    if (this.within(ratio)) return current
    if (pods.length === 0) throw new MetricError('', 'unable to calculate ready pods: no pods returned by selector while calculating replica count')
    let ready = 0
    for (const p of pods) if ((p.phase ?? 'Running') === 'Running' && p.ready === true) ready++ // terminating pods too, while still Ready
    return Math.ceil(ratio * ready)
  }

  /**
   * An Object/External metric without a value, worded as replica_calculator.go and the metrics
   * clients word it. External: the external metrics client's "no metrics returned from external
   * metrics API" (an empty series list). Object: the custom metrics client's "unable to fetch metrics
   * from custom metrics API: …" around custom-metrics-apiserver's not-found error. The controller's
   * own "unable to get metric %s: %v on %s %s/%s" passes its arguments in a shifted order (kind where
   * the error belongs, the error last); it is reproduced as it reads.
   */
  private missingValue(m: HpaMetric): MetricError {
    const ns = this.spec.namespace
    if (m.sourceType === 'Object') {
      const o = m.describedObject!
      const inner = `unable to fetch metrics from custom metrics API: the server could not find the metric ${m.name} for ${resourceOf(o.kind)} ${o.name}`
      const message = `unable to get metric ${m.name}: ${o.kind} on ${ns} ${o.name}/${inner}`
      return new MetricError('FailedGetObjectMetric', message, wrapReturned(m, message))
    }
    const message = `unable to get external metric ${ns}/${m.name}/${goLabelSelector(m.selector)}: no metrics returned from external metrics API`
    return new MetricError('FailedGetExternalMetric', message, wrapReturned(m, message))
  }

  /** Get{Object,External}PerPodMetricReplicas: AverageValue target against scale.status.replicas. */
  private perPodReplicas(statusReplicas: number, usageMilli: number, targetMilli: number): number {
    const ratio = usageMilli / (targetMilli * statusReplicas)
    if (this.within(ratio)) return statusReplicas
    return Math.ceil(usageMilli / targetMilli)
  }

  // ---- normalization -------------------------------------------------------------------------

  /** normalizeDesiredReplicas: no `behavior` in the spec. */
  private normalizeLegacy(nowS: number, current: number, proposed: number, minReplicas: number, d: HpaDecision): number {
    const cutoff = nowS - this.options.downscaleStabilizationS
    // stabilizeRecommendation: samples before the cutoff no longer count (the controller overwrites
    // one of them in place; dropping them all gives the same result: the window is fixed, so an old
    // sample never counts again).
    this.recommendations = this.recommendations.filter((r) => !before(r.t, cutoff))
    let stabilized = proposed
    for (const r of this.recommendations) if (r.v > stabilized) stabilized = r.v
    this.recommendations.push({t: nowS, v: proposed})
    d.stabilizedReplicas = stabilized
    if (stabilized !== proposed) {
      d.limitedBy.push('stabilizationWindow')
      this.setCondition(nowS, 'AbleToScale', true, 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation')
    } else {
      this.setCondition(nowS, 'AbleToScale', true, 'ReadyForNewScale', 'recommended size matches current size')
    }
    // Legacy scale-up limit (issue kubernetes#32304): at most max(2 × current, 4) in one step.
    const scaleUpLimit = Math.max(2 * current, 4)
    let maxAllowed: number
    let reason: string
    let message: string
    let limit: LimitedBy
    if (this.spec.maxReplicas > scaleUpLimit) {
      maxAllowed = scaleUpLimit
      ;[reason, message, limit] = ['ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate', 'scaleUpLimit']
    } else {
      maxAllowed = this.spec.maxReplicas
      ;[reason, message, limit] = ['TooManyReplicas', 'the desired replica count is more than the maximum replica count', 'maxReplicas']
    }
    let desired = stabilized
    if (stabilized < minReplicas) {
      desired = minReplicas
      ;[reason, message, limit] = ['TooFewReplicas', 'the desired replica count is less than the minimum replica count', 'minReplicas']
    } else if (stabilized > maxAllowed) {
      desired = maxAllowed
    } else {
      ;[reason, message] = ['DesiredWithinRange', 'the desired count is within the acceptable range']
    }
    if (desired !== stabilized) d.limitedBy.push(limit)
    this.setCondition(nowS, 'ScalingLimited', desired !== stabilized, reason, message)
    return desired
  }

  /** normalizeDesiredReplicasWithBehaviors: stabilization windows, then per-policy rate limits. */
  private normalizeWithBehaviors(nowS: number, current: number, proposed: number, minReplicas: number, d: HpaDecision): number {
    const behavior = this.spec.behavior!
    const upWindow = behavior.scaleUp.stabilizationWindowSeconds ?? 0
    const downWindow = behavior.scaleDown.stabilizationWindowSeconds ?? this.options.downscaleStabilizationS
    const upCutoff = nowS - upWindow
    const downCutoff = nowS - downWindow
    let upRec = proposed
    let downRec = proposed
    for (const r of this.recommendations) {
      if (after(r.t, upCutoff) && r.v < upRec) upRec = r.v
      if (after(r.t, downCutoff) && r.v > downRec) downRec = r.v
    }
    let stabilized = current
    if (stabilized < upRec) stabilized = upRec
    if (stabilized > downRec) stabilized = downRec
    this.recommendations = this.recommendations.filter((r) => !(before(r.t, upCutoff) && before(r.t, downCutoff)))
    this.recommendations.push({t: nowS, v: proposed})
    d.stabilizedReplicas = stabilized
    if (stabilized !== proposed) {
      d.limitedBy.push('stabilizationWindow')
      if (proposed >= current) {
        this.setCondition(nowS, 'AbleToScale', true, 'ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation')
      } else {
        this.setCondition(nowS, 'AbleToScale', true, 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation')
      }
    } else {
      this.setCondition(nowS, 'AbleToScale', true, 'ReadyForNewScale', 'recommended size matches current size')
    }

    let desired = stabilized
    let reason = 'DesiredWithinRange'
    let message = 'the desired count is within the acceptable range'
    let limit: LimitedBy | undefined
    if (stabilized > current) {
      const up = scaleLimit(nowS, current, this.scaleUpEvents, this.scaleDownEvents, behavior.scaleUp, 'up')
      const scaleUpLimit = Math.max(up.limit, current)
      if (this.spec.maxReplicas > scaleUpLimit) {
        if (stabilized > scaleUpLimit) {
          desired = scaleUpLimit
          ;[reason, message, limit] = ['ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate', up.by]
        }
      } else if (stabilized > this.spec.maxReplicas) {
        desired = this.spec.maxReplicas
        ;[reason, message, limit] = ['TooManyReplicas', 'the desired replica count is more than the maximum replica count', 'maxReplicas']
      }
    } else if (stabilized < current) {
      const down = scaleLimit(nowS, current, this.scaleUpEvents, this.scaleDownEvents, behavior.scaleDown, 'down')
      const scaleDownLimit = Math.min(down.limit, current)
      if (minReplicas < scaleDownLimit) {
        if (stabilized < scaleDownLimit) {
          desired = scaleDownLimit
          ;[reason, message, limit] = ['ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate', down.by]
        }
      } else if (stabilized < minReplicas) {
        desired = minReplicas
        ;[reason, message, limit] = ['TooFewReplicas', 'the desired replica count is less than the minimum replica count', 'minReplicas']
      }
    }
    if (limit !== undefined) d.limitedBy.push(limit)
    this.setCondition(nowS, 'ScalingLimited', desired !== stabilized, reason, message)
    return desired
  }

  /**
   * storeScaleEvent: kept only with behavior. Events of the direction older than its longest policy
   * period are marked outdated (never un-marked) but stay in the list: the last outdated one is
   * overwritten by the new event, the others remain, and getReplicasChangePerPeriod still counts any
   * event inside a policy's period, outdated or not. That matters when the other direction has a
   * longer period than this one: its limit still sees the old events the controller has not yet
   * overwritten.
   */
  private storeScaleEvent(nowS: number, previous: number, next: number): void {
    const behavior = this.spec.behavior
    if (behavior === undefined) return
    const up = next > previous
    const events = up ? this.scaleUpEvents : this.scaleDownEvents
    const cutoff = nowS - longestPeriod(up ? behavior.scaleUp : behavior.scaleDown)
    let reuse = -1
    events.forEach((e, i) => {
      if (before(e.t, cutoff)) e.outdated = true
      if (e.outdated) reuse = i
    })
    const event: ScaleEvent = {t: nowS, v: Math.abs(next - previous), outdated: false}
    if (reuse >= 0) events[reuse] = event
    else events.push(event)
  }
}

/** A pod's request in milli-units when it gives none: utilization samples (percent) are converted against it. */
const REQUEST = 1000

function requestOf(pod: PodView, reads: ModelledMetric): number {
  const r = pod.requestsMilli?.[reads]
  return r !== undefined && r > 0 ? r : REQUEST
}

class MetricError extends Error {
  readonly reason: string
  /** The error as computeReplicasForMetric returns it, when it wraps the condition's text. */
  readonly returned?: string
  constructor(reason: string, message: string, returned?: string) {
    super(message)
    this.reason = reason
    this.returned = returned
  }
}

/**
 * How computeStatusFor{Object,External}Metric and computeReplicasForMetric wrap a metric error on
 * its way to the FailedComputeMetricsReplicas event (v1.34 horizontal.go).
 */
function wrapReturned(m: HpaMetric, cause: string): string {
  if (m.sourceType === 'Object') {
    const inner = m.target.type === 'AverageValue' ? `failed to get ${m.name} object metric: ${cause}` : cause
    return `failed to get object metric value: ${inner}`
  }
  const inner = m.target.type === 'AverageValue' ? `failed to get ${m.name} external metric: ${cause}` : `failed to get external metric ${m.name}: ${cause}`
  return `failed to get ${m.name} external metric value: ${inner}`
}

/** The API resource of a kind, as the custom metrics API names it (lower case, plural). */
function resourceOf(kind: string): string {
  const k = kind.toLowerCase()
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`
  return `${k}s`
}

function toMilliValue(value: number): number {
  const scaled = value * 1000
  const nearest = Math.round(scaled)
  return Math.abs(scaled - nearest) < 1e-6 ? nearest : Math.ceil(scaled)
}

interface PodGroups {
  readyCount: number
  unready: string[]
  missing: string[]
  /** Samples of the pods that count, in milli-units (utilization: percent × REQUEST / 100). */
  metrics: Map<string, number>
}

/**
 * groupPods: deleted and Failed pods are ignored; Pending pods are unready; pods without a sample
 * are missing. For cpu only, a pod also counts as unready when it has no Ready condition or start
 * time; inside the initialization period when it is not ready or its sample predates readiness plus
 * one metric window; after it when it is not ready and never became ready.
 */
function groupPods(
  nowS: number,
  pods: readonly PodView[],
  reads: ModelledMetric,
  isCpu: boolean,
  opts: Required<HpaControllerOptions>,
): PodGroups {
  const g: PodGroups = {readyCount: 0, unready: [], missing: [], metrics: new Map()}
  const percent = reads === 'cpu' || reads === 'memory'
  for (const pod of pods) {
    const phase = pod.phase ?? 'Running'
    if ((pod.deleting ?? false) || phase === 'Failed') continue
    if (phase === 'Pending') {
      g.unready.push(pod.name)
      continue
    }
    const sample = pod.metrics[reads]
    if (sample === undefined || !Number.isFinite(sample)) {
      g.missing.push(pod.name)
      continue
    }
    if (isCpu) {
      let unready: boolean
      if (pod.readyTransitionS === undefined || pod.startTimeS === undefined) {
        unready = true
      } else if (pod.startTimeS + opts.cpuInitializationPeriodS > nowS) {
        const sampledAt = pod.metricTimestampS ?? nowS
        unready = pod.ready === false || sampledAt < pod.readyTransitionS + opts.metricWindowS
      } else {
        unready = pod.ready === false && pod.startTimeS + opts.initialReadinessDelayS > pod.readyTransitionS
      }
      if (unready) {
        g.unready.push(pod.name)
        continue
      }
    }
    g.metrics.set(pod.name, percent ? toMilliValue((sample * requestOf(pod, reads)) / 100_000) : toMilliValue(sample))
    g.readyCount++
  }
  return g
}

function longestPeriod(rules: ScalingRules): number {
  let longest = 0
  for (const p of rules.policies) if (p.periodSeconds > longest) longest = p.periodSeconds
  return longest
}

function replicasChangedWithin(nowS: number, periodS: number, events: readonly Timed[]): number {
  const cutoff = nowS - periodS
  let sum = 0
  for (const e of events) if (after(e.t, cutoff)) sum += e.v
  return sum
}

function policyName(p: ScalingPolicy): `policy:${string}` {
  return p.type === 'Pods' ? `policy:Pods ${p.value}/${p.periodSeconds}s` : `policy:Percent ${p.value}%/${p.periodSeconds}s`
}

/**
 * calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors: each policy allows
 * a change from the replica count at the start of its period (current − added + removed within
 * it); selectPolicy Max takes the largest change, Min the smallest, Disabled none.
 */
export function scaleLimit(
  nowS: number,
  current: number,
  upEvents: readonly Timed[],
  downEvents: readonly Timed[],
  rules: ScalingRules,
  direction: 'up' | 'down',
): {limit: number; by: LimitedBy} {
  if (rules.selectPolicy === 'Disabled') return {limit: current, by: 'policy:Disabled'}
  // For scale-up the largest change is the largest count; for scale-down it is the smallest.
  const wantLarger = (rules.selectPolicy === 'Max') === (direction === 'up')
  let limit = wantLarger ? -Infinity : Infinity
  let by: LimitedBy = 'policy:none'
  for (const p of rules.policies) {
    const added = replicasChangedWithin(nowS, p.periodSeconds, upEvents)
    const removed = replicasChangedWithin(nowS, p.periodSeconds, downEvents)
    const start = current - added + removed
    let proposed: number
    if (direction === 'up') {
      proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100))
    } else {
      proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100))
    }
    if (wantLarger ? proposed > limit : proposed < limit) {
      limit = proposed
      by = policyName(p)
    }
  }
  return {limit, by}
}
