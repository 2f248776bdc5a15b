import {InputError, type InputLocation} from '../errors.js'
import {LIMITS} from '../limits.js'
import type {GapPolicy, MaskWindow, Series} from './types.js'

/** One observation as read from a source, before cleaning. */
export interface Observation {
  timeS: number
  /** NaN for an empty or unparsable value. */
  value: number
  /** Where it came from (file and line), for messages. */
  where?: InputLocation
}

export interface CleanOptions {
  name: string
  /** Seconds between points; inferred (the most common spacing) when absent. */
  stepS?: number
  gaps?: GapPolicy
  masks?: readonly MaskWindow[]
  /** Refuse a series shorter than this after cleaning (default 8). */
  minPoints?: number
  /** Seasonal periods used to fill long gaps and masked windows (default: from the step). */
  seasonalities?: readonly number[]
}

export interface Cleaned {
  series: Series
  warnings: string[]
}

const DAY_S = 86_400

/** The default seasonal periods of a step: one day and one week, in steps, when each is a whole number ≥ 2. */
export function defaultSeasonalities(stepS: number): number[] {
  const out: number[] = []
  for (const period of [DAY_S, 7 * DAY_S]) {
    const m = period / stepS
    if (Number.isInteger(m) && m >= 2) out.push(m)
  }
  return out
}

/**
 * Timestamps: ISO-8601 (a time without a zone is UTC), or epoch seconds / milliseconds (a number
 * above 1e11 is milliseconds). NaN when it is neither.
 */
export function parseTimestamp(text: string): number {
  const t = text.trim()
  if (t === '') return Number.NaN
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t)
    return Math.abs(n) > 1e11 ? n / 1000 : n
  }
  const iso = t.replace(' ', 'T')
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(iso)
  const ms = Date.parse(hasZone ? iso : `${iso}Z`)
  return Number.isNaN(ms) ? Number.NaN : ms / 1000
}

/** `2014-11-25T12:00/2014-11-29T19:00` → a mask window (times without a zone are UTC). */
export function parseMask(text: string): MaskWindow {
  const parts = text.split('/')
  const fromS = parts.length === 2 ? parseTimestamp(parts[0]) : Number.NaN
  const toS = parts.length === 2 ? parseTimestamp(parts[1]) : Number.NaN
  if (Number.isNaN(fromS) || Number.isNaN(toS) || toS < fromS) {
    throw new InputError({field: '--mask'}, `"${text}" is not a window FROM/TO (ISO times, FROM before TO)`)
  }
  return {fromS, toS, label: text}
}

function where(o: Observation | undefined): InputLocation {
  return o?.where ?? {}
}

/**
 * Turn raw observations into a regular series under an explicit policy:
 * - unsorted rows are sorted (warning); duplicate timestamps: `refuse` fails, else the later row wins (warning);
 * - a missing step, an empty/NaN value or a negative value is a gap: `refuse` fails naming the row,
 *   `fill` interpolates (short gaps linearly, longer ones from one season earlier) and marks the
 *   points imputed, `drop` keeps only the history after the last gap;
 * - masked windows are filled like gaps and marked imputed (fitted through, never scored);
 * - fewer than `minPoints` points left is refused.
 */
