import {InputError} from '../errors.js'
import type {CallShape} from './load.js'

/** `--header "Name: value"` flags as a header map; a flag without a colon is an error naming it. */
export function parseHeaderFlags(flags: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const h of flags) {
    const i = h.indexOf(':')
    if (i <= 0) throw new InputError({field: '--header'}, `"${h}" is not "Name: value"`)
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim()
  }
  return headers
}

/** A token mix flag (`--tokens 512:128,2048:256`): one single-call task per INPUT:OUTPUT pair. */
export function parseTokenMix(text: string, flag: string): CallShape[][] {
  return text.split(',').map((pair) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(pair)
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InputError({field: flag}, `"${pair}" is not INPUT:OUTPUT with positive token counts`)
    return [[Number(m[1]), Number(m[2]), 0]]
  })
}
