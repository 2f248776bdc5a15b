import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {KubeClient, type KubeObject} from '../../src/k8s/client.js'
import {systemClock} from '../../src/k8s/clock.js'
import {ROOT} from '../helpers/cli.js'

const SCRIPT = join(ROOT, 'scripts', 'k8s', 'control-plane.sh')

function sh(...args: string[]): void {
  const r = spawnSync('bash', [SCRIPT, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  if (r.status !== 0) throw new Error(`control-plane.sh ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`)
}

function shAsync(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], {stdio: ['ignore', 'ignore', 'pipe'], env})
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`control-plane.sh ${args[0]} failed (${code}): ${err.slice(-2000)}`))))
  })
}

/** A loopback control plane (etcd, kube-apiserver, controller-manager, scheduler, KWOK) for one test file. */
export class ControlPlane {
  readonly kubeconfig: string
  private stopped = false

  private constructor(readonly dir: string) {
    this.kubeconfig = join(dir, 'kubeconfig')
  }

  /** Start one; it is stopped by stop(), and in any case when the process exits. */
  static start(): ControlPlane {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-k8s-'))
    const cp = new ControlPlane(dir)
    process.once('exit', () => cp.stop())
    sh('start', dir, String(process.pid))
    return cp
  }

  /**
   * The same without blocking this process: a file that needs two clusters (different feature gates)
   * starts them side by side. ENV is the script's environment (FLEETCAP_K8S_* options).
   */
  static async startAsync(env: NodeJS.ProcessEnv = process.env): Promise<ControlPlane> {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-k8s-'))
    const cp = new ControlPlane(dir)
    process.once('exit', () => cp.stop())
    await shAsync(['start', dir, String(process.pid)], env)
    return cp
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    spawnSync('bash', [SCRIPT, 'stop', this.dir], {stdio: 'ignore'})
    rmSync(this.dir, {recursive: true, force: true})
  }

  stopApiserver(): void {
    sh('stop-apiserver', this.dir)
  }

  startApiserver(): void {
    sh('start-apiserver', this.dir)
  }

  /** Start it again after `delayMs`, from a child process (the code under test keeps running meanwhile). */
  async startApiserverAfterAsync(delayMs: number): Promise<void> {
    await new Promise((r) => setTimeout(r, delayMs))
    await shAsync(['start-apiserver', this.dir])
  }

  /** COUNT fake KWOK nodes with `nvidia.com/gpu` capacity and the GPU product label. */
  gpuNodes(count: number, product: string, gpusPerNode: number, prefix: string): void {
    sh('gpu-nodes', this.dir, String(count), product, String(gpusPerNode), prefix)
  }

  adminToken(): string {
    return readFileSync(join(this.dir, 'admin.token'), 'utf8').trim()
  }

  client(namespace = 'default', context?: string): KubeClient {
    return KubeClient.load({kubeconfig: this.kubeconfig, namespace, context})
  }

  /** A fresh namespace, ready for pods (its default ServiceAccount exists). */
  async namespace(name: string): Promise<KubeClient> {
    const admin = this.client(name)
    await admin.request('POST', '/api/v1/namespaces', `create namespace ${name}`, {body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name}}})
    for (let i = 0; i < 300; i++) {
      if (await admin.get({apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default'})) return admin
      await systemClock.sleep(100)
    }
    throw new Error(`namespace ${name}: no default ServiceAccount after 30 s`)
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await systemClock.sleep(200)
  }
}

/** What a user would call "the state of the namespace": the intent of every object we manage, and Ready pods per Deployment. */
export async function namespaceState(client: KubeClient): Promise<Record<string, unknown>> {
  const {intent} = await import('../../src/k8s/objects.js')
  const ns = client.target.namespace
  const out: Record<string, unknown> = {}
  for (const [apiVersion, kind] of [
    ['apps/v1', 'Deployment'],
    ['autoscaling/v2', 'HorizontalPodAutoscaler'],
    ['policy/v1', 'PodDisruptionBudget'],
  ]) {
    const list = await client.list(apiVersion, kind, ns)
    for (const o of list.items) out[`${kind}/${o.metadata.name}`] = intent({...o, apiVersion, kind} as KubeObject)
  }
  const pods = await client.list('v1', 'Pod', ns)
  for (const p of pods.items) {
    if (p.metadata.deletionTimestamp) continue
    const pool = p.metadata.labels?.['fleetcap.dev/pool'] ?? '?'
    const ready = ((p.status as {conditions?: Array<{type: string; status: string}>}).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
    const key = `pods/${pool}/${ready ? 'ready' : 'not-ready'}`
    out[key] = ((out[key] as number | undefined) ?? 0) + 1
  }
  return out
}
