/**
 * Reads a workload spec from a YAML file: either a bare spec or a scenario with a `workload:`
 * section. Errors name the file, the line and the field (from the YAML node the zod issue points at).
 */
import {dirname, resolve} from 'node:path'

import {LineCounter, parseDocument} from 'yaml'

import {InputError} from '../errors.js'
import {lineOfPath} from '../util/yaml-path.js'
import {WorkloadSpecSchema, type WorkloadSpec} from './spec.js'
import {readInputFile, yamlToJs} from '../util/read-input.js'

export interface LoadedWorkloadSpec {
  spec: WorkloadSpec
  /** Directory that relative paths in the spec resolve against. */
  baseDir: string
  /** The scenario's seed and duration, when the file is a scenario that has them. */
  seed?: number
  durationS?: number
}

export async function loadWorkloadSpecFile(path: string): Promise<LoadedWorkloadSpec> {
  const text = await readInputFile(path, {missing: 'cannot read (ENOENT)'})
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InputError({file: path, line: lines.linePos(e.pos[0]).line}, `not valid YAML: ${e.message.split('\n')[0]}`)
  }
  const data = yamlToJs(doc, path)
  if (data === null || typeof data !== 'object') throw new InputError({file: path, line: 1}, 'expected a mapping with a workload')
  const obj = data as Record<string, unknown>
  const inScenario = 'workload' in obj
  const raw = inScenario ? obj.workload : obj
  const prefix = inScenario ? ['workload'] : []
  const parsed = WorkloadSpecSchema.safeParse(raw)
  if (!parsed.success) {
    const {path: where, message} = explainIssue(parsed.error.issues[0])
    const path2 = [...prefix, ...where]
    throw new InputError({file: path, line: lineOfPath(doc, lines, path2), field: path2.join('.') || '(top)'}, message)
  }
  const out: LoadedWorkloadSpec = {spec: parsed.data, baseDir: dirname(resolve(path))}
  if (inScenario) {
    if (typeof obj.seed === 'number') out.seed = obj.seed
    if (typeof obj.durationS === 'number') out.durationS = obj.durationS
  }
  return out
}

interface IssueLike {
  code: string
  path: PropertyKey[]
  message: string
  errors?: IssueLike[][]
}

/**
 * The most telling message of a zod issue. For a union ("a number or {dist: …}"), the branch the
 * input was meant for (no unknown keys, the right type) says what is wrong inside it, e.g.
 * `tokens.input.cv: expected number, received undefined`; otherwise the union's own message.
 */
export function explainIssue(issue: IssueLike): {path: Array<string | number>; message: string} {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  if (issue.code === 'invalid_union' && issue.errors !== undefined) {
    for (const branch of issue.errors) {
      const wrongBranch = branch.some((i) => i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.path.length === 0))
      if (wrongBranch || branch.length === 0) continue
      const inner = explainIssue(branch[0])
      return {path: [...path, ...inner.path], message: inner.message.replace(/^Invalid input: /, '')}
    }
  }
  return {path, message: issue.message}
}

