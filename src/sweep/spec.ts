/**
 * The sweep spec: a base scenario, the factors to vary, the design (grid, random, Latin hypercube),
 * seeds per cell and the metrics to collect. YAML, validated here with zod at the edge; errors read
 * `file:line:column: field: problem`. The base scenario (a path or inline) is validated by the
 * scenario loader, so its errors name the scenario's own file and line.
 */
import {readFile} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

import {isMap, LineCounter, parseDocument} from 'yaml'
import {z} from 'zod'

import {InputError} from '../errors.js'
import {parseScenario} from '../scenario/load.js'
import type {Scenario} from '../scenario/schema.js'
import {positionOf} from '../util/yaml-path.js'
import {reportedIssue, unknownFieldMessage} from '../util/zod-issue.js'
import {METRIC_NAMES} from './metrics.js'

const FactorPath = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]*(\.([A-Za-z][A-Za-z0-9]*|\d+))*$/, 'must be a dotted scenario field path, e.g. fleet.pools.0.replicas')

const Scalar = z.union([z.number(), z.string(), z.boolean()])

export const FactorSchema = z
  .strictObject({
    path: FactorPath.describe('Scenario field to set, e.g. fleet.pools.0.replicas or workload.tasksPerDay.'),
    name: z.string().min(1).optional().describe('Short name for tables (default: the path).'),
    values: z.array(z.union([Scalar, z.record(z.string(), z.unknown())])).min(1).optional().describe('Levels (grid; random and LHS draw among them).'),
    range: z.tuple([z.number(), z.number()]).optional().describe('[low, high] for random and LHS designs.'),
    integer: z.boolean().optional().describe('Round values drawn from range to integers.'),
  })
  .refine((f) => (f.values === undefined) !== (f.range === undefined), {message: 'give values or range, not both'})
  .refine((f) => f.range === undefined || f.range[0] <= f.range[1], {message: 'range low must be at most high', path: ['range']})

export const METRIC_ENUM = z.enum(METRIC_NAMES)

export const SweepSpecSchema = z
  .strictObject({
    apiVersion: z.literal('fleetcap.dev/v1'),
    kind: z.literal('Sweep'),
    name: z.string().min(1),
    description: z.string().optional(),
    base: z
      .union([z.strictObject({file: z.string().min(1)}), z.record(z.string(), z.unknown())])
      .describe('The base scenario: {file: path} (relative to this spec) or the scenario inline.'),
    design: z.enum(['grid', 'random', 'lhs']).default('grid'),
    samples: z.number().int().positive().max(1_000_000).optional().describe('Cells of a random or LHS design.'),
    seed: z.number().int().min(0).max(0xffff_ffff).default(1).describe('Seed of the design and of every cell\'s runs.'),
    seedsPerCell: z.number().int().min(1).max(1000).default(1),
    factors: z.array(FactorSchema).min(1),
    metrics: z.array(METRIC_ENUM).min(1).default(['costUsd', 'ttftP95S', 'e2eP95S', 'errorRate', 'sloPass']),
    pareto: z
      .strictObject({cost: METRIC_ENUM.default('costUsd'), latency: METRIC_ENUM})
      .optional()
      .describe('The two metrics of the Pareto front (both minimised); default costUsd against the first latency metric.'),
  })
  .superRefine((s, ctx) => {
    if (s.design === 'grid') {
      s.factors.forEach((f, i) => {
        if (f.values === undefined) ctx.addIssue({code: 'custom', path: ['factors', i, 'range'], message: 'a grid needs values; use design: random or lhs for a range'})
      })
      if (s.samples !== undefined) ctx.addIssue({code: 'custom', path: ['samples'], message: 'a grid has no samples; every combination is a cell'})
    } else if (s.samples === undefined) {
      ctx.addIssue({code: 'custom', path: ['samples'], message: `design ${s.design} needs samples: N`})
    }
    const paths = s.factors.map((f) => f.path)
    paths.forEach((p, i) => {
      if (paths.indexOf(p) !== i) ctx.addIssue({code: 'custom', path: ['factors', i, 'path'], message: `factor "${p}" is given twice`})
    })
  })

export type SweepSpec = z.output<typeof SweepSpecSchema>
export type Factor = SweepSpec['factors'][number]

export interface LoadedSweep {
  spec: SweepSpec
  base: Scenario
  /** Directory the base scenario's relative paths (traces, manifests) resolve against. */
  baseDir: string
  /** Where the base scenario came from, for messages. */
  baseFile: string
  file: string
}

/** Read, parse and validate a sweep spec and its base scenario. */
export async function loadSweepFile(file: string): Promise<LoadedSweep> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError({file}, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (error as Error).message})`)
  }
  return parseSweep(text, file)
}

/** Parse and validate sweep YAML text; `file` names it in errors and anchors a relative base path. */
export async function parseSweep(text: string, file = 'sweep'): Promise<LoadedSweep> {
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const {line, col} = lines.linePos(e.pos[0])
    throw located(file, line, col, undefined, `not valid YAML: ${e.message.split('\n')[0]}`)
  }
  const data = doc.toJS({maxAliasCount: 100}) as unknown
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw located(file, 1, 1, undefined, 'expected a mapping (apiVersion, kind: Sweep, name, base, factors, …)')
  }
  const parsed = SweepSpecSchema.safeParse(data)
  if (!parsed.success) {
    const issue = reportedIssue(parsed.error.issues)
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
    const at = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]] : path
    const pos = positionOf(doc, lines, at)
    const problem = issue.code === 'unrecognized_keys' ? unknownFieldMessage(issue) : issue.message.replace(/^Invalid input: /, '')
    throw located(file, pos.line, pos.col, path.length > 0 ? path.join('.') : undefined, problem)
  }
  const spec = parsed.data
  const specDir = dirname(resolve(file))
  let base: Scenario
  let baseDir = specDir
  let baseFile = file
  if ('file' in spec.base && typeof spec.base.file === 'string' && Object.keys(spec.base).length === 1) {
    baseFile = resolve(specDir, spec.base.file)
    let baseText: string
    try {
      baseText = await readFile(baseFile, 'utf8')
    } catch {
      const pos = positionOf(doc, lines, ['base', 'file'])
      throw located(file, pos.line, pos.col, 'base.file', `cannot read ${spec.base.file}`)
    }
    base = parseScenario(baseText, spec.base.file)
    baseDir = dirname(baseFile)
  } else {
    // Inline: validate the node's own text so that errors carry this file's line numbers.
    const node = doc.get('base', true)
    let baseText = JSON.stringify(spec.base)
    if (isMap(node) && node.range && !node.flow) {
      // The block as written, at its own line and column: the loader's positions are this file's.
      const {line, col} = lines.linePos(node.range[0])
      baseText = `${'\n'.repeat(line - 1)}${' '.repeat(col - 1)}${text.slice(node.range[0], node.range[1])}`
    }
    try {
      base = parseScenario(baseText, file)
    } catch (error) {
      if (error instanceof InputError) {
        error.message = error.message.replace(/^([^:]+:\d+:\d+: )(\S)/, (_m, head: string, c: string) => `${head}base.${c}`)
      }
      throw error
    }
  }
  return {spec, base, baseDir, baseFile, file}
}

function located(file: string, line: number, col: number, field: string | undefined, problem: string): InputError {
  const err = new InputError({file, line, field}, problem)
  err.message = `${file}:${line}:${col}: ${field ? `${field}: ` : ''}${problem}`
  return err
}

