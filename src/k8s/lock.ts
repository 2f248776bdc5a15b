import {hostname} from 'node:os'

import {ExitCode, FleetcapError} from '../errors.js'
import {ApiError, type KubeClient, type KubeObject} from './client.js'
import type {Clock} from './clock.js'
import {MANAGED_BY_LABEL} from './manifests.js'

export const LOCK_LEASE = 'fleetcap-apply-lock'

interface LeaseObject extends KubeObject {
  spec?: {holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string}
}

export interface LockOptions {
  /** Who we are, shown to a second run that finds the lock taken. */
  holder: string
  /** A holder that stops renewing loses the lock after this long (a crashed run). */
  leaseDurationSeconds: number
  /** How long to wait for another holder to finish; 0 = fail at once. */
  waitMs: number
  clock: Clock
  signal?: AbortSignal
  onWait?: (holder: string, since: string) => void
  /** Called when the lock of a dead holder on this host is taken over. */
  onTakeover?: (holder: string) => void
}

/** Another run holds the lock and did not release it within the wait. */
export class LockHeldError extends FleetcapError {
  constructor(namespace: string, holder: string, since: string) {
    super(`another apply holds the lock in namespace ${namespace} (Lease ${LOCK_LEASE}, holder ${holder}, since ${since})`, {
      hint: 'wait for it to finish, or pass --lock-wait SECONDS to wait; a crashed holder loses the lock when its lease expires',
    })
  }
}

/** The lock was taken by another run while this one held it (its renewals failed past the lease). */
export class LockLostError extends FleetcapError {
  constructor(message: string, hint: string) {
    super(message, {exit: ExitCode.UNREACHABLE, hint})
  }
}

/** The holder identity fleetcap writes: host and process, so a re-run on the same host can tell a dead holder. */
export function holderIdentity(pid: number = process.pid, host: string = hostname()): string {
  return `${host}/pid-${pid}`
}

/**
 * A holder that is provably dead: it ran on this host (its identity says so) and its process is gone.
 * A holder on another host, or a live process, is never judged dead: its lease must expire.
 */
