import {z} from 'zod'

import type {ForecastBacktestResult} from './backtest-command.js'
import {BACKENDS, type BackendReport} from './backend.js'
import type {ForecastRunResult} from './run-command.js'
import {type Forecast, MODEL_NAMES} from './types.js'

/**
 * `fleetcap forecast run --json` and `forecast backtest --json`: the result types (run-command.ts,
 * backtest-command.ts) as zod schemas, checked against those types by the compiler, and the JSON
 * Schemas committed as schemas/forecast-run.result.schema.json and
 * schemas/forecast-backtest.result.schema.json (test/forecast/result-schema.test.ts).
 */

const numbers = z.record(z.string(), z.number())
const modelName = z.enum(MODEL_NAMES)
const modelChoice = z.enum(['auto', ...MODEL_NAMES])
type BackendUsed = BackendReport['used']
const backendUsed = z.enum(BACKENDS.filter((b): b is BackendUsed => b !== 'auto') as [BackendUsed, ...BackendUsed[]])

const backend: z.ZodType<BackendReport> = z.strictObject({
  requested: z.enum(BACKENDS),
  used: backendUsed,
  tfBackend: z.string(),
  attempts: z.array(z.strictObject({backend: backendUsed, ok: z.boolean(), reason: z.string().optional(), ms: z.number()})),
  initMs: z.number(),
})

/** The trained network's parameters and training time. */
const neural = z.record(z.string(), z.union([z.number(), z.string()]))

const forecastFields = {
  series: z.string(),
  model: modelName,
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  stepS: z.number(),
  timestamps: z.array(z.number()),
  quantiles: z.record(z.string(), z.array(z.number())),
  levels: z.array(z.number()),
  intervals: z.string(),
  warnings: z.array(z.string()),
  selection: z.strictObject({method: z.enum(['calibration', 'refit']), scores: numbers, origins: z.number().int()}).optional(),
}

const ForecastSchema: z.ZodType<Forecast> = z.strictObject(forecastFields)

const extras = {backend: backend.optional(), saved: z.string().optional(), neural: neural.optional()}

export const ForecastRunResultSchema: z.ZodType<ForecastRunResult> = z.union([
  z.strictObject({
    ...forecastFields,
    input: z.strictObject({name: z.string(), points: z.number().int(), stepS: z.number(), start: z.string(), end: z.string()}),
    ...extras,
  }),
  z.strictObject({forecasts: z.array(ForecastSchema), ...extras}),
])

const modelScore = z.strictObject({
  model: modelChoice,
  mase: z.number(),
  smape: z.number(),
  pinball: z.number(),
  coverage80: z.number(),
  coverage90: z.number(),
  belowP90: z.number(),
  belowP99: z.number(),
  windows: z.number().int(),
  points: z.number().int(),
  seconds: z.number(),
  producedBy: numbers,
  warnings: numbers,
})

export const ForecastBacktestResultSchema: z.ZodType<ForecastBacktestResult> = z.strictObject({
  series: z.number().int(),
  holdout: z.number().int(),
  origins: z.number().int(),
  scores: z.array(modelScore),
  perSeries: z.array(
    z.strictObject({
      series: z.string(),
      scores: z.record(z.string(), z.strictObject({mase: z.number(), smape: z.number(), pinball: z.number(), coverage80: z.number(), coverage90: z.number(), windows: z.number().int()})),
    }),
  ),
  best: modelChoice,
  neural: neural.optional(),
  autoPicks: z.array(z.strictObject({window: z.number().int(), model: modelName, scores: numbers, windows: z.number().int()})).optional(),
  backend: backend.optional(),
})
