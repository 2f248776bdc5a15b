import {parseHpaObject} from '../../src/autoscale/hpa-schema.js'
import {createHpaController, type HpaObservation, type PodView} from '../../src/autoscale/hpa.js'
import type {KubeClient} from '../../src/k8s/client.js'
import type {ControlPlane} from '../k8s/control-plane.js'
import {hpaManifest, metricName, quantity, type DiffCase} from './cases.js'
import {MetricsAdapter, Recorder, type AdapterRead, type WatchEvent} from './metrics-cluster.js'

/**
 * The differential harness: every case's HPA runs in the real kube-controller-manager (one namespace
 * each, all at once) against tools/metrics-adapter, and the same HPA runs in fleetcap's model
 * (src/autoscale/hpa.ts) on the controller's own sync instants. What each sync saw is recorded, not
 * guessed: the adapter logs every value it serves (so the sync instant and the metric values are
 * known to the millisecond), and two watches record the Deployments (scale spec/status) and pods.
 * fleetcap's model is simulated independently: its replica count is its own, never reset to the
 * controller's; a sync agrees when both set the same replica count.
 */
export const LABEL = 'fleetcap.dev/hpa-diff'

export interface SyncResult {
  /** Seconds since the case's HPA was created. */
  atS: number
  controller: number
  fleetcap: number
  fleetcapLimitedBy: string[]
}

export interface CaseResult {
  id: number
  namespace: string
  syncs: SyncResult[]
  agree: number
  /** Syncs where the two differ, with fleetcap's reasoning, for the report. */
  differences: SyncResult[]
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function deployment(c: DiffCase): Record<string, unknown> {
  const labels = {app: 'app', [LABEL]: '1'}
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: 'app', namespace: c.namespace, labels},
    spec: {
      replicas: c.initialReplicas,
      selector: {matchLabels: labels},
      template: {
        metadata: {labels},
        spec: {
          containers: [{name: 'app', image: 'fleetcap.invalid/fake', resources: {requests: {cpu: '10m', memory: '16Mi'}}}],
          tolerations: [{operator: 'Exists'}],
          terminationGracePeriodSeconds: 0,
        },
      },
    },
  }
}

async function adapterSet(adapter: MetricsAdapter, c: DiffCase, values: number[]): Promise<void> {
  await Promise.all(
    c.metrics.map((m, i) =>
      adapter.set(m.source.startsWith('external') ? 'external' : 'custom', c.namespace, metricName(m.source), quantity(values[i]!)),
    ),
  )
}

/** Pods by phase and readiness, nodes by readiness, and the first unscheduled pod's reason: why a wait timed out. */
async function clusterState(admin: KubeClient): Promise<string> {
  type Cond = {type: string; status: string; reason?: string; message?: string}
  const pods = await admin.request<{items: Array<{status: {phase?: string; conditions?: Cond[]}}>}>('GET', '/api/v1/pods', 'list pods', {query: {labelSelector: LABEL}})
  const nodes = await admin.request<{items: Array<{status: {conditions?: Cond[]}}>}>('GET', '/api/v1/nodes', 'list nodes')
  const isReady = (o: {status: {conditions?: Cond[]}}): boolean => o.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false
  const phases: Record<string, number> = {}
  for (const p of pods.items) {
    const phase = p.status.phase ?? '?'
    phases[phase] = (phases[phase] ?? 0) + 1
  }
  const podsReady = pods.items.filter(isReady).length
  const nodesReady = nodes.items.filter(isReady).length
  const unscheduled = pods.items.flatMap((p) => p.status.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status !== 'True')
  return `pods ${pods.items.length} (${Object.entries(phases).map(([k, v]) => `${k} ${v}`).join(', ')}; ready ${podsReady}), nodes ready ${nodesReady}/${nodes.items.length}${unscheduled ? `; unscheduled: ${unscheduled.reason ?? ''} ${unscheduled.message ?? ''}` : ''}`
}

