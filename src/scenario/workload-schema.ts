/**
 * PLACEHOLDER until the workload area is merged: the scenario's `workload:` section and durations.
 * Replaced by src/workload's WorkloadSpecSchema and src/util/duration.ts at the merge.
 */
import {z} from 'zod'

const UNITS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86400}

export const DurationSchema = z
  .union([z.number().nonnegative(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(v)
    if (!m) {
      ctx.addIssue({code: 'custom', message: `not a duration (got "${v}"); write e.g. 90s, 15m, 2h, 1d`})
      return z.NEVER
    }
    return Number(m[1]) * UNITS[m[2]]
  })
  .describe('Seconds: a number, or a duration such as "90s", "15m", "2h", "1d".')

export const WorkloadSchema = z.looseObject({kind: z.enum(['trace', 'synthetic'])})
export type WorkloadSpec = z.output<typeof WorkloadSchema>