export function cleanObservations(raw: readonly Observation[], options: CleanOptions): Cleaned {
  const policy = options.gaps ?? 'refuse'
  const warnings: string[] = []
  if (raw.length === 0) throw new InputError({file: options.name}, 'no data points')
  const bad = raw.find((o) => Number.isNaN(o.timeS))
  if (bad) throw new InputError(where(bad), 'timestamp is neither ISO-8601 nor epoch seconds/milliseconds')

  let obs = raw
  for (let i = 1; i < raw.length; i++) {
    if (raw[i].timeS < raw[i - 1].timeS) {
      obs = [...raw].sort((a, b) => a.timeS - b.timeS)
      warnings.push(`${options.name}: rows are not in time order; sorted them`)
      break
    }
  }

  const stepS = options.stepS ?? inferStep(obs, options.name)
  const startS = obs[0].timeS
  const n = Math.floor((obs[obs.length - 1].timeS - startS) / stepS + 1e-9) + 1
  // One far-off timestamp (a typo, a unit slip) would make the grid billions of steps long.
  if (!(n <= LIMITS.forecastSteps)) {
    throw new InputError(where(obs[obs.length - 1]), `the rows span ${n.toExponential(2)} steps of ${stepS} s from the first, more than ${LIMITS.forecastSteps.toLocaleString('en-US')}`, {
      hint: 'check this row\'s timestamp (seconds or milliseconds?), or give a coarser --step',
    })
  }
  const values = new Float64Array(n).fill(Number.NaN)
  const filled = new Uint8Array(n)
  let duplicates = 0
  let firstDuplicate: Observation | undefined
  let offGrid = 0
  let negatives = 0
  let firstNegative: Observation | undefined
  for (const o of obs) {
    const pos = (o.timeS - startS) / stepS
    const i = Math.round(pos)
    if (Math.abs(pos - i) > 1e-6) {
      offGrid++
      if (policy === 'refuse') throw new InputError(where(o), `timestamp is not on the ${stepS} s grid that starts at the first row`)
      continue
    }
    if (!Number.isNaN(values[i]) || filled[i] === 2) {
      duplicates++
      firstDuplicate ??= o
      if (policy === 'refuse') throw new InputError(where(o), 'duplicate timestamp (an earlier row has the same time)', {hint: 'use --gaps fill or --gaps drop to keep the later row'})
    }
    filled[i] = 2 // seen
    let v = o.value
    if (v < 0) {
      negatives++
      firstNegative ??= o
      if (policy === 'refuse') throw new InputError(where(o), `negative value ${v}: a load cannot be negative`, {hint: 'use --gaps fill to treat it as missing'})
      v = Number.NaN
    }
    if (Number.isNaN(v) && policy === 'refuse') throw new InputError(where(o), 'empty or non-numeric value', {hint: 'use --gaps fill to interpolate it or --gaps drop to start after it'})
    values[i] = v
  }
  if (duplicates > 0) warnings.push(`${options.name}: ${duplicates} duplicate timestamps (first at ${describe(firstDuplicate)}); kept the later row`)
  if (offGrid > 0) warnings.push(`${options.name}: ${offGrid} rows off the ${stepS} s grid; ignored them`)
  if (negatives > 0) warnings.push(`${options.name}: ${negatives} negative values (first at ${describe(firstNegative)}); treated them as missing`)

  let missing = 0
  let lastMissing = -1
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i])) {
      missing++
      lastMissing = i
    }
  }
  if (missing > 0 && policy === 'refuse') {
    throw new InputError({file: options.name}, `${missing} missing steps of ${stepS} s (first after ${isoTime(startS + firstNaN(values) * stepS - stepS)})`, {
      hint: 'use --gaps fill to interpolate them or --gaps drop to keep the history after the last gap',
    })
  }

  let series: Series = {name: options.name, startS, stepS, values}
  if (missing > 0 && policy === 'drop') {
    const keepFrom = lastMissing + 1
    warnings.push(`${options.name}: ${missing} missing steps; dropped the ${keepFrom} points up to the last gap (--gaps drop)`)
    series = {name: options.name, startS: startS + keepFrom * stepS, stepS, values: values.slice(keepFrom)}
  }

  const imputed = new Uint8Array(series.values.length)
  let any = false
  for (let i = 0; i < series.values.length; i++) {
    if (Number.isNaN(series.values[i])) {
      imputed[i] = 1
      any = true
    }
  }
  if (missing > 0 && policy === 'fill') warnings.push(`${options.name}: ${missing} missing steps; filled them (--gaps fill)`)

  for (const mask of options.masks ?? []) {
    const from = Math.max(0, Math.ceil((mask.fromS - series.startS) / series.stepS))
    const to = Math.min(series.values.length - 1, Math.floor((mask.toS - series.startS) / series.stepS))
    if (to < from) {
      warnings.push(`${options.name}: mask ${mask.label} does not overlap the series; ignored`)
      continue
    }
    for (let i = from; i <= to; i++) imputed[i] = 1
    any = true
    warnings.push(`${options.name}: masked ${to - from + 1} points in ${mask.label}`)
  }

  const minPoints = options.minPoints ?? 8
  if (series.values.length < minPoints) {
    throw new InputError({file: options.name}, `only ${series.values.length} points after cleaning; at least ${minPoints} are needed`)
  }
  if (any) {
    if (imputed.every((x) => x === 1)) {
      throw new InputError({file: options.name}, 'no observed point is left: the gaps and --mask windows cover the whole series', {hint: 'narrow the --mask windows'})
    }
    fillImputed(series.values, imputed, options.seasonalities ?? defaultSeasonalities(stepS))
    series.imputed = imputed
  }
  return {series, warnings}
}

/** The most common spacing between consecutive distinct timestamps. */
export function inferStep(obs: readonly Observation[], name: string): number {
  const counts = new Map<number, number>()
  for (let i = 1; i < obs.length; i++) {
    const d = Math.round((obs[i].timeS - obs[i - 1].timeS) * 1000) / 1000
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1)
  }
  let best = 0
  let bestCount = 0
  for (const [d, c] of counts) {
    if (c > bestCount || (c === bestCount && d < best)) {
      best = d
      bestCount = c
    }
  }
  if (best <= 0) throw new InputError({file: name}, 'cannot infer the step: fewer than two distinct timestamps')
  return best
}

/**
 * Fill imputed points in place: a run of up to two points by linear interpolation between its
 * observed neighbours; a longer run from one season earlier (the longest seasonality that reaches
 * back into the series), else linearly. A run at an end repeats the nearest observed value.
 */
export function fillImputed(values: Float64Array, imputed: Uint8Array, seasonalities: readonly number[]): void {
  const n = values.length
  const seasons = [...seasonalities].sort((a, b) => b - a)
  let i = 0
  while (i < n) {
    if (!imputed[i]) {
      i++
      continue
    }
    let j = i
    while (j < n && imputed[j]) j++
    const run = j - i
    const left = i > 0 ? values[i - 1] : Number.NaN
    const right = j < n && !Number.isNaN(values[j]) ? values[j] : Number.NaN
    const season = seasons.find((m) => i - m >= 0)
    for (let k = i; k < j; k++) {
      let v: number
      if (run > 2 && season !== undefined) v = values[k - season]
      else if (!Number.isNaN(left) && !Number.isNaN(right)) v = left + ((right - left) * (k - i + 1)) / (run + 1)
      else v = Number.isNaN(left) ? right : left
      values[k] = v
    }
    i = j
  }
  if (values.some((v) => Number.isNaN(v))) throw new InputError({}, 'series has no observed values to fill from')
}

function firstNaN(values: Float64Array): number {
  return values.findIndex((v) => Number.isNaN(v))
}

export function isoTime(s: number): string {
  return new Date(s * 1000).toISOString().replace('.000Z', 'Z')
}

function describe(o: Observation | undefined): string {
  if (!o) return '?'
  const w = o.where
  return w?.line !== undefined ? `${w.file ?? ''}:${w.line}` : isoTime(o.timeS)
}