/** Run the cases in the cluster; returns what is needed to replay them. */
export async function runInCluster(cp: ControlPlane, cases: readonly DiffCase[], log: (s: string) => void = () => {}): Promise<ClusterRun> {
  const adapter = new MetricsAdapter(cp)
  const admin = cp.client()
  const deployments = new Recorder(cp, '/apis/apps/v1/deployments', LABEL)
  const pods = new Recorder(cp, '/api/v1/pods', LABEL)
  await deployments.start()
  await pods.start()
  const clients = new Map<string, KubeClient>()
  await Promise.all(
    cases.map(async (c) => {
      const client = await cp.namespace(c.namespace)
      clients.set(c.namespace, client)
      await client.apply(deployment(c) as never, {manager: 'hpa-diff'})
      await adapterSet(adapter, c, c.series[0]!.values)
    }),
  )
  // Every Deployment at its initial size, all pods Running and Ready, before any HPA exists.
  for (let i = 0; ; i++) {
    const list = await admin.request<{items: Array<{metadata: {namespace: string}; spec: unknown; status: unknown}>}>('GET', '/apis/apps/v1/deployments', 'list deployments', {
      query: {labelSelector: LABEL},
    })
    const ready = list.items.filter(
      (d) => clients.has(d.metadata.namespace) && ((d.status as {readyReplicas?: number}).readyReplicas ?? 0) === (d.spec as {replicas: number}).replicas,
    ).length
    if (ready === cases.length) break
    if (i > 600) throw new Error(`deployments not ready after 120 s (${ready}/${cases.length}); ${await clusterState(admin)}`)
    await sleep(200)
  }
  log(`${cases.length} deployments ready; creating HPAs`)
  const created = new Map<string, number>()
  for (const c of cases) {
    created.set(c.namespace, Date.now())
    await clients.get(c.namespace)!.apply(hpaManifest(c) as never, {manager: 'hpa-diff'})
  }
  // Drive the series: each step at its time after its own HPA's creation; and the scale writes of
  // the cases whose target someone else scales to zero (and back).
  const pending: Array<{c: DiffCase; at: number; values?: number[]; replicas?: number}> = cases.flatMap((c) => [
    ...c.series.slice(1).map((s) => ({c, at: created.get(c.namespace)! + s.atS * 1000, values: s.values})),
    ...(c.zero === undefined ? [] : [
      ...(c.zero.fromS > 0 ? [{c, at: created.get(c.namespace)! + c.zero.fromS * 1000, replicas: 0}] : []),
      ...(c.zero.untilS === undefined ? [] : [{c, at: created.get(c.namespace)! + c.zero.untilS * 1000, replicas: c.zero.restoreTo}]),
    ]),
  ])
  pending.sort((a, b) => a.at - b.at)
  const scaleWrites = new Map<string, ScaleWrite[]>()
  const scale = async (c: DiffCase, replicas: number): Promise<void> => {
    const r = await clients.get(c.namespace)!.request<{metadata: {resourceVersion: string}}>(
      'PATCH',
      `/apis/apps/v1/namespaces/${c.namespace}/deployments/app/scale`,
      `scale ${c.namespace}/app to ${replicas}`,
      {body: {spec: {replicas}}, contentType: 'application/merge-patch+json'},
    )
    scaleWrites.set(c.namespace, [...(scaleWrites.get(c.namespace) ?? []), {replicas, resourceVersion: r.metadata.resourceVersion}])
  }
  const end = Math.max(...cases.map((c) => created.get(c.namespace)! + c.durationS * 1000))
  let next = 0
  while (Date.now() < end) {
    const now = Date.now()
    const due: typeof pending = []
    while (next < pending.length && pending[next]!.at <= now) due.push(pending[next++]!)
    await Promise.all(due.map((d) => (d.values === undefined ? scale(d.c, d.replicas!) : adapterSet(adapter, d.c, d.values))))
    await sleep(Math.max(5, Math.min(50, (pending[next]?.at ?? end) - Date.now())))
  }
  // Keep recording a while after the series ends: a sync just before the end writes its scale some
  // hundred milliseconds later (more under load), and a sync is only compared when that window is in
  // the recording.
  const compareUntil = Date.now()
  await sleep(SETTLE_MS)
  const stoppedAt = Date.now()
  deployments.stop()
  pods.stop()
  const reads = new Map<string, AdapterRead[]>()
  for (const c of cases) reads.set(c.namespace, await adapter.reads(c.namespace))
  return {created, stoppedAt, compareUntil, reads, deployments: deployments.events, pods: pods.events, scaleWrites}
}

/** A scale write of the harness's own (a target scaled to zero and back), by the Deployment's resourceVersion it made. */
export interface ScaleWrite {
  replicas: number
  resourceVersion: string
}

/** How long the recording goes on after the series ends. */
const SETTLE_MS = 3000

