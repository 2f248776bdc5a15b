/**
 * Failure injection inside the simulator: the run's failures (src/autoscale expandFailures: scheduled
 * or seeded random) become engine events that act on the pools' runtimes:
 *
 * - replica-loss: the replica's process dies; its in-flight calls are retried elsewhere or lost
 *   (lost-work policy); the container restarts on the same GPU, ready again after recoveryS;
 * - node-loss: the node and its replicas are gone (calls retried or lost); the ReplicaSet replaces
 *   the pods recoveryS later (Kubernetes evicts pods from an unreachable node after the toleration,
 *   300 s by default), and they go through placement and cold start like any new replica;
 * - partition: the router cannot reach the pool for durationS: calls in flight there are taken back
 *   (retried or lost) and new calls wait in the queue for another pool or the end of the window;
 * - degraded-gpu: `count` replicas step (or serve) at throughputFactor of their speed for durationS.
 *
 * For each failure the report gives what it hit, the calls retried and lost, the time until the
 * pool's ready replicas were back at their level before it, and what users saw meanwhile.
 */
import type * as hdr from 'hdr-histogram-js'

import {type FailureEvent, type FailuresSpec, pickTargets} from '../autoscale/failures.js'
import type {PoolRuntime, Rep} from './autoscaling.js'
import type {FleetModel} from './fleet-model.js'
import {M_E2E, M_TTFT} from './metrics.js'

export interface FailureReport {
  kind: FailureEvent['kind']
  pool: string
  timeS: number
  /** When the failure itself is over (replica back, pod replacement asked, partition healed, GPU healthy). */
  endS: number
  /** Replicas (or nodes, for node-loss) hit. */
  targets: number
  replicasLost: number
  callsRetried: number
  callsLost: number
  /** Ready replicas of the pool just before. */
  readyBefore: number
  /** Seconds until the pool's ready replicas were back at readyBefore (partition, degraded GPU: until it ends); null if never in the run. */
  timeToRecoverS: number | null
  /** What users saw from the failure until the pool had recovered (observed at the pool's metric scrapes). */
  impact: {
    fromS: number
    toS: number
    tasksCompleted: number
    tasksFailed: number
    errorRate: number
    callE2eP95S: number | null
    callE2eMeanS: number | null
    /** Time to first token, p95, of the LLM calls finished in the window (null for generic pools). */
    ttftP95S: number | null
  }
}

interface Open {
  report: FailureReport
  completed: number
  failed: number
  hist: hdr.Histogram
  ttft: hdr.Histogram | undefined
  e2eSum: number
  e2eCount: number
  degraded: {rep: Rep; r: number}[]
}

export class FailureInjector {
  private readonly events: FailureEvent[]
  private readonly open: (Open | undefined)[]
  private readonly done: (FailureReport | undefined)[]
  private ctl = -1
  private model!: FleetModel

  constructor(
    spec: FailuresSpec,
    events: FailureEvent[],
    private readonly pools: ReadonlyMap<string, PoolRuntime>,
  ) {
    this.retry = spec.policy.onLostWork === 'retry'
    this.maxRetries = spec.policy.maxRetries
    this.events = events
    this.open = events.map(() => undefined)
    this.done = events.map(() => undefined)
  }

  private readonly retry: boolean
  private readonly maxRetries: number

  attach(model: FleetModel): void {
    this.model = model
    this.ctl = model.registerController((now, payload) => this.wake(now, payload))
    this.events.forEach((e, i) => model.wake(e.timeS, this.ctl, 2 * i))
    for (const rt of new Set(this.events.map((e) => this.pools.get(e.pool)!))) rt.onScrape = (now) => this.check(rt, now)
  }

