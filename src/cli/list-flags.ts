/**
 * Comma-separated lists of values of one kind (`--quantiles 0.5,0.9,0.99`, `--seasonality 1d,1w`):
 * each item parsed by the kind's own rule, a bad item named with its flag, an item given twice refused.
 */
import {InputError} from '../errors.js'
import {tryParseDuration} from '../util/duration.js'
import {flagKind} from './flags.js'

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

export const fractionListFlag = (): ListFlag => flagKind('<levels>', parseFractionList)
export const durationListFlag = (): ListFlag => flagKind('<durations>', parseDurationList)
