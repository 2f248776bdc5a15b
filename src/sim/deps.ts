/**
 * PLACEHOLDER (workload half) until the workload area is merged: how a scenario's workload becomes a
 * task stream.
 */
import type {RandomStreams} from '../engine/random.js'
import {FleetcapError} from '../errors.js'
import type {WorkloadSpec} from '../scenario/workload-schema.js'
import type {TaskStream} from '../workload/types.js'

export function createTaskStream(_spec: WorkloadSpec, _ctx: {baseDir: string; rng: RandomStreams; durationS?: number}): TaskStream {
  throw new FleetcapError('workload generation is not available in this build')
}
