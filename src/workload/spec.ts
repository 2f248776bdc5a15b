/**
 * The `workload:` section of a scenario: a trace to replay or a synthetic workload to generate.
 * Validated with zod at the edge; `z.toJSONSchema(WorkloadSpecSchema, {io: 'input'})` publishes
 * the JSON Schema that editors use, so every field says what it means.
 */
import {z} from 'zod'

import {LIMITS} from '../limits.js'
import {tryParseDuration} from '../util/duration.js'
import {TRACE_FORMATS} from './formats.js'
import {PRIORITIES} from './types.js'

/** Seconds, written as a number or a duration text ("90s", "15m", "2h", "1d"). */
export const DurationSchema = z
  .union([z.number().nonnegative(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v
    const s = tryParseDuration(v)
    if (s === undefined) {
      ctx.addIssue({code: 'custom', message: `not a duration (got "${v}"); write e.g. 90s, 15m, 2h, 1d`})
      return z.NEVER
    }
    return s
  })
  .describe('Seconds: a number, or a duration such as "90s", "15m", "2h", "1d".')

/** A duration that must be more than zero (a length of time to simulate, an interval). */
export const PositiveDurationSchema = DurationSchema.refine((s) => s > 0, {message: 'must be more than 0 s'})

const clamp = {
  min: z.number().optional().describe('Draws below this are raised to it.'),
  max: z.number().optional().describe('Draws above this are lowered to it.'),
}

/** Clamps must leave room for a draw. */
const clampOrder = {message: 'max must be at least min', path: ['max']}
const clampOk = (d: {min?: number; max?: number}): boolean => d.min === undefined || d.max === undefined || d.max >= d.min

const ConstantDist = z.strictObject({dist: z.literal('constant'), value: z.number().describe('The value every draw takes.')})
const UniformDist = z
  .strictObject({dist: z.literal('uniform'), min: z.number().describe('Lower bound.'), max: z.number().describe('Upper bound.')})
  .refine((d) => d.max >= d.min, {message: 'max must be at least min', path: ['max']})
const NormalDist = z
  .strictObject({
    dist: z.literal('normal'),
    mean: z.number().describe('Mean.'),
    sd: z.number().nonnegative().describe('Standard deviation.'),
    ...clamp,
  })
  .refine(clampOk, clampOrder)
const LognormalDist = z
  .strictObject({
    dist: z.literal('lognormal'),
    mean: z.number().positive().describe('Mean of the draws (not of their logarithm).'),
    // Far above any real spread; past ~1e154 the log-variance log(1 + cv²) overflows and every draw is NaN.
    cv: z.number().nonnegative().max(1000).describe('Coefficient of variation: standard deviation / mean of the draws (at most 1,000).'),
    ...clamp,
  })
  .refine(clampOk, clampOrder)
const ExponentialDist = z
  .strictObject({
    dist: z.literal('exponential'),
    mean: z.number().nonnegative().describe('Mean.'),
    ...clamp,
  })
  .refine(clampOk, clampOrder)

/** A parametric distribution; a bare number is a constant. */
export const NumericDistSchema = z
  .union([
    z.number(),
    z.discriminatedUnion('dist', [ConstantDist, UniformDist, NormalDist, LognormalDist, ExponentialDist]),
  ], {error: 'expected a number or {dist: constant|uniform|normal|lognormal|exponential, …}'})
  .describe(
    'A distribution: a number (constant), or {dist: constant|uniform|normal|lognormal|exponential, …}; normal, lognormal and exponential take min/max clamps.',
  )
export type NumericDist = z.output<typeof NumericDistSchema>

/** The largest value a distribution can draw (its clamp or bound; Infinity when unbounded). */
export function distUpperBound(d: NumericDist): number {
  if (typeof d === 'number') return d
  switch (d.dist) {
    case 'constant':
      return d.value
    case 'uniform':
      return d.max
    default:
      return d.max ?? Number.POSITIVE_INFINITY
  }
}

/** The least a draw can be (a clamp's min, a constant), or -Infinity when unbounded below; fromTrace uses its min clamp. */
export function distLowerBound(d: NumericDist | {fromTrace: string; min?: number}): number {
  if (typeof d === 'number') return d
  if ('fromTrace' in d) return d.min ?? Number.NEGATIVE_INFINITY
  switch (d.dist) {
    case 'constant':
      return d.value
    case 'uniform':
      return d.min
    default:
      return d.min ?? Number.NEGATIVE_INFINITY
  }
}

/** A distribution some of whose draws are at least `min` (all smaller ones are a typo or a sign error). */
const reaches = (min: number, what: string) => [(d: NumericDist) => distUpperBound(d) >= min, {message: `every draw is below ${min}: ${what}`}] as const
/** A distribution whose bounded draws stay at or below `max`. */
const within = (max: number, what: string) => [(d: NumericDist) => !(Number.isFinite(distUpperBound(d)) && distUpperBound(d) > max), {message: `draws above ${max.toLocaleString('en-US')} ${what}`}] as const

export const ColumnMappingSchema = z
  .strictObject({
    time: z.string().optional().describe('Column with the arrival time.'),
    inputTokens: z.string().optional().describe('Column with input (prompt) tokens.'),
    outputTokens: z.string().optional().describe('Column with output (generated) tokens.'),
    taskType: z.string().optional().describe('Column with the task type.'),
    priority: z.string().optional().describe('Column with the priority (critical, high, normal, low).'),
    model: z.string().optional().describe('Column with the model name.'),
    taskId: z.string().optional().describe('Column with the task id of an agent chain.'),
    callIndex: z.string().optional().describe('Column with the call index within a chain.'),
    delayS: z.string().optional().describe('Column with the think/tool time before a call, seconds.'),
    serviceTimeS: z.string().optional().describe('Column with the service time of generic work, seconds.'),
    deadlineS: z.string().optional().describe('Column with the deadline after arrival, seconds.'),
    prefixTokens: z.string().optional().describe('Column with the prompt tokens a call shares with the previous call of its chain (prefix caching).'),
  })
  .describe('Header (or JSON key) per field; unset fields use the format\'s mapping or the header aliases.')

const TraceSource = {
  format: z.enum(TRACE_FORMATS).optional().describe('Trace format; "auto" (default) detects it from the extension and header.'),
  mapping: ColumnMappingSchema.optional(),
  timeUnit: z
    .enum(['auto', 'iso', 's', 'ms'])
    .optional()
    .describe('How to read times; "auto" (default) detects ISO-8601, epoch s/ms or relative seconds.'),
  skipInvalid: z.boolean().optional().describe('Skip and count bad rows instead of stopping at the first.'),
  reorderWindowS: z
    .number()
    .nonnegative()
    .optional()
    .describe('Seconds of disorder put back in order by a bounded buffer; rows later than this are an error.'),
}

export const FromTraceDistSchema = z
  .strictObject({
    fromTrace: z.string().describe('Trace whose token counts are sampled; relative to the scenario file.'),
    ...TraceSource,
    fit: z
      .enum(['empirical', 'lognormal'])
      .optional()
      .describe('"empirical" (default) resamples the trace\'s values (jointly for input and output from the same trace); "lognormal" fits one.'),
    ...clamp,
  })
  .refine(clampOk, clampOrder)
  .describe('Token counts fitted from a trace.')

export const TokenDistSchema = z
  .union([NumericDistSchema, FromTraceDistSchema], {
    error: 'expected a number, {dist: constant|uniform|normal|lognormal|exponential, …} or {fromTrace: path}',
  })
  .refine((d) => (typeof d === 'object' && 'fromTrace' in d) || distUpperBound(d) >= 0, {message: 'every draw is below 0: tokens cannot be negative'})
  .refine((d) => (typeof d === 'object' && 'fromTrace' in d) || !(Number.isFinite(distUpperBound(d)) && distUpperBound(d) > LIMITS.tokensPerCall), {
    message: `draws above ${LIMITS.tokensPerCall.toLocaleString('en-US')} tokens per call`,
  })
  .describe(
  'Token count distribution: parametric (rounded to whole tokens, at least 0) or {fromTrace: path}.',
)
export type TokenDist = z.output<typeof TokenDistSchema>

const weights = (what: string) =>
  z
    .record(z.string(), z.number().nonnegative())
    .refine((r) => Object.values(r).some((w) => w > 0), {message: 'at least one weight must be positive'})
    .describe(`${what}: name → relative weight.`)

const PriorityWeights = z
  .partialRecord(z.enum(PRIORITIES), z.number().nonnegative())
  .refine((r) => Object.values(r).some((w) => (w ?? 0) > 0), {message: 'at least one weight must be positive'})
  .describe('Priority mix: critical/high/normal/low → relative weight (default: all normal).')

const DailyShape = z
  .union([
    z.array(z.number().nonnegative()).length(24).describe('24 hourly multipliers, hour 0 first; normalized to mean 1.'),
    z
      .strictObject({
        peakHour: z.number().min(0).max(24).describe('Hour of the day (0-24) with the most arrivals.'),
        peakToTrough: z.number().min(1).describe('Rate at the peak / rate at the trough (1 = flat).'),
      })
      .describe('A smooth (cosine) daily cycle with mean 1.'),
  ])
  .describe('Daily cycle of the arrival rate.')

export const ShapeSchema = z
  .strictObject({
    daily: DailyShape.optional(),
    weekly: z
      .array(z.number().nonnegative())
      .length(7)
      .optional()
      .describe('7 day multipliers, normalized to mean 1; index 0 is the day the workload starts (see startDay).'),
    startHour: z.number().min(0).max(24).optional().describe('Hour of the day at time 0 (default 0).'),
    startDay: z.number().int().min(0).max(6).optional().describe('Index into weekly of the first day (default 0).'),
  })
  .describe('How the rate varies over the day and week; multipliers keep the mean rate.')

export const BurstsSchema = z
  .strictObject({
    states: z
      .array(
        z.strictObject({
          rateMultiplier: z.number().nonnegative().describe('Rate in this state relative to the mean rate.'),
          meanDwellS: DurationSchema.describe('Mean time spent in this state (exponential), seconds or a duration; at least 0.01 s.'),
        }),
      )
      .min(1)
      // Shorter dwells switch state millions of times per simulated minute: a typo, not a workload.
      .refine((states) => states.every((s) => s.meanDwellS >= 0.01), {message: 'every meanDwellS must be at least 0.01 s'})
      .refine((states) => states.some((s) => s.rateMultiplier > 0), {message: 'at least one state needs a rateMultiplier above 0'})
      .describe('States of a Markov-modulated Poisson process; on leaving a state the next is chosen uniformly among the others.'),
    normalize: z
      .boolean()
      .optional()
      .describe('Rescale the multipliers so the long-run mean rate is unchanged (default true).'),
  })
  .describe('Bursts: a Markov-modulated Poisson process over the shaped rate.')

export const AgentSchema = z
  .strictObject({
    callsPerTask: NumericDistSchema.refine(...reaches(1, 'a task needs at least one call'))
      .refine(...within(LIMITS.callsPerTask, 'calls per task'))
      .describe(`LLM calls per task (rounded, at least 1, at most ${LIMITS.callsPerTask.toLocaleString('en-US')}).`),
    contextGrowthTokens: z
      .union([z.literal('carry'), NumericDistSchema])
      .optional()
      .describe('"carry" (default): each call\'s input is the previous call\'s input + output + stepInputTokens; a distribution: the previous input + a draw.'),
    stepInputTokens: NumericDistSchema.refine(...reaches(0, 'tokens cannot be negative')).optional().describe('With "carry": new tokens each later call adds (tool results, user turn); default 0.'),
    thinkTimeS: NumericDistSchema.refine(...reaches(0, 'a time cannot be negative')).optional().describe('Tool or think time between a call\'s return and the next call, seconds; default 0.'),
    maxContextTokens: z.number().int().positive().optional().describe('Cap on a call\'s input tokens (the model\'s context window).'),
  })
  .describe('Agent tasks: each task is a chain of calls, the next issued when the previous returns.')

export const ServiceSchema = z
  .strictObject({
    distribution: z.enum(['exponential', 'deterministic', 'lognormal']).describe('Service time distribution.'),
    meanS: z.number().positive().describe('Mean service time, seconds.'),
    cv: z.number().nonnegative().optional().describe('Coefficient of variation for lognormal (default 1).'),
  })
  .describe('Generic (non-token) tasks: a service time per task instead of tokens.')

export const TraceWorkloadSchema = z
  .strictObject({
    kind: z.literal('trace'),
    path: z.string().describe('Trace file (CSV or JSONL); relative to the scenario file.'),
    ...TraceSource,
    rateScale: z
      .number()
      .min(1 / LIMITS.rateScale)
      .max(LIMITS.rateScale)
      .optional()
      .describe('Replay speed: 2 plays the trace twice as fast (twice the rate).'),
    targetTasksPerDay: z.number().positive().max(LIMITS.tasksPerDay).optional().describe('Scale the replay speed so the trace\'s mean rate becomes this many tasks per day.'),
    loop: z.boolean().optional().describe('Repeat the trace until durationS is filled (default false).'),
    durationS: DurationSchema.optional().describe('Stop arrivals at this time (seconds or a duration); default: the scenario duration, else the trace\'s end.'),
    defaultPriority: z.enum(PRIORITIES).optional().describe('Priority of rows that name none (default normal).'),
    defaultTaskType: z.string().optional().describe('Task type of rows that name none (default "default").'),
  })
  .refine((s) => s.rateScale === undefined || s.targetTasksPerDay === undefined, {
    message: 'give rateScale or targetTasksPerDay, not both',
    path: ['targetTasksPerDay'],
  })

export const SyntheticWorkloadSchema = z
  .strictObject({
    kind: z.literal('synthetic'),
    tasksPerDay: z.number().positive().max(LIMITS.tasksPerDay).optional().describe('Mean tasks per day (the seeds\' unit).'),
    ratePerS: z.number().positive().max(LIMITS.ratePerS).optional().describe('Mean tasks per second (instead of tasksPerDay).'),
    durationS: PositiveDurationSchema.optional().describe('Length of the workload (seconds or a duration); default: the scenario duration.'),
    shape: ShapeSchema.optional(),
    bursts: BurstsSchema.optional(),
    tokens: z
      .strictObject({input: TokenDistSchema.describe('Input (prompt) tokens of a task\'s first call.'), output: TokenDistSchema.describe('Output tokens per call.')})
      .optional()
      .describe('Token lengths per call.'),
    taskTypes: weights('Task-type mix').optional(),
    priorities: PriorityWeights.optional(),
    models: weights('Model mix').optional(),
    deadlines: z
      .partialRecord(z.enum(PRIORITIES), DurationSchema)
      .optional()
      .describe('Per priority: seconds after arrival by which a task must have started, else it is dropped.'),
    agent: AgentSchema.optional(),
    service: ServiceSchema.optional(),
  })
  .refine((s) => (s.tasksPerDay === undefined) !== (s.ratePerS === undefined), {
    message: 'give exactly one of tasksPerDay or ratePerS',
    path: ['tasksPerDay'],
  })
  .refine((s) => (s.tokens === undefined) !== (s.service === undefined), {
    message: 'give tokens (LLM tasks) or service (generic tasks): exactly one',
    path: ['tokens'],
  })
  .refine((s) => s.agent === undefined || s.service === undefined, {message: 'agent chains need tokens, not service', path: ['agent']})
  // Every first prompt would be cut to the window: the workload would not be the one described.
  .refine((s) => s.agent?.maxContextTokens === undefined || s.tokens === undefined || !(distLowerBound(s.tokens.input) > s.agent.maxContextTokens), {
    message: 'below every first prompt (tokens.input): every call would be cut to the context window',
    path: ['agent', 'maxContextTokens'],
  })

export const WorkloadSpecSchema = z
  .discriminatedUnion('kind', [TraceWorkloadSchema, SyntheticWorkloadSchema])
  .describe('The workload: a trace to replay (kind: trace) or a synthetic one (kind: synthetic).')

export type WorkloadSpec = z.output<typeof WorkloadSpecSchema>
/** The spec as written in YAML (durations may be texts). */
export type WorkloadSpecInput = z.input<typeof WorkloadSpecSchema>
export type TraceWorkloadSpec = z.output<typeof TraceWorkloadSchema>
export type SyntheticWorkloadSpec = z.output<typeof SyntheticWorkloadSchema>
