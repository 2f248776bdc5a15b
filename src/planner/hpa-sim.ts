/**
 * The chosen fleet's autoscalers run inside the discrete-event simulator over the whole forecast
 * day: the phase's workload (target tasks/day with its daily curve) arrives at a fleet that starts at
 * minReplicas; every 15 s each pool's HPA (src/autoscale's controller, reading the HPA object we
 * write) sees its replicas' in-flight requests and the simulator adds replicas that take work a cold
 * start later, or drains the newest. The report's SLOs and cost are then those of the day as the HPA
 * would run it. (The simulator exposes the fleet's in-flight count, not each replica's: a pool's
 * replicas share the fleet's in-flight requests in proportion to their throughput.)
 */
import {createHpaController, type HpaController, type PodView} from '../autoscale/hpa.js'
import {parseHpaObject} from '../autoscale/hpa-schema.js'
import {CUSTOM_METRIC_NAMES} from '../autoscale/metric-names.js'
import {parseMinReplicaSchedule, ScheduledHpa} from '../autoscale/schedule.js'
import {RandomStreams} from '../engine/random.js'
import type {Catalog, ResolvedProfile} from '../fleet/profiles/index.js'
import {buildReport} from '../report/report.js'
import type {LlmPoolSpec, Scenario, SloSpec} from '../scenario/schema.js'
import {FleetModel} from '../sim/fleet-model.js'
import {runFleetModel} from '../sim/run.js'
import {buildPools} from '../sim/simulate.js'
import {ReplicaState} from '../sim/types.js'
import {createWorkload} from '../workload/create.js'
import {SyntheticWorkloadSchema} from '../workload/spec.js'
import type {AutoscalePlan} from './autoscaler.js'
import {hpaObject} from './autoscaler.js'
import type {CandidatePool} from './candidates.js'
import type {ResolvedRequest} from './spec.js'

const DAY_S = 86_400
const SYNC_S = 15

export interface HpaDayResult {
  seed: number
  pass: boolean
  misses: string[]
  ttftP95S: number | null
  errorRate: number
  costPerDayUsd: number
  poolCostPerDayUsd: Record<string, number>
  /** Per pool: fewest and most replicas that existed at a sync. */
  replicas: Record<string, [number, number]>
  scaleEvents: number
  /** At every HPA sync: the time, the fleet's calls in flight, and per pool the replicas that existed and the HPA's desired count (charts). */
  trajectory: {timeS: number[]; inFlight: number[]; replicas: Record<string, number[]>; desired: Record<string, number[]>}
}

interface PoolRun {
  index: number
  pool: CandidatePool
  reconcile: HpaController['reconcile']
  callsPerS: number
}

