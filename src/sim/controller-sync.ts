/**
 * One sync of a pool's controller (HPA, HPA with a schedule, KEDA, or the threshold table): it reads
 * what the metrics pipeline shows, decides the desired count, records why as a scaling event, and
 * says when the next sync is due. The rules themselves live in src/autoscale.
 */
import type {HpaDecision, HpaObservation} from '../autoscale/hpa.js'
import {type ScalingEvent, scalingEventFromHpa, scalingEventFromThresholds} from '../autoscale/scaling-stats.js'
import type {ThresholdSignal} from '../autoscale/thresholds.js'
import type {PoolAutoscalingConfig} from './autoscale-config.js'

/** What a sync reads and changes of its pool (PoolRuntime). */
export interface SyncTarget {
  readonly name: string
  readonly cfg: PoolAutoscalingConfig
  readonly desired: number
  readonly events: ScalingEvent[]
  observation(now: number): HpaObservation
  poolValues(now: number): Record<string, number | undefined>
  setDesired(n: number, now: number): void
}

/** One controller sync at `now`; returns when the next is due. */
export function syncController(t: SyncTarget, now: number): number {
  const c = t.cfg.controller
  const from = t.desired
  switch (c.kind) {
    case 'hpa': {
      const d = c.hpa.reconcile(now, t.observation(now))
      noteHpa(t, d, 'hpa')
      t.setDesired(d.desiredReplicas, now)
      return now + c.hpa.syncPeriodS
    }
    case 'scheduled-hpa': {
      const d = c.hpa.reconcile(now, t.observation(now))
      const bySchedule = d.limitedBy.includes('minReplicas') && d.effectiveMinReplicas > c.hpa.hpa.spec.minReplicas && d.desiredReplicas > from
      noteHpa(t, d, bySchedule ? 'schedule' : 'hpa', bySchedule ? `schedule raised minReplicas to ${d.effectiveMinReplicas}` : undefined)
      t.setDesired(d.desiredReplicas, now)
      return now + c.hpa.hpa.syncPeriodS
    }
    case 'keda': {
      const step = c.keda.reconcile(now, t.observation(now))
      const poll = step.poll
      if (poll !== undefined && poll.desiredReplicas !== from) {
        const triggers = c.keda.spec.triggers
        t.events.push({
          timeS: now,
          pool: t.name,
          autoscaler: 'keda',
          from,
          to: poll.desiredReplicas,
          metric: triggers.map((tr) => tr.metricName).join(','),
          limitedBy: [],
          reason: `${poll.reason}: ${poll.action} (${triggers.map((tr, i) => `${tr.metricName}=${poll.values[i]}, activation ${tr.activation}`).join('; ')})`,
        })
      }
      if (step.hpa !== undefined) noteHpa(t, step.hpa, 'keda')
      t.setDesired(step.desiredReplicas, now)
      return Math.max(now + 1e-9, c.keda.nextWakeS())
    }
    case 'thresholds': {
      // Signals as a dashboard shows them (4 significant digits), so reasons read "cpu 86.25 > 70".
      const values: Partial<Record<ThresholdSignal, number>> = {}
      for (const [k, v] of Object.entries(t.poolValues(now))) if (v !== undefined) values[k as ThresholdSignal] = Number(v.toPrecision(4))
      const d = c.thresholds.evaluate(now, from, values)
      const ev = scalingEventFromThresholds(t.name, d)
      let to = d.desiredReplicas
      const floor = c.schedule?.minReplicasAt(now)
      if (floor !== undefined && to < Math.min(floor, c.thresholds.spec.maxReplicas)) {
        to = Math.min(floor, c.thresholds.spec.maxReplicas)
        t.events.push({timeS: now, pool: t.name, autoscaler: 'schedule', from, to, limitedBy: ['minReplicas'], reason: `schedule raised minReplicas to ${to}`})
      } else if (ev !== undefined) t.events.push(ev)
      t.setDesired(to, now)
      return now + c.thresholds.evaluationIntervalS
    }
    default:
      return Number.POSITIVE_INFINITY
  }
}

function noteHpa(t: SyncTarget, d: HpaDecision, who: ScalingEvent['autoscaler'], reason?: string): void {
  const ev = scalingEventFromHpa(t.name, d, who)
  if (ev === undefined) return
  if (reason !== undefined) ev.reason = reason
  t.events.push(ev)
}
