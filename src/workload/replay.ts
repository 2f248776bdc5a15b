/**
 * Trace replay as a workload: the trace's tasks, sped up or slowed down (rateScale, or the scale
 * that reaches targetTasksPerDay), optionally looped to fill a duration, cut at the duration.
 */
import {resolve} from 'node:path'

import {FleetcapError, InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {readTrace, type TraceReadOptions} from './read-trace.js'
import type {TraceWorkloadSpec} from './spec.js'
import type {Task} from './types.js'

export interface ReplayContext {
  baseDir: string
  durationS?: number
  chunkSize?: number
}

export function traceReadOptions(spec: TraceWorkloadSpec, chunkSize?: number): TraceReadOptions {
  return {
    format: spec.format,
    mapping: spec.mapping,
    timeUnit: spec.timeUnit,
    skipInvalid: spec.skipInvalid,
    reorderWindowS: spec.reorderWindowS,
    defaultPriority: spec.defaultPriority,
    defaultTaskType: spec.defaultTaskType,
    chunkSize,
  }
}

export async function* replayTrace(spec: TraceWorkloadSpec, ctx: ReplayContext): AsyncGenerator<readonly Task[]> {
  const path = resolve(ctx.baseDir, spec.path)
  // Replayed tasks are simulated: each needs a size (tokens or a service time).
  const options = {...traceReadOptions(spec, ctx.chunkSize), requireSize: true}
  const durationS = spec.durationS ?? ctx.durationS
  if (spec.loop && durationS === undefined) {
    throw new FleetcapError('workload.loop: looping a trace needs durationS (in the workload or the scenario)')
  }
  let scale = spec.rateScale ?? 1
  if (spec.targetTasksPerDay !== undefined) {
    // A first pass to learn the trace's mean rate (streamed; only counts are kept).
    const probe = readTrace(path, options)
    let tasks = 0
    let first = Number.NaN
    let last = Number.NaN
    for await (const chunk of probe.tasks()) {
      if (Number.isNaN(first)) first = chunk[0].arrivalS
      last = chunk[chunk.length - 1].arrivalS
      tasks += chunk.length
    }
    if (tasks < 2 || !(last > first)) {
      throw new FleetcapError(`${spec.path}: targetTasksPerDay needs a trace with at least two distinct arrival times`)
    }
    const perDay = ((tasks - 1) / (last - first)) * 86_400
    scale = spec.targetTasksPerDay / perDay
    if (scale > LIMITS.rateScale || scale < 1 / LIMITS.rateScale) {
      throw new InputError({field: 'workload.targetTasksPerDay'}, `would replay the trace ${scale.toPrecision(3)} times as fast as it ran (${perDay.toPrecision(3)} tasks/day); at most ${LIMITS.rateScale.toLocaleString('en-US')} times faster or slower`)
    }
  }
  let id = 0
  let offset = 0
  for (;;) {
    const reader = readTrace(path, options)
    let first = Number.NaN
    let last = Number.NaN
    let count = 0
    for await (const chunk of reader.tasks()) {
      const out: Task[] = []
      for (const t of chunk) {
        if (Number.isNaN(first)) first = t.arrivalS
        last = t.arrivalS
        count++
        const arrivalS = offset + t.arrivalS / scale
        if (durationS !== undefined && arrivalS >= durationS) break
        t.id = id++
        t.arrivalS = arrivalS
        out.push(t)
      }
      if (out.length > 0) yield out
      if (out.length < chunk.length) return
    }
    if (!spec.loop || count === 0) return
    // One loop lasts the trace's span plus one mean gap, so the last and first tasks do not collide.
    const span = (last - first) / scale
    const period = count > 1 ? span + span / (count - 1) : 1
    if (!(period > 0)) return
    offset += period
    if (durationS !== undefined && offset >= durationS) return
  }
}
