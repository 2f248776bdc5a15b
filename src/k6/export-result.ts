/**
 * `fleetcap k6 export --json`: where the files went and load-meta.json's content, as a zod schema the
 * compiler checks against K6ExportMeta; schemas/k6-export.result.schema.json is generated from it.
 */
import {z} from 'zod'

import type {K6ExportMeta} from './script.js'

export const K6ExportMetaSchema: z.ZodType<K6ExportMeta> = z.strictObject({
  executor: z.enum(['ramping-arrival-rate', 'constant-arrival-rate']),
  timeUnit: z.string().describe('k6 timeUnit of the stage targets (1s, 10s, 1m, 10m, 1h).'),
  stages: z.array(z.strictObject({durationS: z.number(), target: z.number().int().describe('Iterations per timeUnit.')})),
  durationS: z.number(),
  gracefulStopS: z.number(),
  peakRatePerS: z.number(),
  preAllocatedVUs: z.number().int(),
  maxVUs: z.number().int(),
  expectedIterations: z.number(),
  thresholds: z.record(z.string(), z.array(z.string())).describe('k6 thresholds by metric, from the SLO.'),
  endpoint: z.strictObject({
    url: z.string(),
    model: z.string(),
    api: z.enum(['chat', 'completions']),
    stream: z.boolean(),
    streamReader: z.boolean().optional(),
    requestTimeoutS: z.number(),
    ignoreEos: z.boolean().optional(),
    headerNames: z.array(z.string()).describe('Names of the headers written into the script (never their values).'),
  }),
  origin: z.record(z.string(), z.union([z.string(), z.number()])).describe('Where the load came from: trace, plan, phase, rate.'),
})

export interface K6ExportResult {
  dir: string
  script: string
  data: string
  meta: K6ExportMeta
}

export const K6ExportResultSchema: z.ZodType<K6ExportResult> = z.strictObject({
  dir: z.string(),
  script: z.string().describe('Path of load.js.'),
  data: z.string().describe('Path of requests.json.'),
  meta: K6ExportMetaSchema.describe('What load-meta.json holds.'),
})
