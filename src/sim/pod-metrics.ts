/**
 * The metrics pipeline of one autoscaled pool: every scrape interval the ready pods' metrics (busy %,
 * KV use, calls in flight, their share of the queue) and the pool-level series its controller reads
 * (queue depth, p95 latency, error rate, …) are sampled from the fleet model into src/autoscale's
 * MetricsPipeline, which shows them with the configured lag. observation() is what an HPA sees of the
 * pods at a sync.
 */
import type * as hdr from 'hdr-histogram-js'

import type {HpaObservation, PodView} from '../autoscale/hpa.js'
import type {ModelledMetric} from '../autoscale/metric-names.js'
import {MetricsPipeline} from '../autoscale/metrics-lag.js'
import {PRIORITIES, PRIORITY_RANK, type Priority} from '../workload/types.js'
import type {PoolAutoscalingConfig} from './autoscale-config.js'
import type {FleetModel} from './fleet-model.js'
import {M_E2E, M_TTFT} from './metrics.js'
import {DRAINING, PLACED, type Rep, WAITING} from './pods.js'
import {ReplicaState} from './types.js'

const POD_METRICS: readonly ModelledMetric[] = ['cpu', 'memory', 'gpu_utilization', 'kv_cache_usage', 'inflight_requests', 'waiting_requests', 'queue_depth']
const POD_CODE: Record<ModelledMetric, number> = {cpu: 0, gpu_utilization: 0, memory: 1, kv_cache_usage: 2, inflight_requests: 3, waiting_requests: 4, queue_depth: 4}

export class PodMetrics {
  readonly pipeline: MetricsPipeline
  /** The per-pod metrics the controller reads, in the order of a pod's keys. */
  readonly podMetrics: ModelledMetric[]
  /** podMetrics as small integers for the scrape loop: 0 busy %, 1 KV %, 2 KV fraction, 3 in flight, 4 queue share. */
  private readonly podCodes: Uint8Array
  private readonly poolKeys: string[]
  // Threshold signals over the last scrape interval.
  private window: hdr.Histogram | undefined
  private lastArrived = 0
  private lastFailed = 0

  constructor(cfg: PoolAutoscalingConfig) {
    this.pipeline = new MetricsPipeline(cfg.metrics)
    const {pod, pool} = neededMetrics(cfg)
    this.podMetrics = pod
    this.podCodes = Uint8Array.from(pod, (m) => POD_CODE[m])
    this.poolKeys = pool
  }

  /** The series keys of pod number `n` of the pool. */
  keysOf(n: number): string[] {
    return this.podMetrics.map((m) => `${n}/${m}`)
  }

  /** Sample the ready pods' metrics and the pool's series at `now`. */
  scrape(model: FleetModel, p: number, reps: readonly Rep[], now: number): void {
    const ready: Rep[] = []
    for (const rep of reps) if (rep.state === PLACED && model.replicaState(rep.r) === ReplicaState.READY) ready.push(rep)
    const q = model.queueDepth
    const n = ready.length
    let cpuSum = 0
    let kvSum = 0
    let inflight = 0
    for (let i = 0; i < n; i++) {
      const rep = ready[i]
      const busy = model.replicaBusyS(rep.r)
      const since = Math.max(rep.readyS, rep.lastScrapeS)
      const dt = now - since
      const cpu = dt > 0 ? (100 * (busy - rep.lastBusyS)) / dt : Number.NaN
      rep.lastBusyS = busy
      rep.lastScrapeS = now
      const kv = model.replicaKvFraction(rep.r)
      const out = model.replicaOutstanding(rep.r)
      if (!Number.isNaN(cpu)) cpuSum += cpu
      kvSum += kv
      inflight += out
      const share = Math.floor(q / n) + (i < q % n ? 1 : 0)
      const codes = this.podCodes
      for (let k = 0; k < codes.length; k++) {
        const code = codes[k]
        const v = code === 0 ? cpu : code === 1 ? 100 * kv : code === 2 ? kv : code === 3 ? out : share
        // A replica ready at this very instant has no CPU sample yet: a missing pod to the HPA.
        if (!Number.isNaN(v)) this.pipeline.record(rep.keys[k], now, v)
      }
    }
    for (const key of this.poolKeys) {
      let v: number
      switch (key) {
        case 'queue_depth':
        case 'waiting_requests':
        case 'queue_pending':
          v = q
          break
        case 'inflight_requests':
          v = inflight
          break
        case 'cpu':
        case 'gpu_utilization':
          v = n > 0 ? cpuSum / n : 0
          break
        case 'memory':
          v = n > 0 ? (100 * kvSum) / n : 0
          break
        case 'kv_cache_usage':
          v = n > 0 ? kvSum / n : 0
          break
        case 'p95_latency_ms': {
          // p95 of the calls finished since the last scrape (fleet-wide). "Response time" is the time
          // to first token of an LLM call, a generic job's e2e.
          this.window ??= model.latency.tap(model.pools[p].kind === 'llm' ? M_TTFT : M_E2E)
          v = this.window.totalCount > 0 ? this.window.getValueAtPercentile(95) / 1000 : Number.NaN
          this.window.reset()
          break
        }
        case 'error_rate_percent': {
          const arrived = model.tasksArrived - this.lastArrived
          const failed = model.tasksFailed - this.lastFailed
          this.lastArrived = model.tasksArrived
          this.lastFailed = model.tasksFailed
          v = arrived > 0 ? (100 * failed) / arrived : 0
          break
        }
        default: {
          const m = /^queue_depth\{priority=(\w+)\}$/.exec(key)
          v = m !== null && (PRIORITIES as readonly string[]).includes(m[1]) ? model.queueDepthOf(PRIORITY_RANK[m[1] as Priority]) : q
        }
      }
      if (!Number.isNaN(v)) this.pipeline.record(`@${key}`, now, v)
    }
  }

