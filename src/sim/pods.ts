/**
 * One pod of an autoscaled pool as the cluster sees it (autoscaling.ts keeps them), the pool's
 * replica columns of the time series, and its ready count over time read back from the pods' ready
 * intervals (failure recovery, the report's trajectory).
 */
import type {FleetModel} from './fleet-model.js'
import {ReplicaState} from './types.js'

// A pod's state.
export const WAITING = 0 // no GPU yet (quota): an unschedulable Pending pod
export const PLACED = 1 // on a node: pulling, loading or ready
export const DRAINING = 2
export const GONE = 3

export interface Rep {
  /** GpuNodePool replica id (changes when a waiting pod is re-requested). */
  id: number
  /** FleetModel replica index; -1 while waiting for a GPU. */
  r: number
  name: string
  requestedS: number
  nodeReadyS: number
  imageReadyS: number
  readyS: number
  state: number
  /** When it stopped taking work (drain start, loss); +Infinity while it may. */
  readyUntilS: number
  restarts: number
  lastBusyS: number
  lastScrapeS: number
  keys: string[]
}

/** Ready count at `t` from the pods' ready intervals (every interval ever, a restarted pod's old ones included). */
export function readyAt(all: readonly Rep[], t: number): number {
  let n = 0
  for (const rep of all) if (rep.r >= 0 && rep.readyS <= t && t < rep.readyUntilS) n++
  return n
}

/** Seconds from `fromS` until the ready count is at least `baseline` again; undefined if never (before endS). */
export function recoveryTime(all: readonly Rep[], fromS: number, baseline: number, endS: number): number | undefined {
  const times = new Set<number>()
  for (const rep of all) {
    if (rep.r < 0) continue
    if (rep.readyS >= fromS && rep.readyS <= endS) times.add(rep.readyS)
    if (rep.readyUntilS >= fromS && rep.readyUntilS <= endS) times.add(rep.readyUntilS)
  }
  times.add(fromS)
  let dipped = false
  for (const t of [...times].sort((a, b) => a - b)) {
    const n = readyAt(all, t)
    if (n < baseline) dipped = true
    else if (dipped) return t - fromS
  }
  return dipped ? undefined : 0
}

/** A pod just requested (no GPU yet); keys: its metric series keys. */
export function newPod(id: number, name: string, nowS: number, keys: string[]): Rep {
  return {
    id,
    r: -1,
    name,
    requestedS: nowS,
    nodeReadyS: Number.POSITIVE_INFINITY,
    imageReadyS: Number.POSITIVE_INFINITY,
    readyS: Number.POSITIVE_INFINITY,
    state: WAITING,
    readyUntilS: Number.POSITIVE_INFINITY,
    restarts: 0,
    lastBusyS: 0,
    lastScrapeS: 0,
    keys,
  }
}

const SERIES = ['desired', 'ready', 'starting', 'draining', 'nodes'] as const

/** The time-series columns of pool `name`'s replicas and nodes. */
export function podSeriesColumns(name: string): string[] {
  return SERIES.map((s) => (s === 'nodes' ? `nodes_${name}` : `replicas_${s}_${name}`))
}

/** Append the pool's row: desired, ready, starting, draining replicas, and live nodes. */
export function writePodSeries(model: FleetModel, reps: readonly Rep[], desired: number, liveNodes: number, row: number[]): void {
  let ready = 0
  let starting = 0
  let draining = 0
  for (const rep of reps) {
    if (rep.state === DRAINING) draining++
    else if (rep.state === WAITING) starting++
    else if (model.replicaState(rep.r) === ReplicaState.READY) ready++
    else starting++
  }
  row.push(desired, ready, starting, draining, liveNodes)
}
