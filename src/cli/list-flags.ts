/**
 * Comma-separated lists of values of one kind: numbers (`--weekly 1,1,1,1,1,0.5,0.5`), levels
 * (`--quantiles 0.5,0.9,0.99`), durations (`--seasonality 1d,1w`). Each item is parsed by its kind's
 * rule and checked here, so a command receives `number[]`, and a bad item is one line naming the
 * flag and the item (exit 2).
 */
import {InputError} from '../errors.js'
import {tryParseDuration} from '../util/duration.js'
import {type Bounds, flagKind} from './flags.js'

/** How many items a list must have: exactly `length`, or between `minLength` and `maxLength`. */
export interface ListShape extends Bounds {
  length?: number
  minLength?: number
  maxLength?: number
}

/** The numbers in `text`, checked against `shape`; throws an InputError naming `--flag`. */
export function parseNumberList(text: string, flag: string, shape: ListShape = {}): number[] {
  const field = {field: `--${flag}`}
  const items = text.split(',').map((s) => s.trim())
  const values = items.map((item, i) => {
    const v = item === '' ? Number.NaN : Number(item)
    if (!Number.isFinite(v)) throw new InputError(field, `item ${i + 1} ("${item}") is not a number (got "${text}")`)
    if (shape.above !== undefined && !(v > shape.above)) throw new InputError(field, `item ${i + 1} must be more than ${shape.above} (got ${item})`)
    if (shape.min !== undefined && !(v >= shape.min)) throw new InputError(field, `item ${i + 1} must be at least ${shape.min} (got ${item})`)
    if (shape.max !== undefined && !(v <= shape.max)) throw new InputError(field, `item ${i + 1} must be at most ${shape.max} (got ${item})`)
    return v
  })
  const n = values.length
  if (shape.length !== undefined && n !== shape.length) throw new InputError(field, `give ${shape.length} comma-separated numbers (got ${n}: "${text}")`)
  if (shape.minLength !== undefined && n < shape.minLength) throw new InputError(field, `give at least ${shape.minLength} comma-separated numbers (got ${n})`)
  if (shape.maxLength !== undefined && n > shape.maxLength) throw new InputError(field, `give at most ${shape.maxLength} comma-separated numbers (got ${n})`)
  return values
}

/** The items of a comma-separated list; an empty item is an error naming the flag. */
function items(text: string, flag: string): string[] {
  const parts = text.split(',').map((p) => p.trim())
  if (parts.some((p) => p === '')) throw new InputError({field: `--${flag}`}, `"${text}" has an empty item; give a comma-separated list`)
  return parts
}

/** The values, unless one is given twice (`0.9` and `0.90` are the same level); `parts` are as written. */
function once(values: number[], parts: string[], flag: string, noun: string): number[] {
  const twice = values.findIndex((v, i) => values.indexOf(v) !== i)
  if (twice >= 0) throw new InputError({field: `--${flag}`}, `${parts[twice]} is given twice; give each ${noun} once`)
  return values
}

/** Levels strictly between 0 and 1 ("0.5,0.9,0.99"), each once, in the order given. */
export function parseFractionList(text: string, flag: string): number[] {
  const parts = items(text, flag)
  const values = parts.map((p) => {
    const v = Number(p)
    if (!Number.isFinite(v) || !(v > 0 && v < 1)) throw new InputError({field: `--${flag}`}, `"${p}" is not a level between 0 and 1 (e.g. 0.5,0.9,0.99)`)
    return v
  })
  return once(values, parts, flag, 'level')
}

/** Durations in seconds ("1d,1w"; a bare number is seconds), each more than 0, each once. */
export function parseDurationList(text: string, flag: string): number[] {
  const parts = items(text, flag)
  const values = parts.map((p) => {
    const s = tryParseDuration(p)
    if (s === undefined || !Number.isFinite(s) || !(s > 0)) throw new InputError({field: `--${flag}`}, `"${p}" is not a duration (e.g. 1h, 1d, 1w)`)
    return s
  })
  return once(values, parts, flag, 'period')
}

/** The kind of a flag whose value is a list of numbers. */
type ListFlag = ReturnType<typeof flagKind<number[]>>

/** Numbers within `shape` ("1,1,1,1,1,0.5,0.5"). */
export const numberListFlag = (shape: ListShape = {}): ListFlag => {
  const help = shape.length === undefined ? '<n,n,...>' : `<${Array.from({length: Math.min(shape.length, 3)}, () => 'n').join(',')}${shape.length > 3 ? ',...' : ''}>`
  return flagKind(help, (text, flag) => parseNumberList(text, flag, shape))
}
export const fractionListFlag = (): ListFlag => flagKind('<levels>', parseFractionList)
export const durationListFlag = (): ListFlag => flagKind('<durations>', parseDurationList)
