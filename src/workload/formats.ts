/**
 * Trace formats and the column mapping: which header (or JSON key) holds which field. Public
 * formats are recognised by their headers and read as they are; any other CSV is mapped by header
 * aliases, which a user mapping (`--map time=ts,input=prompt`) overrides field by field.
 */
import {extname} from 'node:path'

import {InputError} from '../errors.js'
import type {ColumnMapping} from './types.js'
import type {TimeUnitOption} from './time.js'

export const TRACE_FORMATS = ['auto', 'csv', 'azure', 'mooncake', 'burstgpt'] as const
export type TraceFormatOption = (typeof TRACE_FORMATS)[number]
export type TraceFormat = Exclude<TraceFormatOption, 'auto'>

export type MappingField = keyof ColumnMapping

export const MAPPING_FIELDS: readonly MappingField[] = [
  'time',
  'inputTokens',
  'outputTokens',
  'taskType',
  'priority',
  'model',
  'taskId',
  'callIndex',
  'delayS',
  'serviceTimeS',
  'deadlineS',
  'prefixTokens',
]

/**
 * A header as an error message shows it: a binary file's first line is not echoed to the terminal
 * raw (control and replacement characters become "?"), and a very long one is cut.
 */
function printableHeader(cells: readonly string[]): string {
  // eslint-disable-next-line no-control-regex
  const text = cells.join(', ').replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '?')
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/** Short names accepted by `--map` besides the field names themselves. */
const SHORT_NAMES: Record<string, MappingField> = {
  time: 'time',
  arrival: 'time',
  input: 'inputTokens',
  output: 'outputTokens',
  type: 'taskType',
  priority: 'priority',
  model: 'model',
  task: 'taskId',
  call: 'callIndex',
  delay: 'delayS',
  service: 'serviceTimeS',
  deadline: 'deadlineS',
  prefix: 'prefixTokens',
}

/** Header aliases of the generic CSV, compared case-insensitively, first match wins. */
export const HEADER_ALIASES: Record<MappingField, readonly string[]> = {
  time: ['arrival_s', 'timestamp', 'time', 'arrival', 'arrival_time', 'ts', 'arrival_ms', 'timestamp_s', 'timestamp_ms', 'time_s', 'time_ms'],
  inputTokens: ['input_tokens', 'prompt_tokens', 'contexttokens', 'request tokens', 'input_length', 'input'],
  outputTokens: ['output_tokens', 'completion_tokens', 'generatedtokens', 'response tokens', 'output_length', 'output'],
  taskType: ['task_type', 'type', 'tasktype', 'log type'],
  priority: ['priority'],
  model: ['model'],
  taskId: ['task_id', 'taskid'],
  callIndex: ['call_index', 'callindex'],
  delayS: ['delay_s'],
  serviceTimeS: ['service_s', 'service_time_s'],
  deadlineS: ['deadline_s'],
  prefixTokens: ['prefix_tokens', 'shared_prefix_tokens'],
}

/** What a known format fixes: its mapping and how to read its times. */
export interface FormatProfile {
  mapping: Partial<ColumnMapping>
  timeUnit: TimeUnitOption
  jsonl: boolean
}

export const FORMAT_PROFILES: Record<TraceFormat, FormatProfile> = {
  csv: {mapping: {}, timeUnit: 'auto', jsonl: false},
  // Azure LLM inference trace 2023 (Splitwise): TIMESTAMP,ContextTokens,GeneratedTokens; ISO times, 7 fractional digits.
  azure: {mapping: {time: 'TIMESTAMP', inputTokens: 'ContextTokens', outputTokens: 'GeneratedTokens'}, timeUnit: 'iso', jsonl: false},
  // Mooncake (FAST'25) JSONL: timestamp in ms from the trace start; hash_ids are not used here.
  mooncake: {mapping: {time: 'timestamp', inputTokens: 'input_length', outputTokens: 'output_length'}, timeUnit: 'ms', jsonl: true},
  // BurstGPT: Timestamp (s from the trace start),Model,Request tokens,Response tokens,Total tokens,Log Type.
  burstgpt: {
    mapping: {time: 'Timestamp', model: 'Model', inputTokens: 'Request tokens', outputTokens: 'Response tokens', taskType: 'Log Type'},
    timeUnit: 's',
    jsonl: false,
  },
}

