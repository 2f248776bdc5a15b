import {InputError} from '../errors.js'
import type {LoadedPhase} from '../plan/load.js'
import {APPLYSET_PART_OF, applySetId, PRUNABLE} from './applyset.js'
import {ApiError, describe, type KubeObject, type ObjectRef, refOf} from './client.js'
import {FIELD_MANAGER, FieldConflictError, type ExecutorOptions, type ObjectAction, type ObjectResult} from './executor-types.js'
import {diffFields, intent} from './objects.js'
import {type SnapshotEntry, STATE_CONFIGMAP} from './state.js'

/**
 * A phase's objects against the live namespace: placed in it (prepare), dry-run (preflight), the
 * ApplySet members the phase dropped (orphans), the pre-apply snapshot, and the hand-over of
 * spec.replicas to an HPA. The executor (executor.ts) decides when each runs.
 */

/** Co-owns spec.replicas while fleetcap hands it over to an HPA, so dropping it from our apply does not reset it. */
const HANDOVER_MANAGER = 'fleetcap-replicas-handover'
/** Writes replicas through the scale subresource, as the HPA itself does (an update, never an apply). */
const SCALE_MANAGER = 'fleetcap-scale'

export interface Prepared {
  object: KubeObject
  source: string
  /** Name of the HPA that owns spec.replicas, and its bounds. */
  hpa?: {name: string; min: number; max: number}
}

const KIND_ORDER: Record<string, number> = {
  Namespace: 0,
  ServiceAccount: 1,
  ConfigMap: 1,
  Secret: 1,
  PriorityClass: 1,
  Service: 2,
  Deployment: 3,
  StatefulSet: 3,
  HorizontalPodAutoscaler: 4,
  PodDisruptionBudget: 5,
}
export const rank = (kind: string): number => KIND_ORDER[kind] ?? 2

export class PhaseObjects {
  constructor(
    private readonly o: ExecutorOptions,
    private readonly step: (message: string) => void,
  ) {}

  private get ns(): string {
    return this.o.client.target.namespace
  }

  /** Place the phase's objects in the namespace and find the Deployments whose replicas an HPA owns. */
  async prepare(phase: LoadedPhase): Promise<Prepared[]> {
    const prepared: Prepared[] = []
    for (const {object, source} of phase.objects) {
      const copy = structuredClone(object) as KubeObject
      if (await this.o.client.isNamespaced(copy.apiVersion, copy.kind)) {
        if (copy.metadata.namespace && copy.metadata.namespace !== this.ns) {
          throw new InputError({file: source, field: 'metadata.namespace'}, `"${copy.metadata.namespace}" differs from the target namespace "${this.ns}"`, {
            hint: 'leave namespaces out of plan manifests and pass --namespace',
          })
        }
        copy.metadata.namespace = this.ns
        // ApplySet membership: what --prune may delete later is exactly what fleetcap applied here.
        copy.metadata.labels = {...copy.metadata.labels, [APPLYSET_PART_OF]: applySetId(STATE_CONFIGMAP, this.ns)}
      }
      prepared.push({object: copy, source})
    }
    const hpas = new Map<string, {name: string; min: number; max: number}>()
    const live = await this.o.client.list('autoscaling/v2', 'HorizontalPodAutoscaler', this.ns, {}, this.o.signal)
    const planned = prepared.filter((p) => p.object.kind === 'HorizontalPodAutoscaler').map((p) => p.object)
    for (const h of [...live.items, ...planned]) {
      const spec = h.spec as {scaleTargetRef?: {kind?: string; name?: string}; minReplicas?: number; maxReplicas?: number} | undefined
      if (spec?.scaleTargetRef?.kind === 'Deployment' && spec.scaleTargetRef.name) {
        hpas.set(spec.scaleTargetRef.name, {name: h.metadata.name, min: spec.minReplicas ?? 1, max: spec.maxReplicas ?? 1})
      }
    }
    for (const p of prepared) {
      const hpa = p.object.kind === 'Deployment' ? hpas.get(p.object.metadata.name) : undefined
      if (hpa) {
        p.hpa = hpa
        // Never fight the HPA: spec.replicas is its field.
        delete (p.object.spec as {replicas?: number} | undefined)?.replicas
      }
    }
    return prepared.sort((a, b) => rank(a.object.kind) - rank(b.object.kind))
  }

