import {request} from 'node:https'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {ControlPlane} from '../k8s/control-plane.js'

/**
 * The loopback control plane with its metrics pipeline (scripts/k8s/control-plane.sh with
 * FLEETCAP_K8S_METRICS=1): metrics-server over KWOK's emulated kubelet, and tools/metrics-adapter for
 * custom and external metrics, whose values tests set and whose read log tells when the real HPA
 * controller synced and what it read.
 */
export interface MetricsClusterOptions {
  /** --horizontal-pod-autoscaler-sync-period, e.g. '2s'. */
  syncPeriod?: string
  /** Feature gates for kube-apiserver and kube-controller-manager, e.g. 'HPAConfigurableTolerance=true'. */
  featureGates?: string
  /** Also metrics-server (metrics.k8s.io); default: only the custom/external metrics adapter. */
  resourceMetrics?: boolean
}

/** control-plane.sh's environment for these options. */
function metricsEnv(options: MetricsClusterOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, FLEETCAP_K8S_METRICS: options.resourceMetrics === true ? '1' : 'custom'}
  if (options.syncPeriod !== undefined) env.FLEETCAP_K8S_HPA_SYNC_PERIOD = options.syncPeriod
  if (options.featureGates !== undefined) env.FLEETCAP_K8S_FEATURE_GATES = options.featureGates
  return env
}

export function startMetricsCluster(options: MetricsClusterOptions = {}): ControlPlane {
  const saved = {...process.env}
  Object.assign(process.env, metricsEnv(options))
  try {
    return ControlPlane.start()
  } finally {
    for (const k of ['FLEETCAP_K8S_METRICS', 'FLEETCAP_K8S_HPA_SYNC_PERIOD', 'FLEETCAP_K8S_FEATURE_GATES']) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  }
}

/** The same, started without blocking this process (two clusters side by side). */
export function startMetricsClusterAsync(options: MetricsClusterOptions = {}): Promise<ControlPlane> {
  return ControlPlane.startAsync(metricsEnv(options))
}

/** One value the adapter served: when (unix ms), which metric and its value in milli-units. */
export interface AdapterRead {
  t: number
  kind: 'custom' | 'external'
  metric: string
  value: number
}

/** The values API of tools/metrics-adapter (plain HTTP on loopback). */
export class MetricsAdapter {
  private readonly base: string

  constructor(cp: ControlPlane) {
    const port = readFileSync(join(cp.dir, 'metrics-adapter.values-port'), 'utf8').trim()
    this.base = `http://127.0.0.1:${port}`
  }

  async set(kind: 'custom' | 'external', namespace: string, metric: string, quantity: string): Promise<void> {
    const url = `${this.base}/values/${kind}/${namespace}/${metric}`
    // A PUT is idempotent: one whose connection the adapter closed unanswered (seen once with the
    // machine at load 13, the adapter nice 19 and 50 PUTs at once) is sent again, once.
    const r = await fetch(url, {method: 'PUT', body: quantity}).catch(() => fetch(url, {method: 'PUT', body: quantity}))
    if (r.status !== 204) throw new Error(`metrics-adapter: set ${kind} ${namespace}/${metric}=${quantity}: ${r.status} ${await r.text()}`)
  }

  async reads(namespace: string): Promise<AdapterRead[]> {
    const r = await fetch(`${this.base}/reads/${namespace}`)
    if (!r.ok) throw new Error(`metrics-adapter: reads ${namespace}: ${r.status}`)
    return (await r.text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AdapterRead)
  }
}

export interface WatchEvent {
  /** Local arrival time, unix ms (the same clock as the adapter's read log: one machine). */
  t: number
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: {metadata: {name: string; namespace?: string; deletionTimestamp?: string; resourceVersion?: string}} & Record<string, unknown>
}

/**
 * A cluster-wide watch (one stream) on PATH with a label selector, recording every event with its
 * arrival time, so a test can say what the controller's informers saw at any instant.
 */
export class Recorder {
  readonly events: WatchEvent[] = []
  private req: ReturnType<typeof request> | undefined
  private closed = false

  constructor(
    private readonly cp: ControlPlane,
    private readonly path: string,
    private readonly labelSelector: string,
  ) {}

  private lastResourceVersion: string | undefined

  /**
   * Open the watch. The API server closes a watcher that falls behind (a burst of pod events while
   * this process is busy); it is then reopened from the last resourceVersion seen, so no event is lost.
   */
  start(): Promise<void> {
    const port = readFileSync(join(this.cp.dir, 'apiserver.port'), 'utf8').trim()
    const ca = readFileSync(join(this.cp.dir, 'pki', 'ca.crt'))
    const query = new URLSearchParams({watch: '1', labelSelector: this.labelSelector, allowWatchBookmarks: 'false'})
    if (this.lastResourceVersion !== undefined) query.set('resourceVersion', this.lastResourceVersion)
    return new Promise((resolve, reject) => {
      const req = request(
        {host: '127.0.0.1', port: Number(port), path: `${this.path}?${query.toString()}`, ca, headers: {Authorization: `Bearer ${this.cp.adminToken()}`}},
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${this.path}: HTTP ${res.statusCode ?? '?'}`))
            return
          }
          let buf = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            const t = Date.now()
            buf += chunk
            let nl: number
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl)
              buf = buf.slice(nl + 1)
              if (line.trim() === '') continue
              const e = {t, ...(JSON.parse(line) as Omit<WatchEvent, 't'>)}
              if (e.type === 'ERROR') throw new Error(`watch ${this.path}: ${JSON.stringify(e.object).slice(0, 300)}`)
              this.lastResourceVersion = e.object.metadata.resourceVersion ?? this.lastResourceVersion
              this.events.push(e)
            }
          })
          res.on('end', () => {
            if (!this.closed) void this.start()
          })
          resolve()
        },
      )
      req.on('error', (e) => (this.closed ? undefined : reject(e)))
      req.end()
      this.req = req
    })
  }

  stop(): void {
    this.closed = true
    this.req?.destroy()
  }
}