  /** The pool-level series as the controller sees them at `now` (lagged). */
  poolValues(now: number): Record<string, number | undefined> {
    const out: Record<string, number | undefined> = {}
    for (const key of this.poolKeys) out[key] = this.pipeline.read(`@${key}`, now)?.value
    return out
  }

  /** What an HPA sees at `now`: the pods (phase, readiness, lagged metrics) and the pool's series. */
  observation(model: FleetModel, reps: readonly Rep[], desired: number, now: number): HpaObservation {
    const pods: PodView[] = []
    for (const rep of reps) {
      if (rep.state === WAITING) {
        pods.push({name: rep.name, phase: 'Pending', ready: false, metrics: {}})
        continue
      }
      const ready = model.replicaState(rep.r) === ReplicaState.READY
      const started = now >= rep.nodeReadyS
      const metrics: PodView['metrics'] = {}
      let ts: number | undefined
      for (let k = 0; k < this.podMetrics.length; k++) {
        const s = this.pipeline.read(rep.keys[k], now)
        if (s === undefined) continue
        metrics[this.podMetrics[k]] = s.value
        ts = s.timestampS
      }
      pods.push({
        name: rep.name,
        phase: now < rep.imageReadyS ? 'Pending' : 'Running',
        deleting: rep.state === DRAINING,
        ready,
        startTimeS: started ? rep.nodeReadyS : undefined,
        readyTransitionS: ready ? rep.readyS : started ? rep.nodeReadyS : undefined,
        metrics,
        metricTimestampS: ts,
      })
    }
    const values = this.poolValues(now)
    let existing = 0
    for (const p of pods) if (p.deleting !== true) existing++
    return {currentReplicas: desired, statusReplicas: existing, pods, objectMetrics: values, externalMetrics: values}
  }
}

/** What a pool's controller reads: per-pod quantities and pool-level series keys. */
function neededMetrics(cfg: PoolAutoscalingConfig): {pod: ModelledMetric[]; pool: string[]} {
  const pod = new Set<ModelledMetric>()
  const pool = new Set<string>()
  const c = cfg.controller
  const hpa = c.kind === 'hpa' ? c.hpa.spec : c.kind === 'scheduled-hpa' ? c.hpa.hpa.spec : undefined
  if (hpa !== undefined) {
    for (const m of hpa.metrics) {
      if (m.sourceType === 'Object' || m.sourceType === 'External') {
        pool.add(m.reads)
        if (m.seriesKey !== undefined) pool.add(m.seriesKey)
      } else pod.add(m.reads)
    }
  }
  if (c.kind === 'keda') for (const t of c.keda.spec.triggers) pool.add(t.reads)
  if (c.kind === 'thresholds') for (const r of c.thresholds.spec.rules) pool.add(r.metric)
  return {pod: POD_METRICS.filter((m) => pod.has(m)), pool: [...pool].sort()}
}
