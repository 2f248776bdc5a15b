import {ExitCode, FleetcapError, InputError, UnreachableError} from '../errors.js'
import {findPhase, type LoadedPhase, type LoadedPlan} from '../plan/load.js'
import {ApiError, describe, type ClusterTarget, type KubeClient, type KubeObject, type ObjectRef, refOf, type RequestCounts} from './client.js'
import type {Clock} from './clock.js'
import {type GateResult, type GateStatus, type GateTarget, waitForGates} from './gates.js'
import {APPLYSET_PART_OF, applySetId, PRUNABLE} from './applyset.js'
import {ApplyLock, LOCK_LEASE, LockLostError} from './lock.js'
import {diffFields, type FieldChange, intent} from './objects.js'
import {type ExecutorState, type PhaseRecord, type SnapshotEntry, STATE_CONFIGMAP, StateStore} from './state.js'

export const FIELD_MANAGER = 'fleetcap'
/** Co-owns spec.replicas while fleetcap hands it over to an HPA, so dropping it from our apply does not reset it. */
const HANDOVER_MANAGER = 'fleetcap-replicas-handover'
/** Writes replicas through the scale subresource, as the HPA itself does (an update, never an apply). */
const SCALE_MANAGER = 'fleetcap-scale'

export type ApplyMode = 'apply' | 'dry-run' | 'diff'

export interface ExecutorOptions {
  client: KubeClient
  plan: LoadedPlan
  clock: Clock
  /** Identity recorded in the Lease and the history (host, process). */
  holder: string
  /** Gate timeout (and the wait for a rollback to settle). */
  timeoutMs: number
  gpuPendingGraceMs: number
  lockWaitMs: number
  leaseDurationSeconds?: number
  pollMs?: number
  /** Abort = interrupted (SIGINT/SIGTERM): the executor rolls back what it changed. */
  signal?: AbortSignal
  /**
   * A check run after the rollout gates passed (apply-to-cluster --load-test: k6 at the phase's
   * planned load). A failed check fails the phase like a gate: what it changed is rolled back.
   */
  afterGates?: PhaseCheck
  onProgress?: (event: ProgressEvent) => void
}

/** A check after the gates; `record` is kept with the phase's apply record in the cluster. */
export interface PhaseCheck {
  name: string
  run(phase: LoadedPhase, signal?: AbortSignal): Promise<PhaseCheckResult>
}

export interface PhaseCheckResult {
  passed: boolean
  reason: string
  record?: Record<string, unknown>
}

export interface ApplyRequest {
  /** Default: the first phase not applied yet. */
  phase?: string
  mode: ApplyMode
  /** Take over fields other field managers own. */
  forceConflicts?: boolean
  /** Apply although the cluster's history is of a different plan digest. */
  forcePlan?: boolean
  /** Delete what fleetcap applied here that the phase no longer contains (its ApplySet), after the gates pass. */
  prune?: boolean
}

export type ProgressEvent =
  | {type: 'step'; message: string}
  | {type: 'object'; ref: ObjectRef; action: ObjectAction}
  | {type: 'gate'; status: GateStatus}

/** prune: deleted because the phase no longer contains it (--prune); orphan: the same, kept (no --prune). */
export type ObjectAction = 'create' | 'update' | 'unchanged' | 'delete' | 'restore' | 'prune' | 'orphan'

export interface ObjectResult {
  ref: ObjectRef
  source?: string
  action: ObjectAction
  changes: FieldChange[]
  /** Set when an HPA owns spec.replicas of this Deployment (left out of what fleetcap applies). */
  replicasOwnedBy?: string
}

export interface ApplyResult {
  cluster: Omit<ClusterTarget, 'kubeconfig'>
  plan: {name: string; digest: string}
  phase: string
  mode: ApplyMode | 'rollback'
  objects: ObjectResult[]
  changed: number
  gates?: {passed: boolean; elapsedMs: number; polls: number; failure?: string; status: GateStatus}
  /** The check after the gates (a load test), when one ran. */
  check?: {name: string} & PhaseCheckResult
  rolledBack: boolean
  requests: RequestCounts
  elapsedMs: number
}

