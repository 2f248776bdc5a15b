/**
 * Tune a pool's autoscaler: minReplicas from the daily trough, maxReplicas from the peak plus what a
 * cold start lets the load climb, a per-replica in-flight target from the verified peak simulation,
 * and behavior with a scale-down window longer than a cold start. Where the curve is strongly
 * periodic and the HPA alone would lag, a predictive minimum-replica schedule
 * (src/autoscale/schedule.ts) is added. These choices are made on a fluid estimate (`fluidEstimate`,
 * an analytic pre-filter, not a controller); the settings are then checked by simulating the whole
 * day with the HPA object we write as the scenario's autoscaler (src/planner/hpa-day.ts), where the
 * simulator's controller — the one HPA loop fleetcap has — runs it.
 */
import {type MinReplicaScheduleObject, parseMinReplicaSchedule} from '../autoscale/schedule.js'
import type {ManifestObject} from '../plan/load.js'
import type {AutoscalerSettings} from './manifests.js'

export interface AutoscalePoolInput {
  pool: string
  /** Replicas verified at the sized peak. */
  replicas: number
  /** Most replicas the GPU limit allows. */
  maxAllowed?: number
  pricePerHourUsd: number
  coldStartS: number
  /** Calls per second one replica completes at a full batch (analytic). */
  callsPerSPerReplica: number
  /** Most calls one replica runs at once. */
  batch: number
  /** Mean calls in flight per replica at the sized peak (simulated). */
  inflightAtPeak: number
  /** Mean call latency at the sized peak, seconds (simulated). */
  callE2eS: number
  /** The pool's calls per second over the day, at the sizing quantile without headroom. */
  rateAt: (tS: number) => number
  headroom: number
  metric: string
  /** Queue wait the fluid model may show before the settings are rejected (the TTFT SLO). */
  maxWaitS: number
  /** The load curve is strongly periodic (daily peak / trough ≥ 1.5): a schedule may help. */
  periodic: boolean
}

export interface FluidResult {
  /** Fraction of the day's calls that arrived while demand exceeded the ready replicas. */
  delayedFraction: number
  /** Longest estimated queue wait, seconds. */
  maxWaitS: number
  /** Replica-hours over the measured day × price. */
  costPerDayUsd: number
  minReady: number
  maxReplicasReached: number
  scaleEvents: number
  ok: boolean
  /** False with --fast: an ideal HPA (replicas = what the curve needs, no lag) instead of the fluid estimate. */
  checked: boolean
}

export interface AutoscalePlan {
  settings: AutoscalerSettings
  schedule?: MinReplicaScheduleObject
  fluid: FluidResult
  /** Same pool held at `replicas` all day. */
  staticCostPerDayUsd: number
  notes: string[]
}

const SYNC_S = 15
const DAY_S = 86_400
const WARMUP_S = 6 * 3600

