import {InputError} from '../errors.js'

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