  private wake(now: number, payload: number): void {
    const i = payload >> 1
    if ((payload & 1) === 1) return this.end(i)
    const e = this.events[i]
    const rt = this.pools.get(e.pool)!
    const l = this.model.latency
    const o: Open = {
      report: {
        kind: e.kind,
        pool: e.pool,
        timeS: now,
        endS: e.endS,
        targets: 0,
        replicasLost: 0,
        callsRetried: 0,
        callsLost: 0,
        readyBefore: rt.readyCount(),
        timeToRecoverS: null,
        impact: {fromS: now, toS: now, tasksCompleted: 0, tasksFailed: 0, errorRate: 0, callE2eP95S: null, callE2eMeanS: null, ttftP95S: null},
      },
      completed: this.model.tasksCompleted,
      failed: this.model.tasksFailed,
      hist: l.tap(M_E2E),
      ttft: this.model.pools[rt.p].kind === 'llm' ? l.tap(M_TTFT) : undefined,
      e2eSum: l.mean(M_E2E) * l.count(M_E2E) || 0,
      e2eCount: l.count(M_E2E),
      degraded: [],
    }
    this.open[i] = o
    const r = o.report
    switch (e.kind) {
      case 'replica-loss': {
        const alive = rt.placedReps()
        for (const k of pickTargets(e.targetDraws, alive.length)) {
          const res = rt.crashReplica(alive[k], now, e.endS - e.timeS, this.retry, this.maxRetries)
          r.targets++
          r.replicasLost++
          r.callsRetried += res.retried
          r.callsLost += res.lost
        }
        break
      }
      case 'node-loss': {
        const nodes = rt.nodeIds()
        for (const k of pickTargets(e.targetDraws, nodes.length)) {
          const res = rt.loseNode(nodes[k], now, e.endS - e.timeS, this.retry, this.maxRetries)
          r.targets++
          r.replicasLost += res.replicas
          r.callsRetried += res.retried
          r.callsLost += res.lost
        }
        break
      }
      case 'partition': {
        r.targets = 1
        this.model.setPoolBlocked(rt.p, true)
        for (const rep of rt.placedReps()) {
          const res = this.model.abortReplicaCalls(rep.r, this.retry, this.maxRetries)
          r.callsRetried += res.retried
          r.callsLost += res.lost
        }
        this.model.wake(e.endS, this.ctl, 2 * i + 1)
        break
      }
      case 'degraded-gpu': {
        const alive = rt.placedReps()
        for (const k of pickTargets(e.targetDraws, alive.length)) {
          const rep = alive[k]
          this.model.setReplicaThroughput(rep.r, e.throughputFactor ?? 1)
          o.degraded.push({rep, r: rep.r})
          r.targets++
        }
        this.model.wake(e.endS, this.ctl, 2 * i + 1)
        break
      }
    }
  }

  /** The end of a partition or a degradation. */
  private end(i: number): void {
    const e = this.events[i]
    const rt = this.pools.get(e.pool)!
    if (e.kind === 'partition') this.model.setPoolBlocked(rt.p, false)
    for (const {rep, r} of this.open[i]?.degraded ?? []) if (rep.r === r) this.model.setReplicaThroughput(r, 1)
  }

  /** At a scrape of pool `rt`: close the observation windows of its failures that are over. */
  private check(rt: PoolRuntime, now: number): void {
    this.open.forEach((o, i) => {
      if (o === undefined || o.report.pool !== rt.name) return
      const e = this.events[i]
      const loss = e.kind === 'replica-loss' || e.kind === 'node-loss'
      const over = loss ? now > e.timeS && rt.readyCount() >= o.report.readyBefore : now >= e.endS
      if (over) this.close(i, now)
    })
  }

  private close(i: number, now: number): void {
    const o = this.open[i]!
    this.open[i] = undefined
    const m = this.model
    const l = m.latency
    const h = o.hist
    if (o.ttft !== undefined) l.untap(o.ttft)
    l.untap(h)
    const count = l.count(M_E2E) - o.e2eCount
    const sum = (l.mean(M_E2E) * l.count(M_E2E) || 0) - o.e2eSum
    const completed = m.tasksCompleted - o.completed
    const failed = m.tasksFailed - o.failed
    o.report.impact = {
      fromS: o.report.timeS,
      toS: now,
      tasksCompleted: completed,
      tasksFailed: failed,
      errorRate: completed + failed > 0 ? failed / (completed + failed) : 0,
      callE2eP95S: h.totalCount > 0 ? h.getValueAtPercentile(95) / 1e6 : null,
      callE2eMeanS: count > 0 ? sum / count : null,
      ttftP95S: o.ttft !== undefined && o.ttft.totalCount > 0 ? o.ttft.getValueAtPercentile(95) / 1e6 : null,
    }
    this.done[i] = o.report
  }

  /** The failures of the run, in time order, with their recovery times (call after the run). */
  report(endS: number): FailureReport[] {
    this.open.forEach((o, i) => {
      if (o !== undefined) this.close(i, endS)
    })
    const out = this.done.filter((r): r is FailureReport => r !== undefined)
    for (const r of out) {
      const rt = this.pools.get(r.pool)!
      if (r.kind === 'partition' || r.kind === 'degraded-gpu') r.timeToRecoverS = Math.min(r.endS, endS) - r.timeS
      else r.timeToRecoverS = rt.recoveryTime(r.timeS, r.readyBefore, endS) ?? null
    }
    return out
  }
}