/** A gate failed or the run was interrupted; what the phase changed was rolled back. */
/** Nothing to do: every phase of the plan is applied (exit 0, as --help says). */
export class AllAppliedError extends FleetcapError {
  constructor(plan: string) {
    super(`every phase of plan ${plan} is applied: nothing to do`, {exit: ExitCode.OK, hint: 'pass --phase NAME to re-apply one, or --rollback'})
  }
}

export class GateFailedError extends FleetcapError {
  constructor(
    message: string,
    override readonly result: ApplyResult,
  ) {
    super(message, {exit: ExitCode.GATE_FAILED, hint: 'the cluster is as it was before this phase; see the gate message for why', result})
  }
}

/** Fields another field manager owns would change. */
export class FieldConflictError extends FleetcapError {
  constructor(
    readonly ref: ObjectRef,
    readonly conflicts: Array<{field: string; manager: string}>,
  ) {
    super(`${describe(ref)}: fields owned by another field manager: ${conflicts.map((c) => `${c.field} (${c.manager})`).join(', ')}`, {
      exit: ExitCode.INPUT,
      hint: 'nothing was changed; --force-conflicts takes these fields over from their manager',
    })
  }
}

interface Prepared {
  object: KubeObject
  source: string
  /** Name of the HPA that owns spec.replicas, and its bounds. */
  hpa?: {name: string; min: number; max: number}
}

const KIND_ORDER: Record<string, number> = {Namespace: 0, ServiceAccount: 1, ConfigMap: 1, Secret: 1, PriorityClass: 1, Service: 2, Deployment: 3, StatefulSet: 3, HorizontalPodAutoscaler: 4, PodDisruptionBudget: 5}
const rank = (kind: string): number => KIND_ORDER[kind] ?? 2

/**
 * Applies one phase of a plan to a cluster with server-side apply, gates it, and rolls back on a
 * failed gate or an interrupt. History, plan digest and pre-apply snapshots live in the cluster
 * (ConfigMap fleetcap-state); a Lease keeps two applies apart.
 */
/** What a lock lost mid-apply leaves: said in the error, so the user knows what a re-run or --rollback does. */
const PARTLY = `partly applied and not rolled back (another run may own the namespace now); its pre-apply snapshot is kept in ConfigMap ${STATE_CONFIGMAP}`

export class Executor {
  private readonly state: StateStore
  private readonly started: number
  /** Set once this run starts changing objects; until then an interrupt needs no rollback. */
  private touched = false
  /** The lock of the apply in progress: a failure after it was lost must not roll back. */
  private held: ApplyLock | undefined
  /** True while a rollback restores objects (a second signal then gets the command that finishes it). */
  rollingBack = false

  /** The command that finishes an interrupted rollback of this plan in this namespace. */
  finishRollbackCommand(): string {
    const t = this.o.client.target
    return `fleetcap apply-to-cluster ${this.o.plan.dir} --rollback --yes --context ${t.context} --namespace ${t.namespace}`
  }

  constructor(private readonly o: ExecutorOptions) {
    this.state = new StateStore(o.client, o.client.target.namespace)
    this.started = o.clock.now()
  }

  private get ns(): string {
    return this.o.client.target.namespace
  }

  async apply(request: ApplyRequest): Promise<ApplyResult> {
    const {client} = this.o
    await client.version(this.o.signal)
    if (request.mode !== 'apply') {
      const state = await this.state.read(this.o.signal)
      const phase = this.resolvePhase(request.phase, state)
      const prepared = await this.prepare(phase)
      const objects = await this.preflight(prepared, request.forceConflicts ?? false, await this.orphans(prepared), request.prune ?? false)
      return this.result(phase.name, request.mode, objects, false)
    }
    await this.ensureNamespace()
    const lock = await this.lock().catch((error: unknown) => {
      throw this.interruptedBeforeChanges(error)
    })
    this.held = lock
    try {
      return await this.applyLocked(request, lock)
    } catch (error) {
      throw this.interruptedBeforeChanges(error)
    } finally {
      await lock.release().catch(() => undefined)
    }
  }

