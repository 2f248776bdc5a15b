import type {TraceFormatOption} from './formats.js'
import {inspectTrace, type TraceInspection} from './inspect.js'
import {parseMappingFlag} from './formats.js'
import type {TimeUnitOption} from './time.js'

/** `fleetcap trace inspect`'s flags, as oclif parses them (durations in seconds: src/cli/flags.ts). */
export interface InspectFlags {
  format: TraceFormatOption
  map?: string
  'time-unit': TimeUnitOption
  bucket: number
  'skip-invalid': boolean
  'reorder-window': number
}

/** The command's work: flags turned into reader options, then one pass over the trace. */
export async function inspectTraceWithFlags(file: string, f: InspectFlags): Promise<TraceInspection> {
  return inspectTrace(
    file,
    {
      format: f.format,
      mapping: f.map === undefined ? undefined : parseMappingFlag(f.map),
      timeUnit: f['time-unit'],
      skipInvalid: f['skip-invalid'],
      reorderWindowS: f['reorder-window'],
    },
    {bucketS: f.bucket},
  )
}
