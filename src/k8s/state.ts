import {z} from 'zod'

import {FleetcapError} from '../errors.js'
import {ApiError, type KubeClient, type KubeObject} from './client.js'
import {APPLYSET_GROUP_KINDS, APPLYSET_ID, APPLYSET_TOOLING, applySetId, groupKind, PRUNABLE, TOOLING} from './applyset.js'
import {MANAGED_BY_LABEL} from './manifests.js'

/** Name of the ConfigMap that holds the executor's history in the target namespace. */
export const STATE_CONFIGMAP = 'fleetcap-state'
const KEY = 'state.json'

const RefSchema = z.object({apiVersion: z.string(), kind: z.string(), namespace: z.string().optional(), name: z.string()})
const SnapshotEntrySchema = z.object({
  ref: RefSchema,
  /** The object as it was before the phase (its intent: no status, no server metadata); null = it did not exist. */
  before: z.looseObject({apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({name: z.string()})}).nullable(),
  /** spec.replicas belongs to an HPA: restored through the scale subresource, never applied. */
  hpaManaged: z.boolean().optional(),
  /** For a Deployment the phase creates: its pod selector, to wait for its pods to go on rollback. */
  podSelector: z.record(z.string(), z.string()).optional(),
})
const PhaseRecordSchema = z.object({
  phase: z.string(),
  planDigest: z.string(),
  startedAt: z.string(),
  appliedAt: z.string().optional(),
  holder: z.string(),
  snapshot: z.array(SnapshotEntrySchema),
  /** What the check after the gates recorded (apply-to-cluster --load-test: the k6 measurement). */
  check: z.looseObject({name: z.string()}).optional(),
  /** Set while the phase is being rolled back: a run killed then leaves it, and the next run says so. */
  rollback: z.object({startedAt: z.string(), reason: z.string(), holder: z.string()}).optional(),
})
const StateSchema = z.object({
  version: z.literal(1),
  plan: z.string(),
  planDigest: z.string(),
  /** Phases applied and gated, oldest first; each keeps the snapshot taken before it. */
  applied: z.array(PhaseRecordSchema),
  /** A phase whose apply started and neither finished nor rolled back (the run died): its snapshot is the truth. */
  pending: PhaseRecordSchema.optional(),
})

export type SnapshotEntry = z.infer<typeof SnapshotEntrySchema>
export type PhaseRecord = z.infer<typeof PhaseRecordSchema>
export type ExecutorState = z.infer<typeof StateSchema>

/** The executor's state in the cluster (a ConfigMap), so every machine sees the same history. */
export class StateStore {
  private resourceVersion: string | undefined

  constructor(
    private readonly client: KubeClient,
    readonly namespace: string,
  ) {}

  /** The stored state, or null when nothing was ever applied in this namespace. */
  async read(signal?: AbortSignal): Promise<ExecutorState | null> {
    const cm = await this.client.get<KubeObject & {data?: Record<string, string>}>(this.ref(), signal)
    this.resourceVersion = cm?.metadata.resourceVersion
    const text = cm?.data?.[KEY]
    if (!cm || text === undefined) return null
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new FleetcapError(`ConfigMap ${this.namespace}/${STATE_CONFIGMAP}: ${KEY} is not JSON`, {hint: 'it was edited by hand; restore it or delete it to start over'})
    }
    const ok = StateSchema.safeParse(parsed)
    if (!ok.success) {
      const issue = ok.error.issues[0]
      throw new FleetcapError(`ConfigMap ${this.namespace}/${STATE_CONFIGMAP}: ${KEY}: ${issue.path.join('.')}: ${issue.message}`, {
        hint: 'it was written by another fleetcap version or edited by hand',
      })
    }
    return ok.data
  }

  /** Write the state; fails when someone else wrote it since our read (optimistic concurrency). */
  async write(state: ExecutorState, signal?: AbortSignal): Promise<void> {
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: STATE_CONFIGMAP,
        namespace: this.namespace,
        // The ApplySet parent (KEP-3659): its id label, and the kinds its members may have.
        labels: {[MANAGED_BY_LABEL]: 'fleetcap', [APPLYSET_ID]: applySetId(STATE_CONFIGMAP, this.namespace)},
        annotations: {[APPLYSET_TOOLING]: TOOLING, [APPLYSET_GROUP_KINDS]: PRUNABLE.map((k) => groupKind(k.apiVersion, k.kind)).sort().join(',')},
        ...(this.resourceVersion ? {resourceVersion: this.resourceVersion} : {}),
      },
      data: {[KEY]: JSON.stringify(state)},
    }
    const base = await this.client.path('v1', 'ConfigMap', this.namespace)
    try {
      const saved = this.resourceVersion
        ? await this.client.request<KubeObject>('PUT', `${base}/${STATE_CONFIGMAP}`, `write state ConfigMap ${this.namespace}/${STATE_CONFIGMAP}`, {body, signal})
        : await this.client.request<KubeObject>('POST', base, `create state ConfigMap ${this.namespace}/${STATE_CONFIGMAP}`, {body, signal})
      this.resourceVersion = saved.metadata.resourceVersion
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        throw new FleetcapError(`state ConfigMap ${this.namespace}/${STATE_CONFIGMAP} was changed by someone else during this run`, {
          hint: 'another fleetcap ran without the lock, or someone edited it: check it and re-run',
        })
      }
      throw error
    }
  }

  private ref() {
    return {apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: STATE_CONFIGMAP}
  }
}
