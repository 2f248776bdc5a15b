/**
 * `fleetcap calibrate --json`: the fit, figure by figure, before and after, as a zod schema the
 * compiler checks against CalibrateResult; schemas/calibrate.result.schema.json is generated from it.
 */
import {z} from 'zod'

import type {CalibratedProfile} from './profile-file.js'
import {type FigureComparison, REPORTED_FIGURES} from './fit.js'
import type {RequestErrorStats} from './per-request.js'

export interface CalibrateResult {
  profile: string
  replicas: number
  predictor: 'simulate' | 'replay'
  measurement: {file: string; format: 'summary' | 'summary-export' | 'json-output'; requests: number; droppedIterations: number}
  stepScale: number
  /** CPU engine profiles fitted on stream figures: the factor on the prefill cost (stepScale is then the decode factor). */
  prefillScale?: number
  rmsLogErrorBefore: number
  rmsLogErrorAfter: number
  before: FigureComparison[]
  after: FigureComparison[]
  /** Per request (--k6-json from a fleetcap script): how many were compared and the error figures. */
  requests?: {stride: number; measured: number; failed: number; unmatched: number; compared: number; stats: RequestErrorStats[]}
  written?: CalibratedProfile
}

const figure: z.ZodType<FigureComparison> = z.strictObject({
  figure: z.enum(REPORTED_FIGURES),
  measured: z.number(),
  predicted: z.number(),
  error: z.number().describe('(predicted − measured) / measured.'),
  fitted: z.boolean().describe('Whether the fit minimised this figure (latency quantiles), or only reports it.'),
})

const requestStats: z.ZodType<RequestErrorStats> = z.strictObject({
  metric: z.enum(['ttft', 'e2e']),
  series: z.enum(['before', 'after']),
  n: z.number().int(),
  rmsLogError: z.number(),
  medianRelError: z.number(),
})

/** The profile file --write-profile wrote (profile-file.ts's CalibratedProfileSchema, every object strict). */
const written: z.ZodType<CalibratedProfile> = z.strictObject({
  apiVersion: z.literal('fleetcap.dev/v1'),
  kind: z.literal('CalibratedServingProfile'),
  base: z.strictObject({id: z.string(), model: z.string(), gpu: z.string(), tensorParallel: z.number().int().positive()}),
  stepTimeScale: z.strictObject({value: z.number().positive(), source: z.string()}),
  calibration: z.strictObject({
    method: z.string(),
    measurement: z.strictObject({file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), format: z.string(), requests: z.number(), durationS: z.number().optional()}),
    load: z.strictObject({dir: z.string(), replicas: z.number().int().positive()}),
    rmsLogError: z.strictObject({before: z.number(), after: z.number()}),
    figures: z.array(z.strictObject({figure: z.string(), measured: z.number(), predictedBefore: z.number(), predictedAfter: z.number()})),
  }),
})

export const CalibrateResultSchema: z.ZodType<CalibrateResult> = z.strictObject({
  profile: z.string().describe('Serving profile id, or the --engine-profile file.'),
  replicas: z.number().int(),
  predictor: z.enum(['simulate', 'replay']),
  measurement: z.strictObject({file: z.string(), format: z.enum(['summary', 'summary-export', 'json-output']), requests: z.number(), droppedIterations: z.number()}),
  stepScale: z.number().describe("The fitted factor on the profile's step time (the decode factor with prefillScale)."),
  prefillScale: z.number().optional(),
  rmsLogErrorBefore: z.number(),
  rmsLogErrorAfter: z.number(),
  before: z.array(figure),
  after: z.array(figure),
  requests: z
    .strictObject({stride: z.number().int(), measured: z.number().int(), failed: z.number().int(), unmatched: z.number().int(), compared: z.number().int(), stats: z.array(requestStats)})
    .optional()
    .describe('Per request, with --k6-json from a fleetcap script.'),
  written: written.optional().describe('The profile --write-profile wrote (a catalog profile; not with --engine-profile).'),
})
