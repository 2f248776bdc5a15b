import type {HpaDecision} from './hpa.js'
import type {ThresholdDecision} from './thresholds.js'

/**
 * What the report says about autoscaling: every scaling event with its reason, how often the
 * direction changed (flapping), and how long the pool took to get back after a failure.
 */

export interface ScalingEvent {
  timeS: number
  pool: string
  autoscaler: 'hpa' | 'keda' | 'schedule' | 'thresholds'
  from: number
  to: number
  /** The metric that drove it (HPA: its description; thresholds: the metrics whose conditions held). */
  metric?: string
  /** What held it back from what the metrics asked (stabilization window, a policy, bounds, cooldown). */
  limitedBy: string[]
  /** The event message a real controller would record. */
  reason: string
}

export function scalingEventFromHpa(pool: string, d: HpaDecision, autoscaler: ScalingEvent['autoscaler'] = 'hpa'): ScalingEvent | undefined {
  if (!d.rescale) return undefined
  return {
    timeS: d.timeS,
    pool,
    autoscaler,
    from: d.currentReplicas,
    to: d.desiredReplicas,
    metric: d.metric,
    limitedBy: [...d.limitedBy],
    reason: d.event?.message ?? '',
  }
}

export function scalingEventFromThresholds(pool: string, d: ThresholdDecision): ScalingEvent | undefined {
  if (d.direction === 'none') return undefined
  const cause = d.because.map((b) => `${b.metric} ${b.value} ${d.direction === 'up' ? '>' : '<'} ${b.threshold}`).join(', ')
  return {
    timeS: d.timeS,
    pool,
    autoscaler: 'thresholds',
    from: d.currentReplicas,
    to: d.desiredReplicas,
    metric: d.because.map((b) => b.metric).join(','),
    limitedBy: d.limitedBy === undefined ? [] : [d.limitedBy],
    reason: `scale ${d.direction}: ${cause}`,
  }
}

/** How many times the replica count turned around (up then down, or down then up). */
export function directionChanges(replicas: readonly number[]): number {
  let changes = 0
  let last = 0
  for (let i = 1; i < replicas.length; i++) {
    const d = Math.sign(replicas[i] - replicas[i - 1])
    if (d === 0) continue
    if (last !== 0 && d !== last) changes++
    last = d
  }
  return changes
}

/**
 * Seconds from a failure at `failureS` until `value` (e.g. ready replicas, or throughput) is back at
 * `baseline` or above, reading a step series of (time, value) sorted by time; 0 if it never
 * dropped, undefined if it never came back.
 */
export function timeToRecover(failureS: number, baseline: number, series: readonly {timeS: number; value: number}[]): number | undefined {
  let dipped = false
  for (const p of series) {
    if (p.timeS < failureS) continue
    if (p.value < baseline) dipped = true
    else if (dipped) return p.timeS - failureS
  }
  return dipped ? undefined : 0
}