/** Format of a file by its extension alone: JSONL is Mooncake; anything else is decided by the header. */
export function formatByExtension(path: string): 'mooncake' | undefined {
  const ext = extname(path).toLowerCase()
  return ext === '.jsonl' || ext === '.ndjson' ? 'mooncake' : undefined
}

/** Format of a CSV by its header. */
export function formatByHeader(header: readonly string[]): TraceFormat {
  const h = new Set(header.map((c) => c.trim()))
  if (h.has('TIMESTAMP') && h.has('ContextTokens') && h.has('GeneratedTokens')) return 'azure'
  if (h.has('Timestamp') && h.has('Request tokens') && h.has('Response tokens')) return 'burstgpt'
  return 'csv'
}

/**
 * Resolve a mapping against a CSV header: the format's own mapping, then the user's overrides, and
 * for every field still unset the first alias present. Returns column indexes by field.
 */
export function resolveColumns(
  header: readonly string[],
  format: TraceFormat,
  user: Partial<ColumnMapping>,
  file: string,
): {mapping: Partial<ColumnMapping>; index: Partial<Record<MappingField, number>>} {
  const trimmed = header.map((c) => c.trim())
  const lower = trimmed.map((c) => c.toLowerCase())
  // Two columns of one name: which one a field reads would be a guess.
  for (let i = 0; i < lower.length; i++) {
    const j = lower.indexOf(lower[i])
    if (lower[i] !== '' && j < i) {
      throw new InputError({file, line: 1, column: trimmed[i]}, `the header names this column twice (columns ${j + 1} and ${i + 1})`, {hint: 'rename one of them'})
    }
  }
  const mapping: Partial<ColumnMapping> = {}
  const index: Partial<Record<MappingField, number>> = {}
  const profile = FORMAT_PROFILES[format].mapping
  for (const field of MAPPING_FIELDS) {
    const wanted = user[field] ?? profile[field]
    if (wanted !== undefined) {
      let i = trimmed.indexOf(wanted)
      if (i < 0) i = lower.indexOf(wanted.toLowerCase())
      if (i < 0) {
        throw new InputError(
          {file, line: 1, column: wanted},
          `no such column for ${field} (header has: ${printableHeader(trimmed)})`,
          {hint: 'map the columns with --map time=COL,input=COL,output=COL'},
        )
      }
      mapping[field] = trimmed[i]
      index[field] = i
      continue
    }
    if (format !== 'csv') continue
    for (const alias of HEADER_ALIASES[field]) {
      const i = lower.indexOf(alias)
      if (i >= 0 && !Object.values(index).includes(i)) {
        mapping[field] = trimmed[i]
        index[field] = i
        break
      }
    }
  }
  if (index.time === undefined) {
    throw new InputError({file, line: 1}, `no arrival-time column (header has: ${printableHeader(trimmed)})`, {
      hint: `name it one of ${HEADER_ALIASES.time.join(', ')}, or map it with --map time=COLUMN`,
    })
  }
  return {mapping, index}
}

/** JSON keys for a JSONL file: the format's mapping with the user's overrides (keys are exact). */
export function resolveKeys(format: TraceFormat, user: Partial<ColumnMapping>): Partial<ColumnMapping> {
  return {...FORMAT_PROFILES[format === 'csv' ? 'mooncake' : format].mapping, ...user}
}

/**
 * Parse a `--map` value: `time=TIMESTAMP,input=ContextTokens,output=GeneratedTokens`. Keys are
 * short names (time, input, output, type, priority, model, task, call, delay, service, deadline)
 * or field names (inputTokens, …).
 */
export function parseMappingFlag(text: string): Partial<ColumnMapping> {
  const out: Partial<ColumnMapping> = {}
  for (const part of text.split(',')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0 || eq === part.length - 1) {
      throw new InputError({field: '--map'}, `expected FIELD=COLUMN pairs separated by commas (got "${part}")`)
    }
    const key = part.slice(0, eq).trim()
    const field = SHORT_NAMES[key.toLowerCase()] ?? MAPPING_FIELDS.find((f) => f.toLowerCase() === key.toLowerCase())
    if (field === undefined) {
      throw new InputError(
        {field: '--map'},
        `unknown field "${key}"; known: ${[...Object.keys(SHORT_NAMES), ...MAPPING_FIELDS].join(', ')}`,
      )
    }
    out[field] = part.slice(eq + 1).trim()
  }
  return out
}