  /**
   * A plan that creates its namespace (manifests.createNamespace) needs it before the Lease and the
   * state, which live in it: create just that Namespace first (server-side apply, idempotent).
   */
  private async ensureNamespace(): Promise<void> {
    const ns = this.o.plan.phases.flatMap((p) => p.objects.map((o) => o.object)).find((o) => o.kind === 'Namespace' && o.metadata.name === this.ns)
    if (!ns) return
    if (await this.o.client.get({apiVersion: 'v1', kind: 'Namespace', name: this.ns}, this.o.signal)) return
    this.step(`creating Namespace ${this.ns} (the plan asks for it) before taking the apply lock in it`)
    await this.o.client.apply(structuredClone(ns) as KubeObject, {manager: FIELD_MANAGER, signal: this.o.signal})
  }

  /** Undo the last applied phase (or an unfinished one) from its snapshot. */
  async rollback(): Promise<ApplyResult> {
    await this.o.client.version(this.o.signal)
    const lock = await this.lock()
    try {
      const state = await this.state.read(this.o.signal)
      const record = state?.pending ?? state?.applied.at(-1)
      if (!state || !record) throw new FleetcapError(`nothing to roll back: no phase of any plan was applied in namespace ${this.ns}`)
      this.step(`rolling back phase ${record.phase}${state.pending ? (state.pending.rollback ? ' (finishing an interrupted rollback)' : ' (unfinished)') : ''}`)
      // Recorded as pending with its rollback first, so a kill now is finished by the same command.
      state.pending = {...record, rollback: {startedAt: this.isoNow(), reason: '--rollback', holder: this.o.holder}}
      if (state.applied.at(-1) === record) state.applied.pop()
      await this.state.write(state)
      this.rollingBack = true
      const objects = await this.restore(record)
      this.rollingBack = false
      state.pending = undefined
      await this.state.write(state)
      return this.result(record.phase, 'rollback', objects, true)
    } finally {
      await lock.release().catch(() => undefined)
    }
  }

  /** An interrupt that arrived before anything changed (reading state, dry run, snapshot): say so. */
  private interruptedBeforeChanges(error: unknown): unknown {
    if (!this.o.signal?.aborted || this.touched || error instanceof GateFailedError) return error
    return new FleetcapError(`${(this.o.signal.reason as Error | undefined)?.message ?? 'interrupted'} before anything changed`, {exit: ExitCode.GATE_FAILED})
  }