  /**
   * Objects of this namespace's ApplySet (labelled part-of by an earlier apply) that the phase no
   * longer contains: pruned with --prune, else reported as left running. Unlabelled objects, and
   * kinds the cluster does not serve, are never touched.
   */
  async orphans(prepared: Prepared[]): Promise<KubeObject[]> {
    const wanted = new Set(prepared.map((p) => `${p.object.kind}/${p.object.metadata.name}`))
    const out: KubeObject[] = []
    for (const k of PRUNABLE) {
      let list: {items: KubeObject[]}
      try {
        list = await this.o.client.list(k.apiVersion, k.kind, this.ns, {labelSelector: `${APPLYSET_PART_OF}=${applySetId(STATE_CONFIGMAP, this.ns)}`}, this.o.signal)
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) continue
        if (error instanceof InputError && /does not serve|serves no kind/.test(error.message)) continue
        throw error
      }
      for (const o of list.items) if (!wanted.has(`${k.kind}/${o.metadata.name}`)) out.push({...o, apiVersion: k.apiVersion, kind: k.kind})
    }
    return out
  }

  /** Server-side dry run of every object; what would change against the live objects. */
  async preflight(prepared: Prepared[], force: boolean, orphans: KubeObject[] = [], prune = false): Promise<ObjectResult[]> {
    const results: ObjectResult[] = []
    for (const o of orphans) results.push({ref: refOf(o), action: prune ? 'prune' : 'orphan', changes: []})
    for (const p of prepared) {
      const ref = refOf(p.object)
      const live = await this.o.client.get(ref, this.o.signal)
      // Where fleetcap will hand spec.replicas over to an HPA, the value stays: dry-run it that way.
      const probe = p.hpa && live && ownsReplicas(live) ? withReplicas(p.object, (live.spec as {replicas?: number}).replicas) : p.object
      let after: KubeObject
      try {
        after = await this.o.client.apply(probe, {manager: FIELD_MANAGER, force, dryRun: true, signal: this.o.signal})
      } catch (error) {
        throw conflictOrSelf(error, ref)
      }
      const changes = live ? diffFields(intent(live), intent(after)) : diffFields(undefined, intent(after))
      const action: ObjectAction = !live ? 'create' : changes.length > 0 ? 'update' : 'unchanged'
      results.push({ref, source: p.source, action, changes, replicasOwnedBy: p.hpa ? `HorizontalPodAutoscaler ${p.hpa.name}` : undefined})
    }
    return results
  }

  async snapshot(prepared: Prepared[]): Promise<SnapshotEntry[]> {
    const entries: SnapshotEntry[] = []
    const liveHpas = await this.o.client.list('autoscaling/v2', 'HorizontalPodAutoscaler', this.ns, {}, this.o.signal)
    const hpaTargets = new Set(liveHpas.items.map((h) => (h.spec as {scaleTargetRef?: {name?: string}} | undefined)?.scaleTargetRef?.name))
    for (const p of prepared) {
      const ref = refOf(p.object)
      const live = await this.o.client.get(ref, this.o.signal)
      const entry: SnapshotEntry = {ref, before: live ? intent(live) : null}
      if (live && ref.kind === 'Deployment' && hpaTargets.has(ref.name)) entry.hpaManaged = true
      const selector = (p.object.spec as {selector?: {matchLabels?: Record<string, string>}} | undefined)?.selector?.matchLabels
      if (!live && ref.kind === 'Deployment' && selector) entry.podSelector = selector
      entries.push(entry)
    }
    return entries
  }

  /** If fleetcap applied spec.replicas before, let another manager co-own it so dropping it from our apply does not reset it. */
  async handOverReplicas(p: Prepared): Promise<void> {
    const live = await this.o.client.get(refOf(p.object), this.o.signal)
    if (!live || !ownsReplicas(live)) return
    const replicas = (live.spec as {replicas?: number}).replicas
    this.step(`handing spec.replicas of Deployment ${p.object.metadata.name} over to HorizontalPodAutoscaler ${p.hpa?.name}`)
    await this.o.client.apply(
      {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: p.object.metadata.name, namespace: this.ns}, spec: {replicas}},
      {manager: HANDOVER_MANAGER, force: true, signal: this.o.signal},
    )
  }

  /**
   * The HPA raises replicas below minReplicas on its next sync (at most every sync period); do what it
   * would do now, through the scale subresource as it does, so the gate does not wait for it. Within
   * [min, max] replicas stay the HPA's business.
   */
  async keepWithinHpaBounds(p: Prepared): Promise<void> {
    if (!p.hpa) return
    const live = await this.o.client.get(refOf(p.object), this.o.signal)
    const current = (live?.spec as {replicas?: number} | undefined)?.replicas ?? 1
    const bounded = Math.min(p.hpa.max, Math.max(p.hpa.min, current))
    if (bounded !== current) await this.scale(refOf(p.object), bounded)
  }

  async scale(ref: ObjectRef, replicas: number): Promise<void> {
    const path = `${await this.o.client.path(ref.apiVersion, ref.kind, ref.namespace, ref.name)}/scale`
    await this.o.client.request('PATCH', path, `scale ${describe(ref)} to ${replicas}`, {
      query: {fieldManager: SCALE_MANAGER},
      body: {spec: {replicas}},
      contentType: 'application/merge-patch+json',
    })
  }
}

/** Did fleetcap's apply set spec.replicas of this live object? */
export function ownsReplicas(live: KubeObject): boolean {
  const managed = (live.metadata.managedFields ?? []) as Array<{manager?: string; operation?: string; fieldsV1?: {'f:spec'?: Record<string, unknown>}}>
  return managed.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply' && m.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined)
}

function withReplicas(object: KubeObject, replicas: number | undefined): KubeObject {
  const copy = structuredClone(object)
  copy.spec = {...(copy.spec as object), replicas}
  return copy
}

export function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.name === b.name && a.namespace === b.namespace && a.apiVersion.split('/')[0] === b.apiVersion.split('/')[0]
}

/** A 409 from server-side apply that names conflicting fields becomes a FieldConflictError. */
export function conflictOrSelf(error: unknown, ref: ObjectRef): unknown {
  if (!(error instanceof ApiError) || error.status !== 409) return error
  const causes = (error.details?.causes ?? []).filter((c) => c.reason === 'FieldManagerConflict')
  if (causes.length === 0) return error
  return new FieldConflictError(
    ref,
    causes.map((c) => ({field: c.field ?? '?', manager: (c.message ?? '').replace(/^conflict with /, '')})),
  )
}
