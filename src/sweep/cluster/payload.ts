/**
 * What an Indexed Job's pods need to run their shard, in one ConfigMap (`<job>-spec`, key
 * sweep.json): the validated spec and base scenario as exact JSON (not the rounded canonical form:
 * a base rate of 3.1234567 must reach the pod as written), their digest, the shard count, how many
 * cells a result chunk holds, and the Job's uid (result ConfigMaps are owned by the Job, so deleting
 * it deletes them). A pod checks the digest before it simulates anything.
 */
import {z} from 'zod'

import {FleetcapError, InputError} from '../../errors.js'
import {ScenarioSchema} from '../../scenario/schema.js'
import {sweepDigest} from '../journal.js'
import {type LoadedSweep, SweepSpecSchema} from '../spec.js'

export const PAYLOAD_KEY = 'sweep.json'
/** Every object of one cluster sweep carries this label with the Job's name. */
export const JOB_LABEL = 'fleetcap.dev/sweep-job'
export const INDEX_LABEL = 'fleetcap.dev/sweep-index'
export const POD_LABEL = 'fleetcap.dev/sweep-pod'
export const DIGEST_ANNOTATION = 'fleetcap.dev/sweep-digest'
/** A ConfigMap holds at most 1 MiB; stay clear of it. */
export const CONFIGMAP_LIMIT_BYTES = 1_000_000

export interface SweepPayload {
  digest: string
  shards: number
  chunkCells: number
  jobUid: string
  spec: LoadedSweep['spec']
  base: LoadedSweep['base']
}

const PayloadSchema = z.object({
  apiVersion: z.literal('fleetcap.dev/v1'),
  kind: z.literal('SweepPayload'),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  shards: z.number().int().positive(),
  chunkCells: z.number().int().positive(),
  jobUid: z.string().min(1),
  spec: z.unknown(),
  base: z.unknown(),
})

export function specConfigMapName(job: string): string {
  return `${job}-spec`
}

export function encodePayload(p: SweepPayload): string {
  const text = JSON.stringify({apiVersion: 'fleetcap.dev/v1', kind: 'SweepPayload', ...p})
  if (Buffer.byteLength(text) > CONFIGMAP_LIMIT_BYTES) {
    throw new InputError({field: 'base'}, `the spec and base scenario take ${Buffer.byteLength(text)} bytes; a ConfigMap holds at most ${CONFIGMAP_LIMIT_BYTES}`)
  }
  return text
}

/** Decode and check a payload read from the cluster; the digest must match what it holds. */
export function decodePayload(text: string, where: string): SweepPayload {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new FleetcapError(`${where}: ${PAYLOAD_KEY} is not JSON`)
  }
  const parsed = PayloadSchema.safeParse(data)
  if (!parsed.success) throw new FleetcapError(`${where}: not a sweep payload (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`)
  const spec = SweepSpecSchema.parse(parsed.data.spec)
  // Validated here; the base is used as sent (each cell validates its own scenario again, as locally).
  ScenarioSchema.parse(parsed.data.base)
  const base = parsed.data.base as LoadedSweep['base']
  // The digest of what was sent, before the schemas' defaults: it must be what the submitter computed.
  const digest = sweepDigest({spec: parsed.data.spec as LoadedSweep['spec'], base: parsed.data.base as LoadedSweep['base']})
  if (digest !== parsed.data.digest) throw new FleetcapError(`${where}: the spec's digest does not match its content (changed after submission?)`)
  return {...parsed.data, spec, base}
}

/**
 * A pod cannot read files beside the spec: refuse a base scenario or factor level that names one
 * (a manifest's {file: …}, a trace workload's path, a token distribution's fromTrace), naming the field.
 */
export function refuseFileReferences(loaded: LoadedSweep): void {
  const walk = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object') return
    const o = v as {file?: unknown; fromTrace?: unknown; kind?: unknown; path?: unknown}
    const ref = Array.isArray(v) ? undefined : typeof o.file === 'string' ? o.file : typeof o.fromTrace === 'string' ? o.fromTrace : o.kind === 'trace' && typeof o.path === 'string' ? o.path : undefined
    if (ref !== undefined) {
      throw new InputError({file: loaded.file, field: path}, `references the file ${ref}; a pod of the Job cannot read it`, {
        hint: 'put the manifest inline in the scenario, or run the sweep locally (or in shards on a shared volume: --emit-job)',
      })
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`)
  }
  walk(loaded.base, 'base')
  loaded.spec.factors.forEach((f, i) => walk(f.values, `factors.${i}.values`))
}
