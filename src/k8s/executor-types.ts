import {ExitCode, FleetcapError} from '../errors.js'
import type {LoadedPhase, LoadedPlan} from '../plan/load.js'
import {describe, type ClusterTarget, type KubeClient, type ObjectRef, type RequestCounts} from './client.js'
import type {Clock} from './clock.js'
import type {GateStatus} from './gates.js'
import type {FieldChange} from './objects.js'

/** What the executor (executor.ts) is given, asked, and answers; the errors it ends with. */

export const FIELD_MANAGER = 'fleetcap'

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

export type ProgressEvent = {type: 'step'; message: string} | {type: 'object'; ref: ObjectRef; action: ObjectAction} | {type: 'gate'; status: GateStatus}

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
