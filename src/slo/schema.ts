/**
 * The one SLO vocabulary. A scenario's `slo:`, a plan request's and a written plan's `spec.slo`, the
 * k6 thresholds and the SLO flags of `plan`, `k6 export` and `apply-to-cluster --load-test` all use
 * these fields, with these names and units (seconds; a fraction for the error rate).
 */
import {z} from 'zod'

const seconds = (what: string) => z.number().positive().describe(what)

export const SLO_FIELDS = {
  e2eP95S: seconds('Task end-to-end latency, 95th percentile, at most this many seconds.').optional(),
  e2eP99S: seconds('Task end-to-end latency, 99th percentile, at most.').optional(),
  ttftP95S: seconds('Time to first token of a call, 95th percentile, at most.').optional(),
  ttftP99S: seconds('Time to first token, 99th percentile, at most.').optional(),
  tpotP95S: seconds('Time per output token, 95th percentile, at most.').optional(),
  queueWaitP95S: seconds('Queue wait of a call, 95th percentile, at most.').optional(),
  errorRateMax: z.number().min(0).max(1).optional().describe('Largest fraction of tasks dropped, rejected or failed (0.001 = 0.1 %).'),
}

export const SloSchema = z.strictObject(SLO_FIELDS).describe('Service-level objectives (PASS/FAIL): latency quantiles in seconds, the error rate as a fraction.')

export type SloSpec = z.output<typeof SloSchema>
export type SloField = keyof SloSpec

/** What a load test can check from the client side: everything but the queue wait, which only the server sees. */
export const LOAD_TEST_SLO_FIELDS = ['e2eP95S', 'e2eP99S', 'ttftP95S', 'ttftP99S', 'tpotP95S', 'errorRateMax'] as const satisfies readonly SloField[]
export type LoadSlo = Pick<SloSpec, (typeof LOAD_TEST_SLO_FIELDS)[number]>

/**
 * Names plans written before the one vocabulary used (`p95S`, `p99S`, `maxQueueWaitS`): read, never
 * written. Mapped onto their fields so that old plans still apply.
 */
export const LEGACY_PLAN_SLO_NAMES: Readonly<Record<string, SloField>> = {p95S: 'e2eP95S', p99S: 'e2eP99S', maxQueueWaitS: 'queueWaitP95S'}

/** A plan's `slo` block with its legacy names renamed (a name given twice is kept as written under the new one). */
export function renameLegacySloFields(block: unknown): unknown {
  if (typeof block !== 'object' || block === null || Array.isArray(block)) return block
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(block)) {
    const to = LEGACY_PLAN_SLO_NAMES[key]
    if (to === undefined) out[key] = value
    else if (!(to in (block as Record<string, unknown>))) out[to] = value
  }
  return out
}

/** The flag that sets each field, in every command that takes SLO flags (src/cli/flags.ts). */
export const SLO_FLAG_NAMES = {
  e2eP95S: 'e2e-p95',
  e2eP99S: 'e2e-p99',
  ttftP95S: 'ttft-p95',
  ttftP99S: 'ttft-p99',
  tpotP95S: 'tpot-p95',
  queueWaitP95S: 'queue-wait-p95',
  errorRateMax: 'error-rate-max',
} as const satisfies Record<SloField, string>
