/**
 * What plays the node in the sweep's cluster test. KWOK's pods run no processes, so this agent
 * registers its own Node (no `kwok.x-k8s.io/node` annotation: KWOK leaves it and its pods alone),
 * keeps it Ready (node Lease renewed and Ready condition refreshed every 10 s, as a kubelet does), and
 * for each pod the real scheduler binds to it does what a kubelet would, as a local process instead
 * of a container:
 *
 * - asks the API for the pod's ServiceAccount token (TokenRequest bound to the pod) and gives the
 *   process a kubeconfig holding only that token, so the process acts with the pod's identity and RBAC;
 * - resolves the container's env (values and downward-API fieldRefs: metadata.name, namespace,
 *   labels['…'], annotations['…'] — JOB_COMPLETION_INDEX comes from the last);
 * - runs the container's command with this repository's CLI (`node bin/run.js`) in place of the
 *   image's `fleetcap` entrypoint (only `fleetcap` commands are run; anything else fails the pod);
 * - reports the pod Running, then Succeeded or Failed with the exit code, through the status
 *   subresource, so the real Job controller counts it; a pod being deleted is killed and removed.
 *
 * `failOnce` injects one fault: the first pod of that completion index is SIGKILLed once it has written
 * `afterChunks` result ConfigMaps (exit 137, phase Failed), so the Job controller must retry the index.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, openSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {parse, stringify} from 'yaml'

import {KubeClient, type KubeList, type KubeObject} from '../../src/k8s/client.js'

export interface NodeAgentOptions {
  /** The agent's own credentials (a kubelet's node credentials). */
  kubeconfig: string
  nodeName: string
  /** Repository root: its bin/run.js plays the image's fleetcap. */
  root: string
  /** Per-pod folders (kubeconfig, log). */
  workDir: string
  cpu?: number
  failOnce?: {index: number; afterChunks: number}
}

interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  env?: Array<{name: string; value?: string; valueFrom?: {fieldRef?: {fieldPath: string}}}>
}

type Pod = KubeObject & {
  metadata: {uid: string; namespace: string; deletionTimestamp?: string}
  spec: {nodeName?: string; serviceAccountName?: string; containers: Container[]}
  status?: {phase?: string}
}

/** One line per thing the agent did, for the test's assertions and its failure messages. */
export interface AgentEvent {
  pod: string
  index?: string
  what: 'started' | 'exited' | 'killed' | 'refused' | 'deleted'
  exitCode?: number
}

const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index'

export class NodeAgent {
  readonly events: AgentEvent[] = []
  private readonly client: KubeClient
  private readonly procs = new Map<string, ChildProcess>()
  private readonly handled = new Set<string>()
  private timers: NodeJS.Timeout[] = []
  private failed = false
  private busy = false
  private stopped = false

  constructor(private readonly o: NodeAgentOptions) {
    this.client = KubeClient.load({kubeconfig: o.kubeconfig})
  }

