/**
 * The autoscaling section of the report for one pool: its controller and settings, how the desired
 * and ready counts moved (the trajectory, scale-ups and -downs, flapping), nodes, and GPU-hours and
 * cost billed from node provisioning.
 */
import type {GpuNodePool} from '../autoscale/provisioning.js'
import {directionChanges, type ScalingEvent} from '../autoscale/scaling-stats.js'
import type {PoolAutoscalingConfig} from './autoscale-config.js'
import {type Rep, readyAt} from './pods.js'

export interface PoolAutoscalingReport {
  name: string
  autoscaler: 'hpa' | 'hpa+schedule' | 'keda' | 'thresholds' | 'thresholds+schedule' | 'none'
  syncPeriodS: number | null
  metrics: {scrapeIntervalS: number; reportDelayS: number; averagingWindowS: number}
  capacity: {gpusPerNode: number; gpuQuota: number | null; nodeProvisioningS: number; imagePullS: number; modelLoadS: number}
  replicas: {initial: number; final: number; minDesired: number; maxDesired: number; peakReady: number}
  scaleUps: number
  scaleDowns: number
  /** Times the desired count turned around (up then down, or down then up). */
  flapping: number
  nodes: {provisioned: number; peak: number}
  /** Billed from node provisioning until the node is removed (every GPU of the node). */
  gpuHours: number
  costUsd: number
  /** GPU-hours of replicas while ready: the difference is cold starts, drains and idle nodes. */
  readyGpuHours: number
  /** Calls still running on a drained replica when its termination grace period ended (retried or failed). */
  callsKilledOnScaleDown: number
  /** [timeS, desired, ready] at every change. */
  trajectory: [number, number, number][]
}

/** What a pool's runtime (PoolRuntime) kept over the run. */
export interface PoolHistory {
  name: string
  cfg: PoolAutoscalingConfig
  gpusPerReplica: number
  nodes: GpuNodePool
  metrics: {pipeline: {options: PoolAutoscalingReport['metrics']}}
  initial: number
  desired: number
  /** [time, desired] at every change of the desired count (the first at 0). */
  desiredChanges: readonly [number, number][]
  events: readonly ScalingEvent[]
  /** Every pod's ready interval, a restarted pod's old ones included. */
  all: readonly Rep[]
  provisionedNodes: number
  peakNodes: number
  killedCalls: number
}

export function poolAutoscalingReport(h: PoolHistory, endS: number): PoolAutoscalingReport {
  const c = h.cfg.controller
  const kind: PoolAutoscalingReport['autoscaler'] = c.kind === 'scheduled-hpa' ? 'hpa+schedule' : c.kind === 'thresholds' && c.schedule !== undefined ? 'thresholds+schedule' : c.kind
  const sync =
    c.kind === 'hpa'
      ? c.hpa.syncPeriodS
      : c.kind === 'scheduled-hpa'
        ? c.hpa.hpa.syncPeriodS
        : c.kind === 'keda'
          ? c.keda.hpa.syncPeriodS
          : c.kind === 'thresholds'
            ? c.thresholds.evaluationIntervalS
            : null
  const desired = h.desiredChanges.map(([, n]) => n)
  let up = 0
  let down = 0
  for (const e of h.events) {
    if (e.to > e.from) up++
    else if (e.to < e.from) down++
  }
  // Ready GPU-hours and the trajectory from the pods' ready intervals.
  let readyS = 0
  const changes = new Set<number>([0])
  for (const rep of h.all) {
    if (rep.r < 0 || !(rep.readyS < Number.POSITIVE_INFINITY)) continue
    const until = Math.min(rep.readyUntilS, endS)
    if (until > rep.readyS) readyS += until - rep.readyS
    if (rep.readyS <= endS) changes.add(rep.readyS)
    if (rep.readyUntilS <= endS) changes.add(rep.readyUntilS)
  }
  for (const [t] of h.desiredChanges) changes.add(t)
  const trajectory: [number, number, number][] = []
  let di = 0
  let cur = h.initial
  let peakReady = 0
  for (const t of [...changes].sort((a, b) => a - b)) {
    while (di < h.desiredChanges.length && h.desiredChanges[di][0] <= t) cur = h.desiredChanges[di++][1]
    const ready = readyAt(h.all, t)
    if (ready > peakReady) peakReady = ready
    const last = trajectory.at(-1)
    if (last !== undefined && last[1] === cur && last[2] === ready) continue
    if (last !== undefined && last[0] === t) trajectory.pop()
    trajectory.push([t, cur, ready])
  }
  const o = h.nodes.options
  const m = h.metrics.pipeline.options
  return {
    name: h.name,
    autoscaler: kind,
    syncPeriodS: sync,
    metrics: {scrapeIntervalS: m.scrapeIntervalS, reportDelayS: m.reportDelayS, averagingWindowS: m.averagingWindowS},
    capacity: {gpusPerNode: o.gpusPerNode, gpuQuota: o.quotaGpus ?? null, nodeProvisioningS: o.nodeProvisionS, imagePullS: o.imagePullS, modelLoadS: o.modelLoadS},
    replicas: {initial: h.initial, final: h.desired, minDesired: Math.min(...desired), maxDesired: Math.max(...desired), peakReady},
    scaleUps: up,
    scaleDowns: down,
    flapping: directionChanges(desired),
    nodes: {provisioned: h.provisionedNodes, peak: h.peakNodes},
    gpuHours: h.nodes.billedGpuSeconds(endS) / 3600,
    costUsd: h.nodes.costUsd(endS),
    readyGpuHours: (readyS * h.gpusPerReplica) / 3600,
    callsKilledOnScaleDown: h.killedCalls,
    trajectory,
  }
}
