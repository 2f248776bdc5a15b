import type {HpaSpec} from './hpa-schema.js'
import {ReplicaCalculator} from './hpa-replica-calculator.js'
import {ReplicaNormalizer} from './hpa-normalize.js'
import {
  HPA_CONTROLLER_DEFAULTS,
  type ConditionType,
  type HpaCondition,
  type HpaControllerOptions,
  type HpaDecision,
  type HpaObservation,
  type MetricProposal,
} from './hpa-types.js'

export * from './hpa-types.js'
export {scaleLimit} from './hpa-normalize.js'

/**
 * The HorizontalPodAutoscaler controller as kube-controller-manager computes it, as a pure and
 * deterministic state machine the simulator calls once per sync period with what the controller
 * would see. Read from kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go
 * (reconcileAutoscaler, computeReplicasForMetrics, normalizeDesiredReplicas[WithBehaviors],
 * stabilizeRecommendation[WithBehaviors], calculateScale{Up,Down}Limit…) and replica_calculator.go
 * (groupPods, GetResourceReplicas, calcPlainMetricReplicas, GetObject/ExternalMetricReplicas,
 * Get…PerPodMetricReplicas). Metric values are compared in milli-units with integer truncation, as
 * the controller does, so the replica counts match it exactly.
 *
 * This module is one sync (reconcile) and the conditions; what one metric asks for is
 * hpa-replica-calculator.ts, stabilization and rate limits hpa-normalize.ts.
 */

/** Create a controller for one HPA. State (recommendations, scale events, conditions) lives inside. */
export function createHpaController(spec: HpaSpec, options: HpaControllerOptions = {}): HpaController {
  return new HpaController(spec, options)
}

export class HpaController {
  readonly spec: HpaSpec
  readonly options: Required<HpaControllerOptions>
  private readonly calculator: ReplicaCalculator
  private readonly normalizer: ReplicaNormalizer
  private readonly conditions = new Map<ConditionType, HpaCondition>()
  private seenTarget = false
  lastScaleTimeS: number | undefined

  constructor(spec: HpaSpec, options: HpaControllerOptions = {}) {
    this.spec = spec
    this.options = {...HPA_CONTROLLER_DEFAULTS, ...options}
    const tolerances = {
      up: spec.behavior?.scaleUp.tolerance ?? this.options.tolerance,
      down: spec.behavior?.scaleDown.tolerance ?? this.options.tolerance,
    }
    this.calculator = new ReplicaCalculator(spec, this.options, tolerances)
    this.normalizer = new ReplicaNormalizer(spec, this.options, (...args) => this.setCondition(...args))
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
      this.normalizer.recommendations.push({t: override.syncStartedAtS ?? nowS, v: current})
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
          ? this.normalizer.normalizeLegacy(nowS, current, computed.replicas, minReplicas, decision)
          : this.normalizer.normalizeWithBehaviors(nowS, current, computed.replicas, minReplicas, decision)
    }

    if (desired !== current) {
      decision.rescale = true
      this.setCondition(nowS, 'AbleToScale', true, 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`)
      decision.event = {type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${desired}; reason: ${decision.rescaleReason ?? ''}`}
      this.normalizer.storeScaleEvent(override.scaleWrittenAtS ?? nowS, current, desired)
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
      const p = this.calculator.computeReplicasForMetric(nowS, m, obs)
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
}