  private async applyLocked(request: ApplyRequest, lock: ApplyLock): Promise<ApplyResult> {
    const {plan, signal} = this.o
    const state = await this.state.read(signal)
    this.checkPlan(state, request.forcePlan ?? false)
    const phase = this.resolvePhase(request.phase, state)
    if (state?.pending?.rollback) {
      const p = state.pending
      throw new FleetcapError(
        `phase ${p.phase} was being rolled back when that run stopped (rollback started ${p.rollback!.startedAt} by ${p.rollback!.holder}, after: ${p.rollback!.reason}); the namespace is part-way between phase ${p.phase} and the snapshot taken before it (${p.startedAt})`,
        {exit: ExitCode.GATE_FAILED, hint: `finish the rollback first: ${this.finishRollbackCommand()}`},
      )
    }
    if (state?.pending && state.pending.phase !== phase.name) {
      throw new FleetcapError(`an apply of phase ${state.pending.phase} did not finish (started ${state.pending.startedAt} by ${state.pending.holder})`, {
        hint: `re-run with --phase ${state.pending.phase} to finish it, or --rollback to undo it`,
      })
    }
    const prepared = await this.prepare(phase)
    // Dry-run everything first: a conflict or an invalid object stops us before anything changes.
    const orphans = await this.orphans(prepared)
    const pruned = request.prune ? orphans : []
    const objects = await this.preflight(prepared, request.forceConflicts ?? false, orphans, request.prune ?? false)
    const changed = objects.some((r) => r.action !== 'unchanged' && r.action !== 'orphan')
    const last = state?.applied.at(-1)
    const reapply = !state?.pending && last?.phase === phase.name

    let record: PhaseRecord | undefined = state?.pending
    if (record) this.step(`resuming the unfinished apply of ${phase.name} (snapshot from ${record.startedAt})`)
    else if (changed || !reapply) {
      record = {phase: phase.name, planDigest: plan.digest, startedAt: this.isoNow(), holder: this.o.holder, snapshot: await this.snapshot([...prepared, ...pruned.map((o) => ({object: o, source: 'pruned'}))])}
    }
    const next: ExecutorState = state ?? {version: 1, plan: plan.document.metadata.name, planDigest: plan.digest, applied: []}
    // Nothing has changed yet: a lock lost by now stops the run cleanly.
    await this.holdLock(lock, phase.name, 'before changing anything', 'nothing changed')
    if (record && changed) {
      next.pending = record
      await this.state.write(next, signal)
    }

    let gate: GateResult | undefined
    this.touched = true
    // Whatever this run waits on (object writes, the gates) stops as soon as a renewal finds the lock lost.
    const held = signal === undefined ? lock.lostSignal : AbortSignal.any([signal, lock.lostSignal])
    try {
      for (const p of prepared) {
        if (lock.wasLost) break
        if (p.hpa) await this.handOverReplicas(p)
        await this.o.client.apply(p.object, {manager: FIELD_MANAGER, force: request.forceConflicts, signal: held}).catch((error: unknown) => {
          throw conflictOrSelf(error, refOf(p.object))
        })
        const r = objects.find((x) => sameRef(x.ref, refOf(p.object)))
        this.o.onProgress?.({type: 'object', ref: refOf(p.object), action: r?.action ?? 'update'})
      }
      if (lock.wasLost) throw new Error('lock lost')
      for (const p of prepared) if (p.hpa) await this.keepWithinHpaBounds(p)
      this.step(`gates: waiting up to ${Math.round(this.o.timeoutMs / 1000)} s for rollout`)
      gate = await waitForGates(this.o.client, this.gateTarget(prepared.map((p) => p.object)), {
        timeoutMs: this.o.timeoutMs,
        gpuPendingGraceMs: this.o.gpuPendingGraceMs,
        pollMs: this.o.pollMs,
        clock: this.o.clock,
        signal: held,
        onProgress: (status) => this.o.onProgress?.({type: 'gate', status}),
      })
    } catch (error) {
      throw await this.failed(error, next, record, phase.name, objects)
    }
    const gates = {passed: gate.passed, elapsedMs: gate.elapsedMs, polls: gate.polls, failure: gate.failure, status: gate.status}
    if (!gate.passed) {
      if (record) {
        await this.holdLock(lock, phase.name, `before rolling back (gate failed: ${gate.failure})`, PARTLY)
        this.step(`gate failed: ${gate.failure}; rolling back`)
        await this.restoreAndForget(next, record, `gate failed: ${gate.failure}`)
      }
      const result = {...this.result(phase.name, 'apply', objects, Boolean(record)), gates}
      throw new GateFailedError(`phase ${phase.name}: ${gate.failure}${record ? '; rolled back' : ''}`, result)
    }
    let check: ({name: string} & PhaseCheckResult) | undefined
    if (this.o.afterGates) {
      const {name} = this.o.afterGates
      this.step(`${name}: running`)
      try {
        check = {name, ...(await this.o.afterGates.run(phase, signal))}
      } catch (error) {
        throw await this.failed(error, next, record, phase.name, objects)
      }
      if (!check.passed) {
        if (record) {
          await this.holdLock(lock, phase.name, `before rolling back (${name} failed: ${check.reason})`, PARTLY)
          this.step(`${name} failed: ${check.reason}; rolling back`)
          await this.restoreAndForget(next, record, `${name} failed: ${check.reason}`)
        }
        const result = {...this.result(phase.name, 'apply', objects, Boolean(record)), gates, check}
        throw new GateFailedError(`phase ${phase.name}: ${name} failed: ${check.reason}${record ? '; rolled back' : ''}`, result)
      }
      this.step(`${name} passed: ${check.reason}`)
    }
    if (pruned.length > 0) {
      // After the gates: the new pools serve before the old ones go. The snapshot holds them, so a
      // rollback (now or with --rollback later) puts them back.
      await this.holdLock(lock, phase.name, 'before pruning', 'applied and its gates passed, nothing pruned, not recorded')
      try {
        for (const o of pruned) {
          await this.o.client.delete(refOf(o))
          this.o.onProgress?.({type: 'object', ref: refOf(o), action: 'prune'})
        }
      } catch (error) {
        throw await this.failed(error, next, record, phase.name, objects)
      }
    }
    if (record) {
      const done: PhaseRecord = {...record, appliedAt: this.isoNow(), planDigest: plan.digest, ...(check?.record ? {check: {name: check.name, ...check.record}} : {})}
      if (reapply && last) next.applied[next.applied.length - 1] = {...done, snapshot: last.snapshot, startedAt: last.startedAt}
      else next.applied.push(done)
    }
    await this.holdLock(lock, phase.name, 'before recording the phase', 'applied but not recorded')
    const digestChanged = state?.planDigest !== plan.digest
    next.pending = undefined
    next.plan = plan.document.metadata.name
    next.planDigest = plan.digest
    if (record || digestChanged) await this.state.write(next, signal)
    return {...this.result(phase.name, 'apply', objects, false), gates, ...(check ? {check} : {})}
  }