export function holderIsDead(holder: string, host: string = hostname()): boolean {
  const m = /^(.+)\/pid-(\d+)$/.exec(holder)
  if (!m || m[1] !== host) return false
  const pid = Number(m[2])
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * A coordination.k8s.io Lease held for the whole apply, renewed in the background, so two applies
 * never run at once in a namespace; one that crashed stops renewing and its lease expires.
 */
export class ApplyLock {
  private renewTimer: NodeJS.Timeout | undefined
  /** The renewal in flight, if any: release waits for it, so a late renewal cannot outlive the release. */
  private renewing: Promise<void> | undefined
  private released = false
  private resourceVersion: string | undefined
  private lost = false
  /** How the lock was lost: "the Lease was deleted" or "holder X took it". */
  private lostHow: string | undefined
  private readonly lostController = new AbortController()

  private constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly options: LockOptions,
  ) {}

  static async acquire(client: KubeClient, namespace: string, options: LockOptions): Promise<ApplyLock> {
    const lock = new ApplyLock(client, namespace, options)
    await lock.take()
    lock.renewTimer = setInterval(() => {
      lock.renewing ??= lock.renew().finally(() => (lock.renewing = undefined))
    }, (options.leaseDurationSeconds * 1000) / 3)
    lock.renewTimer.unref()
    return lock
  }

  /** True when a renewal or a check found the lease deleted or taken by someone else. */
  get wasLost(): boolean {
    return this.lost
  }

  /** How the lock was lost, once it was. */
  get how(): string {
    return this.lostHow ?? 'not lost'
  }

  /** Aborted as soon as a renewal finds the lock lost: what this run waits on (gates) stops with it. */
  get lostSignal(): AbortSignal {
    return this.lostController.signal
  }

  /**
   * Read the Lease now (not the last renewal's verdict, up to a third of the lease old): true when it
   * is still ours. Called before each step that changes the namespace or fleetcap's record of it.
   */
  async stillHeld(signal?: AbortSignal): Promise<boolean> {
    if (this.lost) return false
    const lease = await this.client.get<LeaseObject>(this.ref(), signal)
    if (lease?.spec?.holderIdentity === this.options.holder) return true
    this.markLost(lease)
    return false
  }

  private markLost(lease: LeaseObject | null): void {
    this.lost = true
    this.lostHow = !lease ? 'the Lease was deleted' : `holder ${lease.spec?.holderIdentity ?? '(none)'} took it`
    clearInterval(this.renewTimer)
    this.lostController.abort(new Error(`the apply lock was lost: ${this.lostHow}`))
  }

  async release(): Promise<void> {
    this.released = true
    clearInterval(this.renewTimer)
    // A renewal that read the Lease before the release could write it after the delete's read: the
    // delete's precondition then fails (409) and the Lease stayed, blocking the next apply until it
    // expired. Wait for it, then delete, reading again after a conflict.
    await this.renewing
    for (let attempt = 0; attempt < 3; attempt++) {
      const lease = await this.client.get<LeaseObject>(this.ref())
      if (lease?.spec?.holderIdentity !== this.options.holder) return
      try {
        await this.client.delete(this.ref(), {preconditionResourceVersion: lease.metadata.resourceVersion})
        return
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409)) throw error
      }
    }
  }

  private async take(): Promise<void> {
    const {clock, signal} = this.options
    const start = clock.now()
    let told = false
    for (;;) {
      signal?.throwIfAborted()
      const lease = await this.client.get<LeaseObject>(this.ref(), signal)
      const now = clock.now()
      try {
        if (!lease) {
          const saved = await this.client.request<LeaseObject>('POST', await this.client.path('coordination.k8s.io/v1', 'Lease', this.namespace), 'create the apply Lease', {
            body: this.body(now, now),
            signal,
          })
          this.resourceVersion = saved.metadata.resourceVersion
          return
        }
        const spec = lease.spec ?? {}
        const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '') || 0
        const expired = !spec.holderIdentity || renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now
        // A run that crashed on this host (kill -9, OOM) leaves a lease that has not expired yet: its
        // process is gone, so take the lock at once instead of tripping on our own stale lock. The
        // PUT carries the lease's resourceVersion: if another run took it meanwhile, it fails (409).
        const dead = !expired && spec.holderIdentity !== undefined && spec.holderIdentity !== this.options.holder && holderIsDead(spec.holderIdentity)
        if (dead) this.options.onTakeover?.(spec.holderIdentity!)
        if (expired || dead || spec.holderIdentity === this.options.holder) {
          const saved = await this.client.request<LeaseObject>('PUT', await this.client.path('coordination.k8s.io/v1', 'Lease', this.namespace, LOCK_LEASE), 'take over the expired apply Lease', {
            body: {...this.body(now, now), metadata: {...this.body(now, now).metadata, resourceVersion: lease.metadata.resourceVersion}},
            signal,
          })
          this.resourceVersion = saved.metadata.resourceVersion
          return
        }
        const since = spec.acquireTime ?? spec.renewTime ?? 'unknown'
        if (now - start >= this.options.waitMs) throw new LockHeldError(this.namespace, spec.holderIdentity ?? '?', since)
        if (!told) this.options.onWait?.(spec.holderIdentity ?? '?', since)
        told = true
      } catch (error) {
        // Someone else created or took the lease between our read and write: look again.
        if (!(error instanceof ApiError && error.status === 409)) throw error
      }
      await clock.sleep(Math.min(1000, Math.max(100, this.options.waitMs / 10)), signal)
    }
  }

  private async renew(): Promise<void> {
    try {
      const now = this.options.clock.now()
      const lease = await this.client.get<LeaseObject>(this.ref())
      if (this.lost || this.released) return
      if (!lease || lease.spec?.holderIdentity !== this.options.holder) {
        this.markLost(lease)
        return
      }
      const body = this.body(Date.parse(lease.spec.acquireTime ?? '') || now, now)
      body.metadata.resourceVersion = lease.metadata.resourceVersion
      const saved = await this.client.request<LeaseObject>('PUT', await this.client.path('coordination.k8s.io/v1', 'Lease', this.namespace, LOCK_LEASE), 'renew the apply Lease', {body})
      this.resourceVersion = saved.metadata.resourceVersion
    } catch {
      // A missed renewal is retried on the next tick; the lease outlives two of them.
    }
  }

  private body(acquired: number, renewed: number): LeaseObject {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {name: LOCK_LEASE, namespace: this.namespace, labels: {[MANAGED_BY_LABEL]: 'fleetcap'}},
      spec: {
        holderIdentity: this.options.holder,
        leaseDurationSeconds: this.options.leaseDurationSeconds,
        acquireTime: microTime(acquired),
        renewTime: microTime(renewed),
      },
    }
  }

  private ref() {
    return {apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.namespace, name: LOCK_LEASE}
  }
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
