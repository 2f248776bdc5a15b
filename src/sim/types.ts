import type {StepCostModel} from '../fleet/types.js'
import type {RoutingPolicy} from '../scenario/routing.js'
import type {SchedulerSettings} from './kv-blocks.js'
import type {Priority} from '../workload/types.js'

/** What the simulator needs of a served model on a replica: the step cost and the batch limits. */
export interface LlmReplicaModel extends StepCostModel {
  kvCacheTokens: number
  maxBatchSeqs: number
  maxBatchTokens: number
  /** How the engine admits KV when the scenario does not say (TensorRT-LLM GUARANTEED_NO_EVICT: reserve); default paged. */
  kvAdmission?: 'paged' | 'reserve'
}

interface PoolCommon {
  name: string
  /** Replicas created (ready) at t = 0. */
  replicas: number
  /** GPUs one replica occupies (for GPU-hours). */
  gpusPerReplica: number
  /** Price of one replica per hour, USD. */
  pricePerHourUsd: number
  /** Routing weight of each replica of this pool (weighted policy); defaults to its capacity. */
  weight?: number
  /** Task types this pool is specialised for (score policy's type match). */
  taskTypes?: readonly string[]
  /** Seconds from a new replica's start to ready (model load); used when replicas are added at runtime. */
  coldStartS?: number
  gpu?: string
  model?: string
}

/** A pool of LLM replicas doing continuous batching. */
export interface LlmPoolConfig extends PoolCommon {
  kind: 'llm'
  serving: LlmReplicaModel
  /** Serving-profile id, reported as is. */
  profileId?: string
  /**
   * Keep an agent chain's context in the replica's KV cache between its calls (vLLM's automatic
   * prefix caching, on by default in vLLM V1): a next call on the same replica prefills only what
   * its prompt adds. Off by default.
   */
  prefixCache?: boolean
  /** How replicas allocate KV cache (default: paged, blocks of 16 tokens, as vLLM). */
  scheduler?: Partial<SchedulerSettings>
}

/** A pool of generic servers: each replica serves `slots` tasks at once, each for its serviceTimeS. */
export interface GenericPoolConfig extends PoolCommon {
  kind: 'generic'
  slots: number
}

export type PoolConfig = LlmPoolConfig | GenericPoolConfig

// The policies are the scenario's vocabulary (scenario/ never imports sim/); re-exported for the sim's readers.
export {ROUTING_POLICIES, type RoutingPolicy} from '../scenario/routing.js'

export interface ScoreWeights {
  /** Weight of the type match: 1 when the replica's pool lists the task's type, ½ for a pool with no list, 0 otherwise. */
  typeMatch: number
  /** Weight of 1 / (1 + outstanding calls). */
  load: number
  /** Weight of recent performance: best EWMA latency / this replica's EWMA latency. */
  performance: number
}

export interface RoutingConfig {
  policy: RoutingPolicy
  /** Score policy weights; default the seeds' load balancer: 0.5, 0.3, 0.2. */
  score?: ScoreWeights
  /** Smoothing of the per-replica latency EWMA (score policy); default 0.1. */
  ewmaAlpha?: number
}

export interface QueueConfig {
  /** Largest number of waiting calls; an arrival beyond it is rejected. Unbounded by default. */
  maxDepth?: number
  /** Longest a call may wait in the queue before it is dropped, per priority (seconds). */
  deadlineS?: Partial<Record<Priority, number>>
}

export interface FleetModelConfig {
  pools: readonly PoolConfig[]
  routing: RoutingConfig
  queue: QueueConfig
  /** Arrivals are taken in [0, durationS); the run then drains what is in flight. */
  durationS: number
  /** Time-series sampling interval, seconds. */
  sampleIntervalS: number
  /** Latency targets whose attainment (fraction of values at or below) is counted, per metric. */
  sloThresholdsS?: Partial<Record<import('./metrics.js').MetricName, number>>
  /**
   * Called at every sample (after the time-series row is written): the hook where a controller such
   * as an autoscaler reads the fleet and calls addReplica / drainReplica.
   */
  onSample?: (model: import('./fleet-model.js').FleetModel, now: number) => void
  /** Called when a replica is gone (drained, or lost); a controller must not change the fleet inside it. */
  onReplicaGone?: (replica: number, now: number) => void
  /**
   * Called when a call completes, with its task, its index among the task's calls, and the times it
   * was issued, gave its first token (LLM calls; the issue time otherwise) and finished: per-request
   * comparisons with a measurement (fleetcap calibrate) join on it. Unset in ordinary runs.
   */
  onCallComplete?: (task: import('../workload/types.js').Task, call: number, issueS: number, firstTokenS: number, endS: number) => void
  /** More time-series columns (e.g. replicas per pool), written at every sample after the model's own. */
  extraSeries?: {columns: readonly string[]; write: (now: number, row: number[]) => void}
}

/** Lifecycle of a replica. Only READY replicas receive new work. */
export const ReplicaState = {
  PROVISIONING: 0,
  LOADING: 1,
  READY: 2,
  DRAINING: 3,
  GONE: 4,
} as const
export type ReplicaState = (typeof ReplicaState)[keyof typeof ReplicaState]
