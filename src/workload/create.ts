/**
 * createWorkload: the one entry the simulator and planner call to turn a validated `workload:`
 * spec into a chunked task stream. Deterministic for a seed: every draw comes from ctx.rng's named
 * streams ("arrivals", "bursts", "tokens", "tokens-fit", "mix", "agent", "service").
 */
import type {RandomStreams} from '../engine/random.js'
import {replayTrace} from './replay.js'
import type {WorkloadSpec} from './spec.js'
import {SyntheticWorkload} from './synthetic.js'
import type {TaskStream} from './types.js'

export interface WorkloadContext {
  /** Directory that relative paths in the spec resolve against (the scenario file's). */
  baseDir: string
  rng: RandomStreams
  /** The scenario's duration: used when the spec sets none (synthetic, looped trace). */
  durationS?: number
  /** Tasks per chunk; default 4096. */
  chunkSize?: number
}

/** The spec's tasks in arrival order, in chunks. Iterate once. */
export function createWorkload(spec: WorkloadSpec, ctx: WorkloadContext): TaskStream {
  if (spec.kind === 'synthetic') return new SyntheticWorkload(spec, ctx)
  return replayTrace(spec, ctx)
}
