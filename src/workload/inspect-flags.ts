import {InputError} from '../errors.js'
import {tryParseDuration} from '../util/duration.js'
import type {TraceFormatOption} from './formats.js'
import {inspectTrace, type TraceInspection} from './inspect.js'
import {parseMappingFlag} from './formats.js'
import type {TimeUnitOption} from './time.js'

/** `fleetcap trace inspect`'s flags, as oclif parses them (durations still texts). */
export interface InspectFlags {
  format: TraceFormatOption
  map?: string
  'time-unit': TimeUnitOption
  bucket: string
  'skip-invalid': boolean
  'reorder-window': string
}

/** The command's work: flags checked and turned into reader options, then one pass over the trace. */
export async function inspectTraceWithFlags(file: string, f: InspectFlags): Promise<TraceInspection> {
  const bucketS = durationFlag('--bucket', f.bucket)
  if (!(bucketS > 0)) throw new InputError({field: '--bucket'}, `must be positive (got "${f.bucket}")`)
  return inspectTrace(
    file,
    {
      format: f.format,
      mapping: f.map === undefined ? undefined : parseMappingFlag(f.map),
      timeUnit: f['time-unit'],
      skipInvalid: f['skip-invalid'],
      reorderWindowS: durationFlag('--reorder-window', f['reorder-window']),
    },
    {bucketS},
  )
}

function durationFlag(name: string, text: string): number {
  const v = tryParseDuration(text)
  if (v === undefined) throw new InputError({field: name}, `not a duration (got "${text}"); write e.g. 90s, 15m, 2h`)
  return v
}
