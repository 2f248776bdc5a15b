/**
 * Canonical JSON for results: keys sorted at every level, numbers rounded to 6 significant digits
 * (integers exact) the way report.json rounds them, non-finite numbers as null. The same values give
 * the same bytes on every machine and at any parallelism.
 */
import {roundNumber} from '../report/render.js'

export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value))
}

function canonical(value: unknown): unknown {
  if (typeof value === 'number') return roundNumber(value)
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k])
    return out
  }
  return value
}