export async function simulateHpaDay(
  pools: ReadonlyArray<{pool: CandidatePool; autoscale: AutoscalePlan; callsPerS: number}>,
  tasksPerDay: number,
  request: ResolvedRequest,
  catalog: Catalog,
  seed: number,
): Promise<HpaDayResult> {
  const profiles = new Map<string, ResolvedProfile>(pools.map((p) => [p.pool.name, p.pool.profile]))
  const initial = pools.map((p) => {
    const s = p.autoscale.schedule ? parseMinReplicaSchedule(p.autoscale.schedule, 0).minReplicasAt(0) ?? 0 : 0
    return Math.max(p.autoscale.settings.minReplicas, s)
  })
  const scenario: Scenario = {
    apiVersion: 'fleetcap.dev/v1',
    kind: 'Scenario',
    name: 'hpa-day',
    seed,
    durationS: DAY_S,
    workload: {kind: 'synthetic'},
    fleet: {
      pools: pools.map(
        (p, i): LlmPoolSpec => ({name: p.pool.name, gpu: p.pool.profile.gpu, model: p.pool.profile.model, tensorParallel: p.pool.profile.tensorParallel, engine: p.pool.profile.engine, precision: p.pool.profile.precision, replicas: initial[i], ...(request.prefixCache ? {prefixCache: true} : {})}),
      ),
    },
    routing: request.routing,
    queue: {deadlines: request.queueDeadlines},
    slo: request.slo as SloSpec,
  }
  const {pools: configs, info} = buildPools(scenario, (p) => profiles.get(p.name) as ResolvedProfile)
  const rng = new RandomStreams(seed)
  const runs: PoolRun[] = pools.map((p, index) => {
    const s = p.autoscale.settings
    const spec = parseHpaObject(hpaObject(p.pool.name, s), s.metric in CUSTOM_METRIC_NAMES ? {} : {metricAliases: {[s.metric]: 'inflight_requests'}})
    const reconcile: HpaController['reconcile'] = p.autoscale.schedule
      ? (() => {
          const sh = new ScheduledHpa(spec, parseMinReplicaSchedule(p.autoscale.schedule, 0))
          return (t, obs) => sh.reconcile(t, obs)
        })()
      : (() => {
          const c = createHpaController(spec)
          return (t, obs) => c.reconcile(t, obs)
        })()
    return {index, pool: p.pool, reconcile, callsPerS: p.callsPerS}
  })
  const poolOf: number[] = []
  const createdAt: number[] = []
  pools.forEach((_, i) => {
    for (let k = 0; k < initial[i]; k++) {
      poolOf.push(i)
      createdAt.push(0)
    }
  })
  const lo = pools.map((_, i) => initial[i])
  const hi = pools.map((_, i) => initial[i])
  let events = 0
  let nextSync = 0
  const trajectory: HpaDayResult['trajectory'] = {timeS: [], inFlight: [], replicas: {}, desired: {}}
  for (const run of runs) {
    trajectory.replicas[run.pool.name] = []
    trajectory.desired[run.pool.name] = []
  }
  const onSample = (model: FleetModel, now: number): void => {
    if (now < nextSync || now > DAY_S) return
    nextSync = now + SYNC_S
    const live = (i: number) => poolOf.map((p, r) => ({p, r})).filter(({p, r}) => p === i && model.replicaState(r) !== ReplicaState.GONE && model.replicaState(r) !== ReplicaState.DRAINING)
    // The fleet's in-flight requests, shared by ready replicas in proportion to their throughput.
    let readyRate = 0
    for (const run of runs) readyRate += live(run.index).filter(({r}) => model.replicaState(r) === ReplicaState.READY).length * run.callsPerS
    const perRate = readyRate > 0 ? model.inFlight / readyRate : 0
    trajectory.timeS.push(now)
    trajectory.inFlight.push(model.inFlight)
    for (const run of runs) {
      const mine = live(run.index)
      const pods: PodView[] = mine.map(({r}) =>
        model.replicaState(r) === ReplicaState.READY
          ? {name: `r${r}`, ready: true, startTimeS: createdAt[r], readyTransitionS: createdAt[r], metrics: {inflight_requests: perRate * run.callsPerS}, metricTimestampS: now}
          : {name: `r${r}`, ready: false, startTimeS: createdAt[r], metrics: {}},
      )
      const d = run.reconcile(now, {currentReplicas: mine.length, pods})
      trajectory.replicas[run.pool.name].push(mine.length)
      trajectory.desired[run.pool.name].push(d.desiredReplicas)
      if (d.desiredReplicas > mine.length) {
        for (let k = mine.length; k < d.desiredReplicas; k++) {
          const r = model.addReplica(run.index, run.pool.profile.coldStartS)
          poolOf[r] = run.index
          createdAt[r] = now
        }
        events++
      } else if (d.desiredReplicas < mine.length) {
        // The ReplicaSet removes not-ready replicas first, then the newest.
        const order = [...mine].sort((a, b) => Number(model.replicaState(a.r) === ReplicaState.READY) - Number(model.replicaState(b.r) === ReplicaState.READY) || createdAt[b.r] - createdAt[a.r])
        for (const {r} of order.slice(0, mine.length - d.desiredReplicas)) model.drainReplica(r)
        events++
      }
      lo[run.index] = Math.min(lo[run.index], d.desiredReplicas)
      hi[run.index] = Math.max(hi[run.index], d.desiredReplicas)
    }
  }
  const model = new FleetModel(
    {
      pools: configs,
      routing: {policy: request.routing.policy, score: request.routing.weights, ewmaAlpha: request.routing.ewmaAlpha},
      queue: {deadlineS: request.queueDeadlines},
      durationS: DAY_S,
      sampleIntervalS: SYNC_S,
      onSample,
    },
    rng.stream('routing'),
  )
  const spec = SyntheticWorkloadSchema.parse({...request.workload, tasksPerDay, ratePerS: undefined, durationS: DAY_S, shape: {...request.workload.shape, startHour: 0}})
  const endS = await runFleetModel(model, createWorkload(spec, {baseDir: process.cwd(), rng, durationS: DAY_S}))
  const report = buildReport(model, {name: 'hpa-day', seed, durationS: DAY_S, workload: 'synthetic', endS, slo: request.slo, poolInfo: info})
  return {
    seed,
    pass: report.slo.pass,
    misses: report.slo.checks.filter((k) => !k.pass).map((k) => `${k.objective} ${k.actual === null ? 'no data' : Number(k.actual.toPrecision(4))} > ${k.target}`),
    ttftP95S: report.latency.overall.ttftS?.p95S ?? null,
    errorRate: report.tasks.errorRate,
    costPerDayUsd: (report.cost.costUsd * DAY_S) / Math.max(DAY_S, endS),
    poolCostPerDayUsd: Object.fromEntries(report.pools.map((p) => [p.name, (p.costUsd * DAY_S) / Math.max(DAY_S, endS)])),
    replicas: Object.fromEntries(runs.map((r) => [r.pool.name, [lo[r.index], hi[r.index]] as [number, number]])),
    scaleEvents: events,
    trajectory,
  }
}
