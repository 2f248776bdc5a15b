import {z} from 'zod'

import type {TraceInspection} from './inspect.js'
import {SKIP_REASONS} from './read-trace-types.js'

/**
 * `fleetcap trace inspect --json`: the TraceInspection type (inspect.ts) as a zod schema, checked
 * against that type by the compiler, and the JSON Schema committed as
 * schemas/trace-inspect.result.schema.json.
 */

const tokenStats = z.strictObject({
  count: z.number(),
  mean: z.number(),
  min: z.number(),
  max: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
})

const optionalText = z.string().optional()

export const TraceInspectionSchema: z.ZodType<TraceInspection> = z.strictObject({
  file: z.string(),
  format: z.string(),
  timeUnit: z.enum(['iso', 'epoch-s', 'epoch-ms', 'relative-s', 'relative-ms']).optional(),
  mapping: z.strictObject({
    time: optionalText,
    inputTokens: optionalText,
    outputTokens: optionalText,
    taskType: optionalText,
    priority: optionalText,
    model: optionalText,
    taskId: optionalText,
    callIndex: optionalText,
    delayS: optionalText,
    serviceTimeS: optionalText,
    deadlineS: optionalText,
    prefixTokens: optionalText,
  }),
  rows: z.number().int(),
  tasks: z.number().int(),
  rowsSkipped: z.number().int(),
  skipped: z.array(z.strictObject({reason: z.enum(SKIP_REASONS), count: z.number().int(), firstLines: z.array(z.number().int())})),
  rowsReordered: z.number().int(),
  firstTimeIso: z.string().optional(),
  lastTimeIso: z.string().optional(),
  spanS: z.number(),
  meanRatePerS: z.number(),
  meanTasksPerDay: z.number(),
  bucketS: z.number(),
  ratePerBucket: z.array(z.number()),
  lastBucketCoveredS: z.number(),
  peakRatePerS: z.number(),
  inputTokens: tokenStats,
  outputTokens: tokenStats,
  callsPerTask: tokenStats,
  taskTypes: z.record(z.string(), z.number()),
  priorities: z.record(z.string(), z.number()),
  models: z.record(z.string(), z.number()),
})
