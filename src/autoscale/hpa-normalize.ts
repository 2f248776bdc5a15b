import type {HpaSpec, ScalingPolicy, ScalingRules} from './hpa-schema.js'
import type {ConditionType, HpaControllerOptions, HpaDecision, LimitedBy} from './hpa-types.js'

/**
 * From the metrics' proposal to the replica count the controller sets, as horizontal.go's
 * normalizeDesiredReplicas[WithBehaviors] computes it: stabilization windows over past
 * recommendations, then the scale-up limit or the behavior's per-policy rate limits over past scale
 * events, then min/max. The recommendations and scale events are this module's state.
 */

export interface Timed {
  t: number
  v: number
}

/** timestampedScaleEvent: a replica change, kept (and later overwritten in place) once outdated. */
export interface ScaleEvent extends Timed {
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

export type SetCondition = (nowS: number, type: ConditionType, status: boolean, reason: string, message: string) => void

export class ReplicaNormalizer {
  private readonly spec: HpaSpec
  private readonly options: Required<HpaControllerOptions>
  private readonly setCondition: SetCondition
  recommendations: Timed[] = []
  private scaleUpEvents: ScaleEvent[] = []
  private scaleDownEvents: ScaleEvent[] = []

  constructor(spec: HpaSpec, options: Required<HpaControllerOptions>, setCondition: SetCondition) {
    this.spec = spec
    this.options = options
    this.setCondition = setCondition
  }

  /** normalizeDesiredReplicas: no `behavior` in the spec. */
  normalizeLegacy(nowS: number, current: number, proposed: number, minReplicas: number, d: HpaDecision): number {
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
  normalizeWithBehaviors(nowS: number, current: number, proposed: number, minReplicas: number, d: HpaDecision): number {
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
  storeScaleEvent(nowS: number, previous: number, next: number): void {
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
export function scaleLimit(nowS: number, current: number, upEvents: readonly Timed[], downEvents: readonly Timed[], rules: ScalingRules, direction: 'up' | 'down'): {limit: number; by: LimitedBy} {
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