  /** Turn a failure during apply or gating into the right error, rolling back when we can reach the cluster. */
  private async failed(error: unknown, state: ExecutorState, record: PhaseRecord | undefined, phase: string, objects: ObjectResult[]): Promise<unknown> {
    // The namespace may be another run's now: no rollback (it would undo that run's work); the pending
    // record with its pre-apply snapshot stays in the state for a re-run to finish or undo.
    if (this.held?.wasLost) return this.lockLost(this.held, phase, 'while applying and waiting for its gates', record ? PARTLY : 'nothing changed')
    const interrupted = this.o.signal?.aborted === true
    if (!record) return interrupted ? new GateFailedError(`phase ${phase}: interrupted; nothing had changed`, this.result(phase, 'apply', objects, false)) : error
    if (error instanceof UnreachableError && !interrupted) {
      // The API server went away mid-apply: try once to restore; if it is still away, the pending
      // record (with the snapshot taken before anything changed) lets a re-run finish or undo it.
      try {
        await this.restoreAndForget(state, record, error.message)
      } catch {
        return new UnreachableError(`${error.message}; phase ${phase} is partly applied and could not be rolled back`, {
          hint: `the cluster keeps the pre-apply snapshot; once it is reachable re-run the same command to finish phase ${phase}, or run with --rollback to undo it`,
          cause: error,
        })
      }
      return new UnreachableError(`${error.message}; the phase was rolled back`, {hint: 'check the cluster and re-run', cause: error})
    }
    this.step(interrupted ? 'interrupted: rolling back' : `failed: ${(error as Error).message}; rolling back`)
    await this.restoreAndForget(state, record, interrupted ? 'interrupted' : (error as Error).message)
    if (interrupted) return new GateFailedError(`phase ${phase}: interrupted; rolled back to the state before the phase`, this.result(phase, 'apply', objects, true))
    if (error instanceof FleetcapError) return new FleetcapError(`${error.message}; rolled back`, {exit: error.exit, hint: error.hint, cause: error})
    return error
  }

  private async restoreAndForget(state: ExecutorState, record: PhaseRecord, reason = 'the phase failed'): Promise<void> {
    // Recorded first: if this run is killed mid-rollback, the next one knows exactly where it stopped.
    state.pending = {...record, rollback: {startedAt: this.isoNow(), reason, holder: this.o.holder}}
    await this.state.write(state)
    this.step(`rollback recorded in ConfigMap ${STATE_CONFIGMAP}; restoring ${record.snapshot.length} object(s)`)
    this.rollingBack = true
    await this.restore(record)
    this.rollingBack = false
    state.pending = undefined
    await this.state.write(state)
  }

  /** Put every object of a snapshot back as it was (deleting what did not exist), then wait for it to settle. No abort signal: a rollback runs to the end. */
  private async restore(record: PhaseRecord): Promise<ObjectResult[]> {
    const {client} = this.o
    const results: ObjectResult[] = []
    const entries = [...record.snapshot].sort((a, b) => rank(b.ref.kind) - rank(a.ref.kind))
    for (const entry of entries) {
      if (entry.before === null && entry.ref.kind === 'Namespace') {
        // Deleting a namespace would take fleetcap's own state and lock with it, and anyone's objects.
        results.push({ref: entry.ref, action: 'unchanged', changes: []})
      } else if (entry.before === null) {
        const gone = await client.delete(entry.ref)
        results.push({ref: entry.ref, action: gone ? 'delete' : 'unchanged', changes: []})
      } else {
        const before = structuredClone(entry.before) as KubeObject
        const replicas = (before.spec as {replicas?: number} | undefined)?.replicas
        if (entry.hpaManaged && before.spec) delete (before.spec as {replicas?: number}).replicas
        await client.apply(before, {manager: FIELD_MANAGER, force: true})
        if (entry.hpaManaged && replicas !== undefined) await this.scale(entry.ref, replicas)
        results.push({ref: entry.ref, action: 'restore', changes: []})
      }
      this.o.onProgress?.({type: 'object', ref: entry.ref, action: results.at(-1)!.action})
    }
    await this.settle(record.snapshot)
    return results
  }

