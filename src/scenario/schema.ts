/**
 * The scenario file: what to simulate. YAML, validated here with zod at the edge; the JSON Schema
 * for editors (schemas/scenario.schema.json) is generated from this file by `z.toJSONSchema`.
 */
import {z} from 'zod'

import {SloSchema} from '../slo/schema.js'

import {LIMITS} from '../limits.js'
import {ROUTING_POLICIES} from './routing.js'
import {KV_ALLOCATIONS} from './scheduler.js'
import {PRIORITIES} from '../workload/types.js'
import {DurationSchema, PositiveDurationSchema, WorkloadSpecSchema} from '../workload/spec.js'
import {AutoscalerSchema, CapacitySchema, FailuresSchema} from './autoscale-schema.js'
import {ENGINES, KV_PRECISIONS, WEIGHT_PRECISIONS} from '../fleet/profiles/precision.js'

const positive = (what: string) => z.number().positive().describe(what)

export const PoolSchedulerSchema = z
  .strictObject({
    kvAllocation: z
      .enum(KV_ALLOCATIONS)
      .optional()
      .describe('"paged" (default, as vLLM and TensorRT-LLM run): KV blocks taken as a call grows; when the cache is full the newest sequence is preempted and recomputed. "reserve": a call\'s prompt and whole output reserved at admission (never preempts, admits fewer).'),
    blockTokens: z.number().int().min(1).max(4096).optional().describe('Tokens per KV block (vLLM block_size; default 16).'),
    maxNumSeqs: z.number().int().positive().optional().describe('Most sequences in one batch (vLLM max_num_seqs); default the serving profile\'s.'),
    maxNumBatchedTokens: z.number().int().positive().optional().describe('Most tokens one step processes, decode and prefill chunks together (vLLM max_num_batched_tokens); default the serving profile\'s.'),
  })
  .describe('The replicas\' scheduler (vLLM V1\'s settings); the profile\'s values where left out.')

/** Weights and KV-cache precision of a pool's profile (bf16 is fp16's width). */
export const PoolPrecisionSchema = z
  .strictObject({
    weights: z.enum([...WEIGHT_PRECISIONS, 'bf16']).describe('Weight precision: fp16/bf16 (default), fp8, int8 (W8A8), int4 (weight-only), fp4.'),
    kv: z.enum([...KV_PRECISIONS, 'bf16']).optional().describe('KV-cache precision: fp16/bf16 (default; fp8 for a TensorRT-LLM fp8/fp4 engine), fp8, int8.'),
  })
  .describe('Precision of the served model (default fp16 weights and KV cache).')

export const LlmPoolSchema = z
  .strictObject({
    name: z.string().min(1).describe('Pool name (unique in the fleet); used in reports and time-series columns.'),
    kind: z.literal('llm').optional().describe('"llm" (default): replicas serving a model with continuous batching.'),
    gpu: z.string().min(1).describe('GPU type, e.g. A100-80GB, V100-32GB, H100-SXM (see `fleetcap profiles list`).'),
    model: z.string().min(1).describe('Model served, e.g. llama-3.1-8b.'),
    tensorParallel: z.number().int().min(1).max(64).optional().describe('GPUs per replica (tensor parallelism); default: the smallest that fits.'),
    engine: z.enum(ENGINES).optional().describe('Serving engine whose fitted overheads the profile uses: vllm (default), tensorrt-llm, vllm-splitwise-2023.'),
    precision: PoolPrecisionSchema.optional(),
    replicas: z.number().int().min(0).max(LIMITS.replicasPerPool).describe('Replicas ready at t = 0.'),
    weight: z.number().positive().optional().describe('Routing weight of each replica (weighted policy); default: its max batch size.'),
    taskTypes: z.array(z.string()).optional().describe('Task types this pool is specialised for (score policy: type match).'),
    priceOverride: positive('Price per GPU-hour in USD instead of the GPU profile\'s price.').optional(),
    maxBatchSeqs: z.number().int().positive().optional().describe('Override the profile\'s max sequences per batch (vLLM max_num_seqs).'),
    maxBatchTokens: z.number().int().positive().optional().describe('Override the profile\'s max tokens per step (vLLM max_num_batched_tokens).'),
    scheduler: PoolSchedulerSchema.optional(),
    prefixCache: z
      .boolean()
      .optional()
      .describe('Keep an agent chain\'s context in the replica\'s KV cache between its calls (vLLM automatic prefix caching): a next call on the same replica prefills only what its prompt adds. Default false.'),
    autoscaler: AutoscalerSchema.optional(),
    capacity: CapacitySchema.optional(),
  })
  .describe('A pool of LLM replicas on one GPU type.')

