/**
 * One cell of a sweep: the base scenario with the cell's factor values set, validated again through
 * the scenario schema (a factor may make a scenario invalid: that is bad input, named by cell and
 * field), simulated once per seed, and reduced to the metrics asked for.
 */
import {InputError} from '../errors.js'
import {type Catalog, loadCatalog} from '../fleet/profiles/index.js'
import {type Scenario, ScenarioSchema} from '../scenario/schema.js'
import {simulate} from '../pipeline/simulate.js'
import {reportedIssue} from '../util/zod-issue.js'
import {type Cell, type FactorValue, runSeed} from './design.js'
import {collectMetrics, type MetricName} from './metrics.js'
import type {SweepSpec} from './spec.js'

/** One line of results.jsonl: a cell's run on one seed. */
export interface ResultRow {
  cell: number
  run: number
  seed: number
  factors: Record<string, FactorValue>
  metrics: Record<string, number | null>
}

/** The factor's name in tables and rows. */
export function factorName(f: SweepSpec['factors'][number]): string {
  return f.name ?? f.path
}

/** The base scenario with the cell's values set and validated. */
export function cellScenario(base: Scenario, spec: SweepSpec, cell: Cell): Scenario {
  const data = structuredClone(base) as unknown as Record<string, unknown>
  spec.factors.forEach((f, j) => setPath(data, f.path, cell.values[j], cell.index))
  const parsed = ScenarioSchema.safeParse(data)
  if (parsed.success) return parsed.data
  const issue = reportedIssue(parsed.error.issues)
  const field = issue.path.map(String).join('.')
  throw new InputError({field: `cell ${cell.index}${field ? `: ${field}` : ''}`}, `${issue.message} (factors: ${describeValues(spec, cell)})`)
}

function describeValues(spec: SweepSpec, cell: Cell): string {
  return spec.factors.map((f, j) => `${factorName(f)}=${JSON.stringify(cell.values[j])}`).join(', ')
}

/** Set `a.b.0.c` in place. The parent must exist: a factor path that names nothing is a typo. */
function setPath(data: Record<string, unknown>, path: string, value: FactorValue, cellIndex: number): void {
  const keys = path.split('.')
  let cur: unknown = data
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]
    const next = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[Array.isArray(cur) ? Number(k) : k] : undefined
    if (next === null || typeof next !== 'object') {
      throw new InputError({field: `factors: ${path}`}, `the base scenario has no ${keys.slice(0, i + 1).join('.')} (cell ${cellIndex})`)
    }
    cur = next
  }
  const last = keys.at(-1) as string
  if (Array.isArray(cur)) {
    const i = Number(last)
    if (!Number.isInteger(i) || i > cur.length) throw new InputError({field: `factors: ${path}`}, `index ${last} is past the end of the list`)
    cur[i] = value
  } else {
    ;(cur as Record<string, unknown>)[last] = value
  }
}

export interface CellContext {
  spec: SweepSpec
  base: Scenario
  baseDir: string
  catalog?: Catalog
}

/** Simulate a cell on each of its seeds: seedsPerCell rows, in run order. */
export async function runCell(ctx: CellContext, cell: Cell): Promise<ResultRow[]> {
  const scenario = cellScenario(ctx.base, ctx.spec, cell)
  const factors: Record<string, FactorValue> = {}
  ctx.spec.factors.forEach((f, j) => {
    factors[factorName(f)] = cell.values[j]
  })
  const rows: ResultRow[] = []
  for (let k = 0; k < ctx.spec.seedsPerCell; k++) {
    const seed = runSeed(ctx.spec.seed, cell.index, k)
    const {report} = await simulate(scenario, {baseDir: ctx.baseDir, seed, catalog: ctx.catalog})
    rows.push({cell: cell.index, run: k, seed, factors, metrics: collectMetrics(report, ctx.spec.metrics as MetricName[])})
  }
  return rows
}

/** The worker pool's handler (src/sweep/pool.ts): a thread loads the catalog once. */
export function init(ctx: Omit<CellContext, 'catalog'>): CellContext {
  return {...ctx, catalog: loadCatalog()}
}

export function handle(ctx: CellContext, cell: Cell): Promise<ResultRow[]> {
  return runCell(ctx, cell)
}
