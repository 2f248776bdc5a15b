/**
 * Benchmark: apply and gate a 100-replica phase on the loopback control plane (started here, and
 * stopped at the end). Prints the wall time of apply + gates (target: under 30 s) and the number of
 * API requests the executor made. Run alone: `node dist/bench/k8s.js [replicas]`.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {KubeClient} from '../src/k8s/client.js'
import {systemClock} from '../src/k8s/clock.js'
import {Executor} from '../src/k8s/executor.js'
import {poolManifests} from '../src/k8s/manifests.js'
import {loadPlan} from '../src/plan/load.js'
import {writePlanDir} from '../src/plan/write.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCRIPT = join(ROOT, 'scripts', 'k8s', 'control-plane.sh')
const PRODUCT = 'NVIDIA-H100-80GB-HBM3'

export interface K8sBenchResult {
  name: 'k8s-apply-100'
  replicas: number
  /** Apply (dry-run preflight, snapshot, server-side apply) plus gates, seconds. */
  seconds: number
  gateSeconds: number
  requests: number
  requestsByMethod: Record<string, number>
  gatePolls: number
}

function sh(...args: string[]): void {
  const r = spawnSync('bash', [SCRIPT, ...args], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`control-plane.sh ${args[0]} failed: ${r.stderr.slice(-1500)}`)
}

export async function runK8sBenchmark(replicas = 100): Promise<K8sBenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'fleetcap-bench-k8s-'))
  const cpDir = join(work, 'cp')
  const stop = (): void => {
    spawnSync('bash', [SCRIPT, 'stop', cpDir], {stdio: 'ignore'})
  }
  process.once('exit', stop)
  try {
    sh('start', cpDir, String(process.pid))
    sh('gpu-nodes', cpDir, String(Math.ceil(replicas / 8) + 1), PRODUCT, '8', 'bench-h100')
    const planDir = join(work, 'plan')
    const pool = {pool: 'bench-pool', gpuProduct: PRODUCT, gpusPerReplica: 1, image: 'registry.k8s.io/pause:3.10', minReplicas: replicas, maxReplicas: replicas + 20, autoscale: true}
    const e = {p50S: 1, p95S: 2, p99S: 3, utilization: 0.5, costPerDayUsd: 1}
    await writePlanDir(
      planDir,
      {
        apiVersion: 'fleetcap.dev/v1',
        kind: 'CapacityPlan',
        metadata: {name: 'bench', createdFrom: `sha256:${'0'.repeat(64)}`},
        spec: {
          slo: {e2eP95S: 5},
          phases: [{name: 'scale-out', trigger: {tasksPerDay: 100_000}, manifests: 'manifests/scale-out/', pools: [{name: 'bench-pool', gpu: 'H100-SXM5-80GB', model: 'bench', tensorParallel: 1, minReplicas: replicas, maxReplicas: replicas + 20, expected: e}]}],
        },
      },
      {'scale-out': poolManifests(pool)},
    )
    const client = KubeClient.load({kubeconfig: join(cpDir, 'kubeconfig'), namespace: 'default'})
    const executor = new Executor({client, plan: loadPlan(planDir), clock: systemClock, holder: 'bench', timeoutMs: 120_000, gpuPendingGraceMs: 30_000, lockWaitMs: 0, pollMs: 500})
    const result = await executor.apply({mode: 'apply'})
    await client.close()
    if (!result.gates?.passed) throw new Error(`bench: gates failed: ${result.gates?.failure}`)
    return {
      name: 'k8s-apply-100',
      replicas,
      seconds: result.elapsedMs / 1000,
      gateSeconds: result.gates.elapsedMs / 1000,
      requests: result.requests.total,
      requestsByMethod: result.requests.byMethod,
      gatePolls: result.gates.polls,
    }
  } finally {
    stop()
    rmSync(work, {recursive: true, force: true})
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const replicas = Number(process.argv[2] ?? 100)
  const r = await runK8sBenchmark(replicas)
  process.stdout.write(
    `k8s apply+gate of ${r.replicas} replicas: ${r.seconds.toFixed(1)} s (gates ${r.gateSeconds.toFixed(1)} s, ${r.gatePolls} polls; target < 30 s), ${r.requests} API requests ${JSON.stringify(r.requestsByMethod)}\n`,
  )
}