export const GenericPoolSchema = z
  .strictObject({
    name: z.string().min(1).describe('Pool name (unique in the fleet).'),
    kind: z.literal('generic').describe('"generic": servers for tasks with a service time (no tokens).'),
    servers: z.number().int().min(0).max(LIMITS.replicasPerPool).describe('Replicas (servers) ready at t = 0.'),
    slots: z.number().int().positive().optional().describe('Tasks one server serves at once (default 1).'),
    weight: z.number().positive().optional().describe('Routing weight of each server (weighted policy); default: its slots.'),
    taskTypes: z.array(z.string()).optional().describe('Task types this pool is specialised for (score policy).'),
    gpu: z.string().optional().describe('Label for reports.'),
    gpusPerServer: z.number().nonnegative().optional().describe('GPUs per server for GPU-hours (default 1).'),
    pricePerHourUsd: z.number().nonnegative().optional().describe('Price of one server per hour, USD (default 0).'),
    autoscaler: AutoscalerSchema.optional(),
    capacity: CapacitySchema.optional(),
  })
  .describe('A pool of generic servers (queueing-model validation, non-LLM work).')

export const PoolSchema = z.union([GenericPoolSchema, LlmPoolSchema])

const ScoreWeightsSchema = z
  .strictObject({
    typeMatch: z.number().nonnegative().describe('Weight of the type match (1 listed, ½ generalist pool, 0 other).'),
    load: z.number().nonnegative().describe('Weight of 1 / (1 + outstanding calls).'),
    performance: z.number().nonnegative().describe('Weight of recent performance (best latency EWMA / this replica\'s).'),
  })
  .describe('Score policy weights; default the seeds\' load balancer: 0.5, 0.3, 0.2.')

export const RoutingSchema = z
  .strictObject({
    policy: z.enum(ROUTING_POLICIES).describe('How a call is assigned to a replica that can take it now.'),
    weights: ScoreWeightsSchema.optional(),
    ewmaAlpha: z.number().gt(0).max(1).optional().describe('Smoothing of the latency EWMA (score policy); default 0.1.'),
  })
  .describe('Routing among replicas.')

export const QueueSchema = z
  .strictObject({
    maxDepth: z.number().int().positive().optional().describe('Most calls waiting; arrivals beyond it are rejected (errors).'),
    deadlines: z
      .partialRecord(z.enum(PRIORITIES), DurationSchema)
      .optional()
      .describe('Per priority: longest a call may wait in the queue; past it the call is dropped (an error).'),
  })
  .describe('The fleet\'s central priority queue (critical, high, normal, low).')

// The one SLO vocabulary (scenarios, plans, k6 thresholds, SLO flags): src/slo/schema.ts.
export {SloSchema} from '../slo/schema.js'

export const ScenarioSchema = z
  .strictObject({
    apiVersion: z.literal('fleetcap.dev/v1'),
    kind: z.literal('Scenario'),
    name: z.string().min(1).describe('Scenario name, shown in reports.'),
    description: z.string().optional().describe('Free text.'),
    seed: z.number().int().min(0).max(0xffff_ffff).optional().describe('Seed of every random stream (default 1).'),
    durationS: PositiveDurationSchema.optional().describe('Simulated time during which tasks arrive (seconds or e.g. "1d"); the run then drains.'),
    duration: PositiveDurationSchema.optional().describe('Same as durationS.'),
    workload: WorkloadSpecSchema,
    fleet: z
      .strictObject({pools: z.array(PoolSchema).min(1).describe('Pools of replicas.')})
      .describe('The fleet: one or more pools.'),
    routing: RoutingSchema.optional(),
    queue: QueueSchema.optional(),
    slo: SloSchema.optional(),
    failures: FailuresSchema.optional(),
    report: z
      .strictObject({
        sampleIntervalS: PositiveDurationSchema.optional().describe('Time-series sampling interval (default: duration / 500, at least 1 s).'),
      })
      .optional(),
  })
  .refine((s) => s.durationS === undefined || s.duration === undefined, {message: 'give durationS or duration, not both', path: ['duration']})
  .refine((s) => new Set(s.fleet.pools.map((p) => p.name)).size === s.fleet.pools.length, {
    message: 'pool names must be unique',
    path: ['fleet', 'pools'],
  })
  .refine((s) => new Set(s.fleet.pools.map((p) => p.kind === 'generic')).size === 1, {
    message: 'a fleet mixes generic and LLM pools; use one kind',
    path: ['fleet', 'pools'],
  })
  // Service times on LLM pools would run as 1-token calls and pass any SLO: a wrong answer, silently.
  .refine((s) => s.workload.kind !== 'synthetic' || s.workload.service === undefined || s.fleet.pools.every((p) => p.kind === 'generic'), {
    message: 'service-time work (workload.service) needs generic pools; LLM pools serve tokens (workload.tokens)',
    path: ['workload', 'service'],
  })
  .describe('A fleetcap simulation scenario: workload, fleet, routing, queue, SLOs, duration and seed.')

export type Scenario = z.output<typeof ScenarioSchema>
export type ScenarioInput = z.input<typeof ScenarioSchema>
export type PoolSpec = z.output<typeof PoolSchema>
export type LlmPoolSpec = z.output<typeof LlmPoolSchema>
export type GenericPoolSpec = z.output<typeof GenericPoolSchema>
export type {SloSpec} from '../slo/schema.js'
