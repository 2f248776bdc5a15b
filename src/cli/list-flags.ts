/**
 * A flag whose value is a comma-separated list of numbers ("1,1,1,1,1,0.5,0.5"): each item and the
 * count are checked here, so a command receives `number[]` and a bad value is one line naming the
 * flag and the item (exit 2). Its own file, as each new kind of value is (flags.ts holds the first ones).
 */
import {Flags, type Interfaces} from '@oclif/core'

import {InputError} from '../errors.js'
import type {Bounds} from './flags.js'

/** What a list flag may say besides its parser (oclif's own options). */
interface ListOptions {
  description?: string
  summary?: string
  helpGroup?: string
  hidden?: boolean
  aliases?: string[]
  exclusive?: string[]
  dependsOn?: string[]
}

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

/** A comma-separated list of numbers ("1,1,1,1,1,0.5,0.5") → number[]; no default (absent is undefined). */
export function numberListFlag(shape: ListShape = {}) {
  const help = shape.length === undefined ? '<n,n,...>' : `<${Array.from({length: Math.min(shape.length, 3)}, () => 'n').join(',')}${shape.length > 3 ? ',...' : ''}>`
  // One untyped definition underneath, as flags.ts's kinds: the returned type gives commands number[].
  const base = Flags.custom<unknown>({helpValue: help, parse: async (input, _ctx, opts) => parseNumberList(input, opts.name, shape)})
  return (options: ListOptions = {}) => base({...options}) as unknown as Interfaces.OptionFlag<number[] | undefined>
}
