import {ExitCode, FleetcapError} from '../errors.js'
import {describe, type KubeObject} from './client.js'
import {FIELD_MANAGER, type ExecutorOptions, type ObjectResult} from './executor-types.js'
import {waitForGates} from './gates.js'
import {type PhaseObjects, rank} from './phase-objects.js'
import type {PhaseRecord, SnapshotEntry} from './state.js'

/** Rollback's cluster side: a phase's pre-apply snapshot put back, then waited on until it settles. */
export class SnapshotRestorer {
  constructor(
    private readonly o: ExecutorOptions,
    private readonly objects: PhaseObjects,
  ) {}

  private get ns(): string {
    return this.o.client.target.namespace
  }

  /** Put every object of a snapshot back as it was (deleting what did not exist), then wait for it to settle. No abort signal: a rollback runs to the end. */
  async restore(record: PhaseRecord): Promise<ObjectResult[]> {
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
        if (entry.hpaManaged && replicas !== undefined) await this.objects.scale(entry.ref, replicas)
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
      const r = await waitForGates(
        this.o.client,
        {namespace: this.ns, deployments: restored, hpas: []},
        {
          timeoutMs: this.o.timeoutMs,
          gpuPendingGraceMs: this.o.timeoutMs,
          pollMs: this.o.pollMs,
          clock: this.o.clock,
        },
      )
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
}
