/**
 * `fleetcap k6 run --json`: the gate's verdict and what k6 measured, as a zod schema the compiler
 * checks against LoadGateResult; schemas/k6-run.result.schema.json is generated from it.
 */
import {z} from 'zod'

import type {PhaseLoadGateRecord} from './index.js'
import type {LoadGateResult} from './run.js'
import type {K6Measurement, Quantiles} from './summary.js'

export const QuantilesSchema: z.ZodType<Quantiles> = z.strictObject({
  count: z.number(),
  avg: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number().optional().describe('Only where k6 reported it (thresholds or --k6-json samples).'),
  max: z.number(),
})

export const K6MeasurementSchema: z.ZodType<K6Measurement> = z.strictObject({
  format: z.enum(['summary', 'summary-export', 'json-output']),
  durationS: z.number().optional(),
  iterations: z.number(),
  droppedIterations: z.number(),
  requests: z.number().describe('LLM requests sent (tagged kind:llm).'),
  errorRate: z.number().optional(),
  latencyMs: QuantilesSchema.optional(),
  ttftMs: QuantilesSchema.optional(),
  tpotMs: QuantilesSchema.optional(),
  itlMs: QuantilesSchema.optional().describe('Gaps between streamed tokens (the stream reader only).'),
  outputTokens: z.number().optional(),
  thresholds: z.array(z.strictObject({metric: z.string(), expression: z.string(), ok: z.boolean()})),
})

export const K6RunResultSchema: z.ZodType<LoadGateResult> = z.strictObject({
  passed: z.boolean(),
  summary: K6MeasurementSchema.optional().describe('What k6 measured; absent when it wrote no summary (unreachable endpoint, crash, timeout).'),
  summaryPath: z.string(),
  reason: z.string().describe('One line: why the gate failed, or what passed.'),
  exitCode: z.number().int().nullable().describe("k6's exit code (null when it was stopped)."),
  failedThresholds: z.array(z.string()),
  droppedIterations: z.number(),
})

/** What apply-to-cluster --load-test keeps with the phase's apply record (src/k6/index.ts's PhaseLoadGateRecord). */
export const K6LoadGateRecordSchema: z.ZodType<PhaseLoadGateRecord> = z.strictObject({
  passed: z.boolean(),
  reason: z.string(),
  ratePerS: z.number().describe("Requests (tasks) per second: the constant rate, or the recorded workload's mean task rate."),
  plannedCallsPerS: z.number().optional(),
  durationS: z.number(),
  summaryFile: z.string(),
  summarySha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  requests: z.number().optional(),
  droppedIterations: z.number(),
  errorRate: z.number().optional(),
  latencyP95Ms: z.number().optional(),
  latencyP99Ms: z.number().optional(),
  ttftP95Ms: z.number().optional(),
  tpotP95Ms: z.number().optional(),
  failedThresholds: z.array(z.string()),
})