  /** After a restore: restored Deployments rolled out, deleted ones gone with their pods. */
  private async settle(snapshot: SnapshotEntry[]): Promise<void> {
    const restored = snapshot.filter((e) => e.before !== null && e.ref.kind === 'Deployment').map((e) => e.ref.name)
    const deleted = snapshot.filter((e) => e.before === null)
    const deadline = this.o.clock.now() + this.o.timeoutMs
    if (restored.length > 0) {
      const r = await waitForGates(this.o.client, {namespace: this.ns, deployments: restored, hpas: []}, {
        timeoutMs: this.o.timeoutMs,
        gpuPendingGraceMs: this.o.timeoutMs,
        pollMs: this.o.pollMs,
        clock: this.o.clock,
      })
      if (!r.passed) throw new FleetcapError(`rolled back, but the restored objects did not become healthy: ${r.failure}`, {exit: ExitCode.GATE_FAILED})
    }
    for (;;) {
      const left: string[] = []
      for (const e of deleted) if (await this.o.client.get(e.ref)) left.push(describe(e.ref))
      const selectors = deleted.flatMap((e) => (e.podSelector ? [e.podSelector] : []))
      if (selectors.length > 0) {
        const pods = await this.o.client.list('v1', 'Pod', this.ns)
        const owned = pods.items.filter((p) => selectors.some((sel) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v)))
        if (owned.length > 0) left.push(`${owned.length} pods`)
      }
      if (left.length === 0) return
      if (this.o.clock.now() > deadline) throw new FleetcapError(`rolled back, but still deleting: ${left.join(', ')}`, {exit: ExitCode.GATE_FAILED})
      await this.o.clock.sleep(this.o.pollMs ?? 1000)
    }
  }

  /** Stop (exit 4) when the lock is no longer ours, before a step that changes the namespace or its record. */
  private async holdLock(lock: ApplyLock, phase: string, when: string, left: string): Promise<void> {
    if (!(await lock.stillHeld(this.o.signal))) throw this.lockLost(lock, phase, when, left)
  }

  private lockLost(lock: ApplyLock, phase: string, when: string, left: string): LockLostError {
    this.step(`the apply lock was lost (${lock.how}): stopping, no rollback`)
    return new LockLostError(`the apply lock (Lease ${this.ns}/${LOCK_LEASE}) was lost during this run (${lock.how}); stopped ${when}: phase ${phase} is ${left}`, `once no other apply runs in namespace ${this.ns}, re-run this command to finish phase ${phase}, or run it with --rollback to undo it`)
  }

  private async lock(): Promise<ApplyLock> {
    return ApplyLock.acquire(this.o.client, this.ns, {
      holder: this.o.holder,
      leaseDurationSeconds: this.o.leaseDurationSeconds ?? 15,
      waitMs: this.o.lockWaitMs,
      clock: this.o.clock,
      signal: this.o.signal,
      onWait: (holder, since) => this.step(`waiting for the apply lock held by ${holder} since ${since}`),
      onTakeover: (holder) => this.step(`the apply lock's holder ${holder} is no longer running on this host: taking the lock over`),
    })
  }

  private checkPlan(state: ExecutorState | null, force: boolean): void {
    const {plan} = this.o
    if (!state || state.planDigest === plan.digest || (state.applied.length === 0 && !state.pending)) return
    if (force) {
      this.step(`--force: replacing plan ${state.plan} (${state.planDigest.slice(0, 19)}) with ${plan.document.metadata.name} (${plan.digest.slice(0, 19)})`)
      return
    }
    throw new FleetcapError(
      `namespace ${this.ns} was changed by plan ${state.plan} (${state.planDigest}); this is plan ${plan.document.metadata.name} (${plan.digest})`,
      {hint: 'pass --force to apply a different plan over that history, or use the plan that made it'},
    )
  }

  private resolvePhase(name: string | undefined, state: ExecutorState | null): LoadedPhase {
    const {plan} = this.o
    if (name !== undefined) return findPhase(plan, name)
    if (state?.pending) return findPhase(plan, state.pending.phase)
    const applied = new Set(state?.planDigest === plan.digest ? state.applied.map((r) => r.phase) : [])
    const next = plan.phases.find((p) => !applied.has(p.name))
    if (!next) throw new AllAppliedError(plan.document.metadata.name)
    return next
  }

  /** Place the phase's objects in the namespace and find the Deployments whose replicas an HPA owns. */
  private async prepare(phase: LoadedPhase): Promise<Prepared[]> {
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

  /** Server-side dry run of every object; what would change against the live objects. */
  /**
   * Objects of this namespace's ApplySet (labelled part-of by an earlier apply) that the phase no
   * longer contains: pruned with --prune, else reported as left running. Unlabelled objects, and
   * kinds the cluster does not serve, are never touched.
   */
  private async orphans(prepared: Prepared[]): Promise<KubeObject[]> {
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

  private async preflight(prepared: Prepared[], force: boolean, orphans: KubeObject[] = [], prune = false): Promise<ObjectResult[]> {
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

  private async snapshot(prepared: Prepared[]): Promise<SnapshotEntry[]> {
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
  private async handOverReplicas(p: Prepared): Promise<void> {
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
  private async keepWithinHpaBounds(p: Prepared): Promise<void> {
    if (!p.hpa) return
    const live = await this.o.client.get(refOf(p.object), this.o.signal)
    const current = (live?.spec as {replicas?: number} | undefined)?.replicas ?? 1
    const bounded = Math.min(p.hpa.max, Math.max(p.hpa.min, current))
    if (bounded !== current) await this.scale(refOf(p.object), bounded)
  }

  private async scale(ref: ObjectRef, replicas: number): Promise<void> {
    const path = `${await this.o.client.path(ref.apiVersion, ref.kind, ref.namespace, ref.name)}/scale`
    await this.o.client.request('PATCH', path, `scale ${describe(ref)} to ${replicas}`, {
      query: {fieldManager: SCALE_MANAGER},
      body: {spec: {replicas}},
      contentType: 'application/merge-patch+json',
    })
  }

  private gateTarget(objects: KubeObject[]): GateTarget {
    return {
      namespace: this.ns,
      deployments: objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name),
      hpas: objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name),
    }
  }

  private result(phase: string, mode: ApplyResult['mode'], objects: ObjectResult[], rolledBack: boolean): ApplyResult {
    const {kubeconfig: _, ...cluster} = this.o.client.target
    return {
      cluster,
      plan: {name: this.o.plan.document.metadata.name, digest: this.o.plan.digest},
      phase,
      mode,
      objects,
      changed: objects.filter((o) => o.action !== 'unchanged' && o.action !== 'orphan').length,
      rolledBack,
      requests: structuredClone(this.o.client.counts),
      elapsedMs: this.o.clock.now() - this.started,
    }
  }

  private step(message: string): void {
    this.o.onProgress?.({type: 'step', message})
  }

  private isoNow(): string {
    return new Date(this.o.clock.now()).toISOString()
  }
}

/** Did fleetcap's apply set spec.replicas of this live object? */
function ownsReplicas(live: KubeObject): boolean {
  const managed = (live.metadata.managedFields ?? []) as Array<{manager?: string; operation?: string; fieldsV1?: {'f:spec'?: Record<string, unknown>}}>
  return managed.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply' && m.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined)
}

function withReplicas(object: KubeObject, replicas: number | undefined): KubeObject {
  const copy = structuredClone(object)
  copy.spec = {...(copy.spec as object), replicas}
  return copy
}

function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.name === b.name && a.namespace === b.namespace && a.apiVersion.split('/')[0] === b.apiVersion.split('/')[0]
}

/** A 409 from server-side apply that names conflicting fields becomes a FieldConflictError. */
function conflictOrSelf(error: unknown, ref: ObjectRef): unknown {
  if (!(error instanceof ApiError) || error.status !== 409) return error
  const causes = (error.details?.causes ?? []).filter((c) => c.reason === 'FieldManagerConflict')
  if (causes.length === 0) return error
  return new FieldConflictError(
    ref,
    causes.map((c) => ({field: c.field ?? '?', manager: (c.message ?? '').replace(/^conflict with /, '')})),
  )
}