  async start(): Promise<void> {
    mkdirSync(this.o.workDir, {recursive: true})
    await this.client.request('POST', '/api/v1/nodes', `register node ${this.o.nodeName}`, {
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {name: this.o.nodeName, labels: {'kubernetes.io/hostname': this.o.nodeName, 'kubernetes.io/os': 'linux', 'fleetcap.dev/node-agent': 'true'}},
      },
    })
    await this.heartbeat()
    this.timers.push(setInterval(() => void this.heartbeat().catch(() => undefined), 10_000))
    this.timers.push(setInterval(() => void this.tick().catch(() => undefined), 250))
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    for (const p of this.procs.values()) p.kill('SIGKILL')
    await this.client.request('DELETE', `/api/v1/nodes/${this.o.nodeName}`, 'delete node').catch(() => undefined)
  }

  private async heartbeat(): Promise<void> {
    const now = new Date().toISOString()
    const cpu = String(this.o.cpu ?? 16)
    const resources = {cpu, memory: '64Gi', pods: '110'}
    await this.client.request('PATCH', `/api/v1/nodes/${this.o.nodeName}/status`, 'node status', {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          capacity: resources,
          allocatable: resources,
          addresses: [{type: 'InternalIP', address: '127.0.0.1'}],
          conditions: [{type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fleetcap test node agent', lastHeartbeatTime: now, lastTransitionTime: now}],
        },
      },
    })
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {name: this.o.nodeName, namespace: 'kube-node-lease'},
      spec: {holderIdentity: this.o.nodeName, leaseDurationSeconds: 40, renewTime: now.replace('Z', '000Z')},
    }
    await this.client.apply(lease, {manager: 'fleetcap-node-agent', force: true})
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return
    this.busy = true
    try {
      const pods = await this.client.request<KubeList<Pod>>('GET', '/api/v1/pods', 'list pods on the node', {query: {fieldSelector: `spec.nodeName=${this.o.nodeName}`}})
      for (const pod of pods.items) {
        const uid = pod.metadata.uid
        if (pod.metadata.deletionTimestamp !== undefined) {
          this.procs.get(uid)?.kill('SIGKILL')
          if (!this.procs.has(uid)) {
            await this.client.request('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, 'remove pod', {body: {gracePeriodSeconds: 0}}).catch(() => undefined)
            this.events.push({pod: pod.metadata.name, what: 'deleted'})
          }
          continue
        }
        if (this.handled.has(uid) || (pod.status?.phase !== undefined && pod.status.phase !== 'Pending')) continue
        this.handled.add(uid)
        await this.run(pod)
      }
    } finally {
      this.busy = false
    }
  }

  private async run(pod: Pod): Promise<void> {
    const {name, namespace, uid} = pod.metadata
    const c = pod.spec.containers[0]
    const startedAt = new Date().toISOString()
    const index = pod.metadata.annotations?.[INDEX_ANNOTATION]
    const command = [...(c.command ?? []), ...(c.args ?? [])]
    if (command[0] !== 'fleetcap') {
      this.events.push({pod: name, index, what: 'refused'})
      await this.report(pod, {terminated: {exitCode: 127, reason: 'ContainerCannotRun', startedAt, finishedAt: startedAt}}, 'Failed')
      return
    }
    const dir = join(this.o.workDir, name)
    mkdirSync(dir, {recursive: true})
    const token = await this.client.request<{status: {token: string}}>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${pod.spec.serviceAccountName ?? 'default'}/token`, 'token request', {
      body: {apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {expirationSeconds: 3600, boundObjectRef: {apiVersion: 'v1', kind: 'Pod', name, uid}}},
    })
    const admin = parse(readFileSync(this.o.kubeconfig, 'utf8')) as {clusters: Array<{cluster: {server: string; 'certificate-authority-data': string}}>}
    const kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{name: 'cluster', cluster: admin.clusters[0].cluster}],
        users: [{name: 'pod', user: {token: token.status.token}}],
        contexts: [{name: 'pod', context: {cluster: 'cluster', user: 'pod', namespace}}],
        'current-context': 'pod',
      }),
      {mode: 0o600},
    )
    const env: Record<string, string> = {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig}
    for (const e of c.env ?? []) env[e.name] = e.value ?? this.field(pod, e.valueFrom?.fieldRef?.fieldPath ?? '')
    await this.report(pod, {running: {startedAt}}, 'Running')
    const log = openSync(join(dir, 'log'), 'a')
    const child = spawn(process.execPath, [join(this.o.root, 'bin', 'run.js'), ...command.slice(1)], {cwd: dir, env, stdio: ['ignore', log, log]})
    this.procs.set(uid, child)
    this.events.push({pod: name, index, what: 'started'})
    if (this.o.failOnce !== undefined && !this.failed && index === String(this.o.failOnce.index)) {
      this.failed = true
      void this.killAfterChunks(name, child, this.o.failOnce.afterChunks)
    }
    child.on('exit', (code, signal) => {
      this.procs.delete(uid)
      const exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143)
      this.events.push({pod: name, index, what: 'exited', exitCode})
      void this.report(pod, {terminated: {exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: new Date().toISOString()}}, exitCode === 0 ? 'Succeeded' : 'Failed').catch(() => undefined)
    })
  }

  /** The injected fault: kill the pod's process once it has written `n` result chunks. */
  private async killAfterChunks(pod: string, child: ChildProcess, n: number): Promise<void> {
    while (child.exitCode === null && child.signalCode === null && !this.stopped) {
      const cms = await this.client.request<KubeList>('GET', '/api/v1/configmaps', 'list chunks', {query: {labelSelector: `fleetcap.dev/sweep-pod=${pod}`}}).catch(() => undefined)
      if (cms !== undefined && cms.items.length >= n) {
        child.kill('SIGKILL')
        this.events.push({pod, what: 'killed'})
        return
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  private field(pod: Pod, path: string): string {
    const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path)
    if (m) return pod.metadata[m[1] as 'labels' | 'annotations']?.[m[2]] ?? ''
    if (path === 'metadata.name') return pod.metadata.name
    if (path === 'metadata.namespace') return pod.metadata.namespace
    if (path === 'metadata.uid') return pod.metadata.uid
    if (path === 'spec.nodeName') return this.o.nodeName
    return ''
  }

  private async report(pod: Pod, state: Record<string, unknown>, phase: 'Running' | 'Succeeded' | 'Failed'): Promise<void> {
    const now = new Date().toISOString()
    const ready = phase === 'Running' ? 'True' : 'False'
    const c = pod.spec.containers[0]
    await this.client.request('PATCH', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, `pod ${pod.metadata.name} status`, {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          phase,
          hostIP: '127.0.0.1',
          podIP: '127.0.0.1',
          startTime: now,
          conditions: [
            {type: 'Initialized', status: 'True', lastTransitionTime: now},
            {type: 'Ready', status: ready, lastTransitionTime: now},
            {type: 'ContainersReady', status: ready, lastTransitionTime: now},
            {type: 'PodScheduled', status: 'True', lastTransitionTime: now},
          ],
          containerStatuses: [{name: c.name, image: c.image, imageID: '', ready: phase === 'Running', restartCount: 0, started: phase === 'Running', state}],
        },
      },
    })
  }
}