export function tuneAutoscaler(p: AutoscalePoolInput, options: {check?: boolean} = {}): AutoscalePlan {
  const notes: string[] = []
  // At the forecast peak (no headroom) the HPA should hold the verified count: target = in-flight per
  // replica there, i.e. the sized peak's figure scaled down by the headroom.
  const target = Math.max(1, Math.floor(p.inflightAtPeak / (1 + p.headroom)))
  let peak = 0
  let trough = Number.POSITIVE_INFINITY
  let rise = 0
  for (let t = 0; t < DAY_S; t += 300) {
    const r = p.rateAt(t)
    peak = Math.max(peak, r)
    trough = Math.min(trough, r)
    rise = Math.max(rise, p.rateAt(t + p.coldStartS + 2 * SYNC_S) - r)
  }
  const perReplica = (rate: number) => (rate * p.callE2eS) / target
  let minReplicas = Math.max(1, Math.ceil(perReplica(trough)))
  const cover = Math.ceil(perReplica(rise))
  let maxReplicas = Math.max(p.replicas, Math.ceil(perReplica(peak))) + Math.max(1, cover)
  if (p.maxAllowed !== undefined && maxReplicas > p.maxAllowed) {
    notes.push(`maxReplicas capped at ${p.maxAllowed} by the GPU limit (cold-start cover wanted ${maxReplicas})`)
    maxReplicas = Math.max(p.replicas, p.maxAllowed)
  }
  minReplicas = Math.min(minReplicas, maxReplicas)
  const settings = (min: number): AutoscalerSettings => ({
    minReplicas: min,
    maxReplicas,
    metric: p.metric,
    targetAverageValue: target,
    scaleUp: {stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{type: 'Pods', value: 4, periodSeconds: 60}, {type: 'Percent', value: 100, periodSeconds: 60}]},
    // Releasing a replica that a cold start of coldStartS would have to bring back: wait longer than that.
    scaleDown: {stabilizationWindowSeconds: Math.max(300, Math.ceil(p.coldStartS / 60) * 60 + 300), selectPolicy: 'Min', policies: [{type: 'Percent', value: 10, periodSeconds: 60}]},
  })
  let s = settings(minReplicas)
  if (options.check === false) {
    return {settings: s, fluid: idealHpa(p, s), staticCostPerDayUsd: p.replicas * p.pricePerHourUsd * 24, notes: ['not estimated with cold starts, nor simulated with the HPA (--fast)']}
  }
  let fluid = fluidEstimate(p, s)
  let schedule: MinReplicaScheduleObject | undefined
  if (!fluid.ok && p.periodic) {
    schedule = predictiveSchedule(p, target, s.minReplicas, maxReplicas)
    const withSchedule = fluidEstimate(p, s, schedule)
    notes.push(`HPA alone: ${pct(fluid.delayedFraction)} of calls arrive while the pool is short (cold start ${Math.round(p.coldStartS)} s); a predictive minReplicas schedule raises the floor one cold start ahead of the curve`)
    fluid = withSchedule
  }
  while (!fluid.ok && s.minReplicas < maxReplicas) {
    s = settings(Math.min(maxReplicas, s.minReplicas + Math.max(1, Math.ceil(p.replicas / 4))))
    fluid = fluidEstimate(p, s, schedule)
    if (fluid.ok) notes.push(`minReplicas raised to ${s.minReplicas} so the pool never falls behind the curve`)
  }
  const staticCost = p.replicas * p.pricePerHourUsd * 24
  if (fluid.costPerDayUsd > staticCost * 1.001 && maxReplicas > p.replicas) {
    // Scaling with this cold start costs more than it saves (the HPA overshoots while replicas load):
    // hold the verified size instead.
    notes.push(`autoscaling would cost ${money(fluid.costPerDayUsd)}/day against ${money(staticCost)}/day for ${p.replicas} replicas held all day (it overshoots while ${Math.round(p.coldStartS)} s cold starts finish): the pool is held at ${p.replicas}`)
    s = {...settings(p.replicas), maxReplicas: p.replicas}
    schedule = undefined
    fluid = fluidEstimate(p, s)
  }
  if (!fluid.ok) notes.push(`even at minReplicas = maxReplicas the fluid model shows ${pct(fluid.delayedFraction)} of calls delayed (longest wait ${Math.round(fluid.maxWaitS)} s)`)
  return {settings: s, ...(schedule ? {schedule} : {}), fluid, staticCostPerDayUsd: staticCost, notes}
}

/** The HPA object we write: the manifest, and the day scenario's autoscaler (src/planner/hpa-day.ts). */
export function hpaObject(pool: string, s: AutoscalerSettings): ManifestObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {name: pool},
    spec: {
      scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: pool},
      minReplicas: s.minReplicas,
      maxReplicas: s.maxReplicas,
      metrics: [{type: 'Pods', pods: {metric: {name: s.metric}, target: {type: 'AverageValue', averageValue: String(s.targetAverageValue)}}}],
      behavior: {scaleUp: s.scaleUp, scaleDown: s.scaleDown},
    },
  }
}

/** Hourly floors, each the replicas the curve needs one cold start (plus two syncs) later. */
function predictiveSchedule(p: AutoscalePoolInput, target: number, min: number, max: number): MinReplicaScheduleObject {
  const lead = p.coldStartS + 2 * SYNC_S
  const windows: NonNullable<MinReplicaScheduleObject['windows']> = []
  for (let h = 0; h < 24; h++) {
    let need = 0
    for (let t = h * 3600; t < (h + 1) * 3600; t += 300) need = Math.max(need, p.rateAt(t + lead))
    const floor = Math.min(max, Math.ceil((need * p.callE2eS) / target))
    if (floor <= min) continue
    const hh = String(h).padStart(2, '0')
    const end = String((h + 1) % 24).padStart(2, '0')
    const last = windows.at(-1)
    if (last && last.minReplicas === floor && last.end === `${hh}:00`) last.end = `${end}:00`
    else windows.push({start: `${hh}:00`, end: `${end}:00`, minReplicas: floor})
  }
  return {utcOffsetMinutes: 0, windows}
}