export interface ClusterRun {
  created: Map<string, number>
  stoppedAt: number
  /** Syncs after this instant are not compared (their write may land after the recording stops). */
  compareUntil?: number
  reads: Map<string, AdapterRead[]>
  deployments: WatchEvent[]
  pods: WatchEvent[]
  /** The harness's own scale writes per namespace (absent in recordings made before they existed). */
  scaleWrites?: Map<string, ScaleWrite[]>
}

interface Sync {
  t: number
  /** The sync's last read (its scale write comes after it). */
  lastReadT: number
  /** Value served per adapter metric (`custom/queue_depth`), milli-units. */
  values: Map<string, number>
}

/**
 * Group the adapter's reads into syncs. One sync reads each of its metrics once (a Pods metric logs
 * one read per pod, within a few milliseconds), and under a loaded API server its two metrics may be
 * read up to a second apart; syncs of one HPA are a sync period (2 s) apart. So a read joins the
 * current sync unless its metric was already read in it (more than 100 ms earlier) or it comes
 * 1.5 s or more after the sync's first read.
 */
export function syncsFromReads(reads: readonly AdapterRead[], from: number): Sync[] {
  const syncs: Sync[] = []
  let firstReadOf = new Map<string, number>()
  for (const r of reads) {
    if (r.t < from) continue
    const key = `${r.kind}/${r.metric}`
    const last = syncs.at(-1)
    const seen = firstReadOf.get(key)
    if (last !== undefined && r.t - last.t < 1500 && (seen === undefined || r.t - seen <= 100)) {
      last.values.set(key, r.value)
      last.lastReadT = r.t
      if (seen === undefined) firstReadOf.set(key, r.t)
    } else {
      syncs.push({t: r.t, lastReadT: r.t, values: new Map([[key, r.value]])})
      firstReadOf = new Map([[key, r.t]])
    }
  }
  return syncs
}

/** The latest state of each object of the namespace at instant t, from a recorder's events. */
function stateAt(events: readonly WatchEvent[], namespace: string, t: number): Map<string, WatchEvent['object']> {
  const out = new Map<string, WatchEvent['object']>()
  for (const e of events) {
    if (e.t > t) break
    if (e.object.metadata.namespace !== namespace) continue
    if (e.type === 'DELETED') out.delete(e.object.metadata.name)
    else if (e.type === 'ADDED' || e.type === 'MODIFIED') out.set(e.object.metadata.name, e.object)
  }
  return out
}

interface PodObject {
  metadata: {name: string; deletionTimestamp?: string}
  status?: {phase?: string; startTime?: string; conditions?: Array<{type: string; status: string; lastTransitionTime?: string}>}
}

function podView(p: PodObject, t0: number, metrics: PodView['metrics']): PodView {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready')
  const phase = p.status?.phase
  const s = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : (Date.parse(iso) - t0) / 1000)
  return {
    name: p.metadata.name,
    phase: phase === 'Running' || phase === 'Failed' ? phase : 'Pending',
    deleting: p.metadata.deletionTimestamp !== undefined,
    ready: ready === undefined ? false : ready.status === 'True' ? true : ready.status === 'Unknown' ? 'Unknown' : false,
    startTimeS: s(p.status?.startTime),
    readyTransitionS: s(ready?.lastTransitionTime),
    metrics,
  }
}

