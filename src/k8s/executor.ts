import {ExitCode, FleetcapError, UnreachableError} from '../errors.js'
import {findPhase, type LoadedPhase} from '../plan/load.js'
import {type KubeObject, refOf} from './client.js'
import {
  AllAppliedError,
  type ApplyRequest,
  type ApplyResult,
  type ExecutorOptions,
  FIELD_MANAGER,
  GateFailedError,
  type ObjectResult,
  type PhaseCheckResult,
} from './executor-types.js'
import {type GateResult, type GateTarget, waitForGates} from './gates.js'
import {ApplyLock, LOCK_LEASE, LockLostError} from './lock.js'
import {conflictOrSelf, PhaseObjects, sameRef} from './phase-objects.js'
import {SnapshotRestorer} from './restore.js'
import {type ExecutorState, type PhaseRecord, STATE_CONFIGMAP, StateStore} from './state.js'

export * from './executor-types.js'

/** What a lock lost mid-apply leaves: said in the error, so the user knows what a re-run or --rollback does. */
const PARTLY = `partly applied and not rolled back (another run may own the namespace now); its pre-apply snapshot is kept in ConfigMap ${STATE_CONFIGMAP}`

/**
 * Applies one phase of a plan to a cluster with server-side apply, gates it, and rolls back on a
 * failed gate or an interrupt. History, plan digest and pre-apply snapshots live in the cluster
 * (ConfigMap fleetcap-state); a Lease keeps two applies apart. The phase's objects against the live
 * namespace are phase-objects.ts; putting a snapshot back is restore.ts.
 */

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

  private readonly objects: PhaseObjects
  private readonly restorer: SnapshotRestorer

  constructor(private readonly o: ExecutorOptions) {
    this.state = new StateStore(o.client, o.client.target.namespace)
    this.started = o.clock.now()
    this.objects = new PhaseObjects(o, (message) => this.step(message))
    this.restorer = new SnapshotRestorer(o, this.objects)
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
      const prepared = await this.objects.prepare(phase)
      const objects = await this.objects.preflight(prepared, request.forceConflicts ?? false, await this.objects.orphans(prepared), request.prune ?? false)
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
      const objects = await this.restorer.restore(record)
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
    const prepared = await this.objects.prepare(phase)
    // Dry-run everything first: a conflict or an invalid object stops us before anything changes.
    const orphans = await this.objects.orphans(prepared)
    const pruned = request.prune ? orphans : []
    const objects = await this.objects.preflight(prepared, request.forceConflicts ?? false, orphans, request.prune ?? false)
    const changed = objects.some((r) => r.action !== 'unchanged' && r.action !== 'orphan')
    const last = state?.applied.at(-1)
    const reapply = !state?.pending && last?.phase === phase.name

    let record: PhaseRecord | undefined = state?.pending
    if (record) this.step(`resuming the unfinished apply of ${phase.name} (snapshot from ${record.startedAt})`)
    else if (changed || !reapply) {
      record = {phase: phase.name, planDigest: plan.digest, startedAt: this.isoNow(), holder: this.o.holder, snapshot: await this.objects.snapshot([...prepared, ...pruned.map((o) => ({object: o, source: 'pruned'}))])}
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
        if (p.hpa) await this.objects.handOverReplicas(p)
        await this.o.client.apply(p.object, {manager: FIELD_MANAGER, force: request.forceConflicts, signal: held}).catch((error: unknown) => {
          throw conflictOrSelf(error, refOf(p.object))
        })
        const r = objects.find((x) => sameRef(x.ref, refOf(p.object)))
        this.o.onProgress?.({type: 'object', ref: refOf(p.object), action: r?.action ?? 'update'})
      }
      if (lock.wasLost) throw new Error('lock lost')
      for (const p of prepared) if (p.hpa) await this.objects.keepWithinHpaBounds(p)
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
    await this.restorer.restore(record)
    this.rollingBack = false
    state.pending = undefined
    await this.state.write(state)
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