/** What an HPA with no lag would keep: the curve's need every 5 minutes, within [min, max]. */
function idealHpa(p: AutoscalePoolInput, s: AutoscalerSettings): FluidResult {
  let replicaS = 0
  let lo = Number.POSITIVE_INFINITY
  let hi = 0
  for (let t = 0; t < DAY_S; t += 300) {
    const n = Math.min(s.maxReplicas, Math.max(s.minReplicas, Math.ceil((p.rateAt(t) * p.callE2eS) / s.targetAverageValue)))
    replicaS += n * 300
    lo = Math.min(lo, n)
    hi = Math.max(hi, n)
  }
  return {delayedFraction: 0, maxWaitS: 0, costPerDayUsd: (replicaS / 3600) * p.pricePerHourUsd, minReady: lo, maxReplicasReached: hi, scaleEvents: 0, ok: true, checked: false}
}

interface Pod {
  createdS: number
  readyS: number
}

/**
 * The fluid pre-filter: a cheap analytic estimate of whether settings keep up with the curve, used to
 * choose them (a schedule, a higher floor) before the one check that counts, the whole day simulated
 * with the HPA as the scenario's autoscaler (src/planner/hpa-day.ts, run by src/sim/autoscaling.ts).
 * It is not an HPA controller: no tolerance, no scaling policies, no missing-pod rules. Every 15 s
 * the pool wants the calls it would hold (arrivals × call latency, plus its queue) ÷ the target, within
 * [floor, max]; it drops below that no sooner than the scale-down stabilization window allows; new
 * replicas take work a cold start later; demand above the ready replicas' capacity queues. Six hours
 * of warm-up before the measured day. Deterministic: no randomness.
 */
export function fluidEstimate(p: AutoscalePoolInput, s: AutoscalerSettings, schedule?: MinReplicaScheduleObject): FluidResult {
  // Time t runs from 0 (18:00 of the day before); the schedule's clock starts there.
  const floorAt = schedule ? parseMinReplicaSchedule(schedule, DAY_S - WARMUP_S) : undefined
  const floor = (t: number): number => Math.max(s.minReplicas, floorAt?.minReplicasAt(t) ?? 0)
  let pods: Pod[] = Array.from({length: Math.min(s.maxReplicas, floor(0))}, () => ({createdS: 0, readyS: 0}))
  const window = s.scaleDown.stabilizationWindowSeconds ?? 300
  const recent: Array<{t: number; want: number}> = []
  let queue = 0
  let arrived = 0
  let delayed = 0
  let maxWait = 0
  let replicaS = 0
  let minReady = Number.POSITIVE_INFINITY
  let maxReached = 0
  let events = 0
  for (let t = 0; t < WARMUP_S + DAY_S; t += SYNC_S) {
    const rate = p.rateAt((t - WARMUP_S + DAY_S) % DAY_S)
    const ready = pods.filter((x) => x.readyS <= t).length
    const capacity = ready * p.callsPerSPerReplica
    queue = Math.max(0, queue + (rate - capacity) * SYNC_S)
    const measured = t >= WARMUP_S
    if (measured) {
      arrived += rate * SYNC_S
      if (queue > 0) delayed += rate * SYNC_S
      if (queue > 0) maxWait = Math.max(maxWait, capacity > 0 ? queue / capacity : Number.POSITIVE_INFINITY)
      replicaS += pods.length * SYNC_S
      minReady = Math.min(minReady, ready)
      maxReached = Math.max(maxReached, pods.length)
    }
    const want = Math.min(s.maxReplicas, Math.max(floor(t), Math.ceil((rate * p.callE2eS + queue) / s.targetAverageValue)))
    recent.push({t, want})
    while (recent.length > 0 && recent[0].t <= t - window) recent.shift()
    // Up at once; down only to the highest want of the stabilization window.
    const desired = want >= pods.length ? want : Math.max(want, ...recent.map((r) => r.want))
    if (desired > pods.length) {
      for (let k = pods.length; k < desired; k++) pods.push({createdS: t, readyS: t + p.coldStartS})
      if (measured) events++
    } else if (desired < pods.length) {
      // Not-ready replicas go first, then the newest (the ReplicaSet's order).
      pods = [...pods].sort((a, b) => Number(a.readyS > t) - Number(b.readyS > t) || a.createdS - b.createdS).slice(0, desired)
      if (measured) events++
    }
  }
  const delayedFraction = arrived > 0 ? delayed / arrived : 0
  return {
    delayedFraction,
    maxWaitS: maxWait,
    costPerDayUsd: (replicaS / 3600) * p.pricePerHourUsd,
    minReady: Number.isFinite(minReady) ? minReady : 0,
    maxReplicasReached: maxReached,
    scaleEvents: events,
    ok: delayedFraction <= 0.01 && maxWait <= p.maxWaitS,
    checked: true,
  }
}

function money(x: number): string {
  return `$${Math.round(x)}`
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`
}
