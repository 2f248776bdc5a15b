import {readFile} from 'node:fs/promises'

import {parseDocument} from 'yaml'
import {z} from 'zod'

import {InputError} from '../errors.js'
import type {LoadSlo} from './script.js'

/** The SLO fields a load test turns into thresholds, named as a scenario's (and a plan's) `slo` block. */
export const LoadSloSchema = z.object({
  e2eP95S: z.number().positive().optional(),
  e2eP99S: z.number().positive().optional(),
  ttftP95S: z.number().positive().optional(),
  ttftP99S: z.number().positive().optional(),
  tpotP95S: z.number().positive().optional(),
  errorRateMax: z.number().min(0).max(1).optional(),
})

/**
 * Read the `slo` block of a scenario or plan YAML (top level, or under `spec`). Fields a load test
 * cannot check (queue wait) are ignored; a field with a bad value is an error naming file and field.
 */
export async function readSloFile(path: string): Promise<LoadSlo> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new InputError({file: path}, `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  }
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InputError({file: path, line: e.linePos?.[0]?.line}, e.message.split('\n')[0])
  }
  const root: unknown = doc.toJS()
  const record = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  const top = record(root)
  const block = record(top?.slo) ?? record(record(top?.spec)?.slo)
  if (block === undefined) {
    throw new InputError({file: path, field: 'slo'}, 'no slo block (expected `slo:` with e2eP95S, e2eP99S, ttftP95S, ttftP99S, tpotP95S or errorRateMax)')
  }
  const parsed = LoadSloSchema.safeParse(block)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InputError({file: path, field: ['slo', ...issue.path.map(String)].join('.')}, issue.message)
  }
  return parsed.data
}
