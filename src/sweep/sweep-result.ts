/**
 * `fleetcap sweep --json`: a sweep's summary with its run counts (here or on a cluster), a strategy
 * comparison (--strategies), or one pod's shard (--worker), as zod schemas checked by the compiler
 * against the types the command returns; the JSON Schema is committed as
 * schemas/sweep.result.schema.json.
 */
import {z} from 'zod'

import type {PodResult} from './cluster/pod.js'
import type {SweepCommandResult} from './command.js'
import {STRATEGIES, type StrategyComparison} from './strategies.js'
import type {SweepSummary} from './summary.js'

const count = z.number().int().nonnegative()
const metricValue = z.number().nullable()
/** A factor's value in a cell: a number, a text, a switch, or an object put at the field's path. */
const factorValue = z.union([z.number(), z.string(), z.boolean(), z.record(z.string(), z.unknown())])

export const SweepSummarySchema: z.ZodType<SweepSummary> = z.strictObject({
  apiVersion: z.literal('fleetcap.dev/v1'),
  kind: z.literal('SweepSummary'),
  name: z.string(),
  design: z.enum(['grid', 'random', 'lhs']),
  cells: count,
  seedsPerCell: count,
  factors: z.array(z.string()),
  metrics: z.array(z.string()),
  cellMeans: z.array(z.strictObject({cell: count, factors: z.record(z.string(), factorValue), runs: count, means: z.record(z.string(), metricValue)})),
  pareto: z.strictObject({cost: z.string(), latency: z.string(), cells: z.array(count)}),
  sensitivity: z.array(
    z.strictObject({
      factor: z.string(),
      metric: z.string(),
      levels: z.array(z.tuple([z.string(), metricValue, count])).describe('[level, mean of the metric over the cells at that level, cells]'),
      range: metricValue,
    }),
  ),
})

const runs = {summary: SweepSummarySchema, cells: count, computed: count, resumed: count, workers: count}

/** A sweep run on this machine (or one shard of it): the summary and how many cells ran here or came from the journal. */
export const LocalSweepResultSchema = z.strictObject(runs)
/** A sweep run as an Indexed Job (--on-cluster), merged. */
export const ClusterSweepResultSchema = z.strictObject({...runs, job: z.string(), failedPods: count, duplicates: count})

export const StrategyComparisonSchema: z.ZodType<StrategyComparison> = z.strictObject({
  scenario: z.string(),
  seed: z.number(),
  pool: z.string(),
  rows: z.array(z.strictObject({strategy: z.enum(STRATEGIES), setup: z.string(), metrics: z.record(z.string(), metricValue)})),
  forecastFloors: z.array(z.tuple([z.number(), z.number()])).describe('The forecast the predictive schedule used: [hour start s, floor].'),
})

export const PodResultSchema: z.ZodType<PodResult> = z.strictObject({cells: count, computed: count, resumed: count, chunks: count})

export const SweepResultSchema: z.ZodType<SweepCommandResult> = z.union([LocalSweepResultSchema, ClusterSweepResultSchema, StrategyComparisonSchema, PodResultSchema])