/** Replay one case in fleetcap's model on the controller's sync instants and compare. */
export function replay(c: DiffCase, run: ClusterRun): CaseResult {
  const t0 = run.created.get(c.namespace)!
  // The cluster runs with HPAConfigurableTolerance on (differential.test.ts), so does the model.
  const spec = parseHpaObject(hpaManifest(c), {onWarning: () => {}, featureGates: {HPAConfigurableTolerance: true}})
  const hpa = createHpaController(spec, {syncPeriodS: 2})
  const deps = run.deployments.filter((e) => e.object.metadata.namespace === c.namespace)
  const specReplicasAt = (t: number): number => {
    const d = stateAt(deps, c.namespace, t).get('app') as {spec: {replicas: number}} | undefined
    return d?.spec.replicas ?? c.initialReplicas
  }
  const statusReplicasAt = (t: number): number => {
    const d = stateAt(deps, c.namespace, t).get('app') as {status?: {replicas?: number}} | undefined
    return d?.status?.replicas ?? 0
  }
  // Sync instants: the adapter's reads, plus rescales with no read before them (a sync that only
  // brings the size into [min, max] reads no metric). A write up to 1 s after a sync's last read is
  // that sync's (under load it lands ~900 ms later; hd-13).
  const syncs = syncsFromReads(run.reads.get(c.namespace) ?? [], t0)
  // The harness's own scale writes (a target scaled to zero and back): when the watch saw each.
  const ownVersions = new Map((run.scaleWrites?.get(c.namespace) ?? []).map((w) => [w.resourceVersion, w.replicas]))
  const external = deps.filter((e) => ownVersions.has(e.object.metadata.resourceVersion ?? '')).map((e) => ({t: e.t, replicas: ownVersions.get(e.object.metadata.resourceVersion!)!}))
  let prev = c.initialReplicas
  for (const e of deps) {
    if (e.t < t0) continue
    const r = (e.object as unknown as {spec: {replicas: number}}).spec.replicas
    const own = ownVersions.has(e.object.metadata.resourceVersion ?? '')
    if (!own && r !== prev && !syncs.some((s) => s.t <= e.t && e.t - s.lastReadT < 1000)) syncs.push({t: e.t - 1, lastReadT: e.t - 1, values: new Map()})
    prev = r
  }
  // A target at zero from the start: the controller's first sync reads no metric (scaling disabled)
  // but records the initial recommendation, 0. A new HPA is queued rate-limited by the sync period
  // (AddRateLimited with a fixed-interval limiter), so that sync comes about 2 s after its creation
  // (2.01–3.51 s in the CI run before this one); restores come at 10 s or later, beyond any
  // scale-up window (≤ 7 s) from it, so the exact instant does not change a decision.
  if (c.initialReplicas === 0) syncs.push({t: t0 + 2000, lastReadT: t0 + 2000, values: new Map()})
  syncs.sort((a, b) => a.t - b.t)

  let current = c.initialReplicas
  const results: SyncResult[] = []
  const podEvents = run.pods.filter((e) => e.object.metadata.namespace === c.namespace)
  for (const [k, s] of syncs.entries()) {
    if (s.t > (run.compareUntil ?? run.stoppedAt)) break
    // Writes of the harness's own seen before this sync set the size it starts from; one before the
    // next sync ends this sync's window (the controller's value is what it left before that write).
    for (const w of external) if (w.t < s.t && w.t >= (syncs[k - 1]?.t ?? -Infinity)) current = w.replicas
    const nextOwn = external.find((w) => w.t >= s.t)?.t ?? Infinity
    const nextT = Math.min(syncs[k + 1]?.t ?? run.stoppedAt, nextOwn)
    const controller = specReplicasAt(nextT - 1)
    const valueOf = (key: string): number | undefined => {
      const v = s.values.get(key)
      return v === undefined ? undefined : v / 1000
    }
    const podMetric = valueOf('custom/queue_depth')
    const pods = [...stateAt(podEvents, c.namespace, s.t).values()].map((p) =>
      podView(p as unknown as PodObject, t0, podMetric === undefined ? {} : {queue_depth: podMetric}),
    )
    const obs: HpaObservation = {
      currentReplicas: current,
      statusReplicas: statusReplicasAt(s.t),
      pods,
      objectMetrics: {queue_depth: valueOf('custom/queue_length')},
      externalMetrics: {waiting_requests: valueOf('external/waiting_requests')},
    }
    // When the controller's scale write landed (the Deployment's spec.replicas changed in this sync).
    const written = deps.find((e) => e.t >= s.t && e.t < nextT && (e.object as unknown as {spec: {replicas: number}}).spec.replicas !== specReplicasAt(s.t))
    // At the sync's last read: the controller reads its clock for windows and policy periods (and
    // stamps the recommendation it stores) after it has read all its metrics, not when the sync began
    // (the initial recommendation is the exception: recorded before the reads).
    const d = hpa.reconcile((s.lastReadT - t0) / 1000, obs, {
      syncStartedAtS: (s.t - t0) / 1000,
      ...(written === undefined ? {} : {scaleWrittenAtS: (written.t - t0) / 1000}),
    })
    current = d.desiredReplicas
    results.push({atS: (s.t - t0) / 1000, controller, fleetcap: current, fleetcapLimitedBy: d.limitedBy})
  }
  const differences = results.filter((r) => r.controller !== r.fleetcap)
  return {id: c.id, namespace: c.namespace, syncs: results, agree: results.length - differences.length, differences}
}
