import {dirname, resolve} from 'node:path'

import {LineCounter, parseDocument} from 'yaml'

import {InputError, oneLineText} from '../errors.js'
import {type ReportedIssue, reportedIssue, unknownFieldMessage} from '../util/zod-issue.js'
import {type Scenario, ScenarioSchema} from './schema.js'
import {readInputFile, yamlToJs} from '../util/read-input.js'
import {positionOf} from '../util/yaml-path.js'

export interface LoadedScenario {
  scenario: Scenario
  /** The file as given (for messages). */
  file: string
  /** Directory that relative paths in the scenario (traces) resolve against. */
  baseDir: string
  /**
   * Re-anchor an error found after validation (an unknown GPU, a model that does not fit) at its place
   * in the file: an InputError whose field is a scenario path ("fleet.pools.1") gets file:line:column.
   */
  locate(error: unknown): unknown
}

/** Read, parse and validate a scenario file. Errors read `file:line:column: field: problem`. */
export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  const text = await readInputFile(file, {missing: 'no such file'})
  const scenario = parseScenario(text, file)
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines})
  const locate = (error: unknown): unknown => {
    if (!(error instanceof InputError) || error.location.file !== undefined || error.location.field === undefined) return error
    const m = /^([A-Za-z]+(?:\.[A-Za-z0-9]+)*)(.*)$/.exec(error.location.field)
    if (!m || !['fleet', 'workload', 'routing', 'queue', 'slo', 'report'].includes(m[1].split('.')[0])) return error
    const path = m[1].split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))
    const pos = positionOf(doc, lines, path)
    const problem = error.message.startsWith(`${error.location.field}: `) ? error.message.slice(error.location.field.length + 2) : error.message
    return located(file, pos.line, pos.col, error.location.field, problem, error.hint)
  }
  return {scenario, file, baseDir: dirname(resolve(file)), locate}
}

/** Parse and validate scenario YAML text; `file` names it in errors. */
export function parseScenario(text: string, file = 'scenario'): Scenario {
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const {line, col} = lines.linePos(e.pos[0])
    throw located(file, line, col, undefined, `not valid YAML: ${e.message.split('\n')[0]}`)
  }
  const data = yamlToJs(doc, file)
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw located(file, 1, 1, undefined, 'expected a mapping (apiVersion, kind, name, workload, fleet, …)')
  }
  const parsed = ScenarioSchema.safeParse(data)
  if (parsed.success) return parsed.data
  const issue = pickIssue(reportedIssue(parsed.error.issues), data)
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  // An unknown key: point at the key itself, not at its mapping.
  const pos = positionOf(doc, lines, issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]] : path)
  throw located(file, pos.line, pos.col, path.length > 0 ? path.join('.') : undefined, describeIssue(issue))
}

function located(file: string, line: number, col: number, field: string | undefined, problem: string, hint?: string): InputError {
  const err = new InputError({file, line, field}, problem, {hint})
  // InputError prints file:line; scenarios also carry the column.
  err.message = oneLineText(`${file}:${line}:${col}: ${field ? `${field}: ` : ''}${problem}`)
  return err
}

/**
 * For a failed union, report the branch the input meant: for a pool, the one its `kind` names; else
 * the branch with the fewest issues (a `{dist: lognormall}` token distribution is a misspelt
 * parametric one, not a `{fromTrace}` missing its path), the later one on a tie.
 */
function pickIssue(issue: ReportedIssue, data: unknown): ReportedIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue
  const node = getAt(data, issue.path)
  const kind = node !== null && typeof node === 'object' ? (node as Record<string, unknown>).kind : undefined
  // Branch order in PoolSchema: generic first, then LLM.
  const fewest = issue.errors.reduce((best, b) => (b.length <= best.length ? b : best))
  const branch = kind === 'generic' ? issue.errors[0] : kind === 'llm' ? issue.errors[issue.errors.length - 1] : fewest
  if (branch.length === 0) return issue
  const inner = reportedIssue(branch)
  return pickIssue({...inner, path: [...issue.path, ...inner.path]} as ReportedIssue, data)
}

function getAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<PropertyKey, unknown>)[k]
  }
  return cur
}

function describeIssue(issue: ReportedIssue): string {
  if (issue.code === 'unrecognized_keys') return unknownFieldMessage(issue)
  if (issue.code === 'invalid_value' && issue.values.length > 0) {
    return `${issue.message.replace(/^Invalid input: /, '')}`
  }
  return issue.message
}

