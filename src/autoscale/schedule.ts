import {z} from 'zod'

import {InputError} from '../errors.js'
import {createHpaController, type HpaController, type HpaControllerOptions, type HpaDecision, type HpaObservation} from './hpa.js'
import type {HpaSpec} from './hpa-schema.js'
import {locationFor, parseWith, type YamlSource, YamlText} from './yaml-input.js'

/**
 * A schedule of minimum replicas over time (predictive scaling: the planner writes one from a
 * forecast; people write daily windows by hand), combined with an HPA the way clusters do it: a
 * CronJob (or the planner's executor) patches the HPA's spec.minReplicas when the schedule changes.
 * The HPA then takes the new floor at its next sync: raising it above the current size goes
 * straight to the floor (the controller's "below Spec.MinReplicas" branch, no rate limit); lowering
 * it lets the metrics scale down through the usual stabilization window and policies.
 * (KEDA's cron scaler is the other common way; it acts as one more metric, so it would be subject
 * to the scale-up policies. fleetcap models the minReplicas patch.)
 */

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const

export const minReplicaScheduleSchema = z.strictObject({
  /** Daily windows are read at this fixed offset from UTC (no time-zone database: no DST). */
  utcOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60).optional(),
  windows: z
    .array(
      z.strictObject({
        days: z.array(z.enum(DAYS)).min(1).optional(),
        start: hhmm,
        /** An end at or before the start runs past midnight into the next day. */
        end: hhmm,
        minReplicas: z.number().int().nonnegative(),
      }),
    )
    .optional(),
  /** Step changes: from `at` on, the floor is minReplicas (seconds from the scenario start, or an ISO-8601 time). */
  points: z
    .array(z.strictObject({at: z.union([z.number().nonnegative(), z.string()]), minReplicas: z.number().int().nonnegative()}))
    .optional(),
})

export type MinReplicaScheduleObject = z.output<typeof minReplicaScheduleSchema>

interface Window {
  days: boolean[]
  startMin: number
  endMin: number
  minReplicas: number
}

export class MinReplicaSchedule {
  private readonly windows: Window[]
  private readonly pointTimes: Float64Array
  private readonly pointValues: Int32Array
  private readonly offsetS: number
  private readonly startEpochS: number

  /** `startEpochS`: the wall-clock time (Unix seconds) of simulation time 0. */
  constructor(obj: MinReplicaScheduleObject, startEpochS: number, source: YamlSource & {text?: YamlText} = {}) {
    this.startEpochS = startEpochS
    this.offsetS = (obj.utcOffsetMinutes ?? 0) * 60
    const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3))
    this.windows = (obj.windows ?? []).map((w) => ({
      days: DAYS.map((d) => w.days === undefined || w.days.includes(d)),
      startMin: minutes(w.start),
      endMin: minutes(w.end),
      minReplicas: w.minReplicas,
    }))
    const points = (obj.points ?? []).map((p, i) => {
      let at: number
      if (typeof p.at === 'number') at = p.at
      else {
        const ms = Date.parse(p.at)
        if (!/(Z|[+-]\d\d:?\d\d)$/.test(p.at) || Number.isNaN(ms)) {
          throw new InputError(locationFor(['points', i, 'at'], {text: source.text, source}), `"${p.at}" is not an ISO-8601 time with a UTC offset (e.g. 2026-11-24T08:00:00Z)`)
        }
        at = ms / 1000 - startEpochS
      }
      return {at, minReplicas: p.minReplicas}
    })
    points.sort((a, b) => a.at - b.at)
    this.pointTimes = Float64Array.from(points, (p) => p.at)
    this.pointValues = Int32Array.from(points, (p) => p.minReplicas)
  }

  /** The scheduled floor at simulation time `tS`, or undefined when nothing is scheduled then. */
  minReplicasAt(tS: number): number | undefined {
    let floor: number | undefined
    // Latest point at or before t (binary search over sorted times).
    let lo = 0
    let hi = this.pointTimes.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.pointTimes[mid] <= tS) lo = mid + 1
      else hi = mid
    }
    if (lo > 0) floor = this.pointValues[lo - 1]
    if (this.windows.length > 0) {
      const local = this.startEpochS + tS + this.offsetS
      const dayIndex = Math.floor(local / 86_400)
      const weekday = (((dayIndex + 4) % 7) + 7) % 7 // 1970-01-01 was a Thursday
      const minute = Math.floor((local - dayIndex * 86_400) / 60)
      for (const w of this.windows) {
        const wraps = w.endMin <= w.startMin
        const active = wraps
          ? (minute >= w.startMin && w.days[weekday]) || (minute < w.endMin && w.days[(weekday + 6) % 7])
          : minute >= w.startMin && minute < w.endMin && w.days[weekday]
        if (active && (floor === undefined || w.minReplicas > floor)) floor = w.minReplicas
      }
    }
    return floor
  }
}

export function parseMinReplicaSchedule(value: unknown, startEpochS: number, source: YamlSource & {text?: YamlText} = {}): MinReplicaSchedule {
  return new MinReplicaSchedule(parseWith(minReplicaScheduleSchema, value, {text: source.text, source}), startEpochS, source)
}

export function parseMinReplicaScheduleYaml(text: string, startEpochS: number, source: YamlSource = {}): MinReplicaSchedule {
  const yaml = new YamlText(text, source)
  return parseMinReplicaSchedule(yaml.value, startEpochS, {...source, text: yaml})
}

export interface ScheduledHpaDecision extends HpaDecision {
  /** The minReplicas the HPA had at this sync (spec value raised by the schedule, capped at max). */
  effectiveMinReplicas: number
}

/** An HPA whose minReplicas a schedule patches over time. */
export class ScheduledHpa {
  readonly hpa: HpaController
  readonly schedule: MinReplicaSchedule

  constructor(spec: HpaSpec, schedule: MinReplicaSchedule, options: HpaControllerOptions = {}) {
    this.hpa = createHpaController(spec, options)
    this.schedule = schedule
  }

  effectiveMinReplicasAt(tS: number): number {
    const spec = this.hpa.spec
    return Math.min(spec.maxReplicas, Math.max(spec.minReplicas, this.schedule.minReplicasAt(tS) ?? 0))
  }

  reconcile(nowS: number, obs: HpaObservation): ScheduledHpaDecision {
    const effectiveMinReplicas = this.effectiveMinReplicasAt(nowS)
    return {...this.hpa.reconcile(nowS, obs, {minReplicas: effectiveMinReplicas}), effectiveMinReplicas}
  }
}
