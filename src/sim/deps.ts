/**
 * PLACEHOLDER until the workload and profiles areas are merged: how a scenario's workload becomes a
 * task stream and how an LLM pool's (model, GPU, TP) becomes a serving profile.
 */
import type {RandomStreams} from '../engine/random.js'
import {FleetcapError} from '../errors.js'
import type {ServingProfile} from '../fleet/types.js'
import type {WorkloadSpec} from '../scenario/workload-schema.js'
import type {TaskStream} from '../workload/types.js'

export function createTaskStream(_spec: WorkloadSpec, _ctx: {baseDir: string; rng: RandomStreams; durationS?: number}): TaskStream {
  throw new FleetcapError('workload generation is not available in this build')
}

export function resolveProfile(_opts: {model: string; gpu: string; tensorParallel?: number; pricePerGpuHourUsd?: number}): ServingProfile {
  throw new FleetcapError('serving profiles are not available in this build')
}
