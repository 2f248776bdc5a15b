/**
 * `fleetcap sweep --on-cluster` end to end against the loopback control plane
 * (scripts/k8s/control-plane.sh: etcd, kube-apiserver, the real kube-controller-manager with its Job
 * controller and garbage collector, kube-scheduler). What plays the node: test/doubles/node-agent.ts,
 * which registers a Node KWOK does not manage, and runs each pod bound to it as a local
 * `node bin/run.js sweep --worker …` process with the pod's ServiceAccount token, reporting the pod's
 * phase through the API. One index's first pod is killed after its first result chunk.
 */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {KubeList, KubeObject} from '../../src/k8s/client.js'
import {ClusterSweepResultSchema} from '../../src/sweep/sweep-result.js'
import {ControlPlane} from '../k8s/control-plane.js'
import {NodeAgent} from '../doubles/node-agent.js'
import {type CliResult, ROOT, runCli} from '../helpers/cli.js'
import {compileResultSchema} from '../helpers/result-schemas.js'
import {BASE, tempDir, writeSpec} from './helpers.js'

// 9 cells in 3 indexes of 3 cells; a chunk per cell, so a pod killed after its first chunk has more to do.
const SPEC = `apiVersion: fleetcap.dev/v1
kind: Sweep
name: on-cluster-test
${BASE}design: lhs
samples: 9
seed: 11
seedsPerCell: 2
factors:
  - {path: fleet.pools.0.servers, name: servers, range: [4, 7], integer: true}
  - {path: workload.ratePerS, name: rate, range: [2.1234567, 3.4]}
metrics: [costUsd, queueWaitP95S, errorRate, sloPass, utilization]
`

/** The CLI in a child process, without blocking this one: the node agent runs here meanwhile. */
function runCliAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env: {...process.env, FLEETCAP_DEBUG: ''}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
  })
}

describe('sweep --on-cluster', () => {
  let cp: ControlPlane
  let agent: NodeAgent
  let dir: string

  beforeAll(async () => {
    dir = tempDir()
    cp = ControlPlane.start()
    await cp.namespace('sweeps')
    agent = new NodeAgent({kubeconfig: cp.kubeconfig, nodeName: 'sweep-node-0', root: ROOT, workDir: join(dir, 'node'), failOnce: {index: 1, afterChunks: 1}})
    await agent.start()
  })

  afterAll(async () => {
    await agent?.stop()
    cp?.stop()
  })

  it('runs the Indexed Job, retries the killed index, and merges to the bytes of a local run; retried rows count once', async () => {
    const spec = writeSpec(dir, SPEC)
    const local = runCli(['sweep', spec, '--workers', '0', '--out', join(dir, 'local')])
    expect(local.code, local.stderr).toBe(0)

    const args = ['sweep', spec, '--on-cluster', '--kubeconfig', cp.kubeconfig, '-n', 'sweeps', '--shards', '3', '--chunk-cells', '1', '--backoff-limit-per-index', '2', '--timeout', '400s']
    const r = await runCliAsync([...args, '--keep', '--out', join(dir, 'cluster'), '--json'])
    const why = `${r.stderr}\nagent: ${JSON.stringify(agent.events)}`
    expect(r.code, why).toBe(0)
    const out = JSON.parse(r.stdout) as {cells: number; failedPods: number; job: string; duplicates: number}
    expect(out).toMatchObject({cells: 9, failedPods: 1})
    // The --json result of a run on a cluster fits schemas/sweep.result.schema.json (test/sweep/result-schema.test.ts).
    expect(compileResultSchema('sweep')(out)).toBe(true)
    expect(ClusterSweepResultSchema.safeParse(out).success).toBe(true)
    for (const f of ['results.jsonl', 'summary.json']) expect(readFileSync(join(dir, 'cluster', f), 'utf8')).toBe(readFileSync(join(dir, 'local', f), 'utf8'))
    expect(readFileSync(join(dir, 'cluster', 'results.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(18)

    // The fault happened as planned: index 1's first process was killed and its pod failed; the Job
    // controller made a second pod for index 1, which resumed from the first pod's chunks.
    expect(agent.events.filter((e) => e.what === 'killed')).toHaveLength(1)
    expect(agent.events.filter((e) => e.what === 'started' && e.index === '1')).toHaveLength(2)
    const client = cp.client('sweeps')
    const pods = await client.list<KubeObject & {status: {phase: string}}>('v1', 'Pod', 'sweeps', {labelSelector: `batch.kubernetes.io/job-name=${out.job}`})
    expect(pods.items.map((p) => `${p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']}:${p.status.phase}`).sort()).toEqual(['0:Succeeded', '1:Failed', '1:Succeeded', '2:Succeeded'])
    const chunks: KubeList = await client.list('v1', 'ConfigMap', 'sweeps', {labelSelector: `fleetcap.dev/sweep-job=${out.job},fleetcap.dev/sweep-index=1`})
    // The killed pod wrote at least one chunk before the kill landed (on a fast machine it may have
    // written all three: the agent polls); whatever it wrote, the retry did not write again.
    const killed = agent.events.find((e) => e.what === 'killed')?.pod
    const byPod = chunks.items.map((c) => c.metadata.labels?.['fleetcap.dev/sweep-pod'])
    expect(byPod).toContain(killed)
    expect(chunks.items).toHaveLength(3)

    // A pod that wrote a chunk and was then declared failed leaves the same rows twice: copy one
    // chunk under another pod's name, run again (it re-attaches to the finished Job), same bytes.
    const copy = structuredClone(chunks.items[0]) as KubeObject
    copy.metadata = {
      name: `${out.job}-1-dup-c0`,
      namespace: 'sweeps',
      labels: {...copy.metadata.labels, 'fleetcap.dev/sweep-pod': `${out.job}-1-dup`},
      annotations: copy.metadata.annotations,
    }
    await client.request('POST', '/api/v1/namespaces/sweeps/configmaps', 'copy a chunk', {body: copy})
    const again = await runCliAsync([...args, '--out', join(dir, 'again')])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toMatch(/following the existing Job/)
    expect(again.stderr).toMatch(/9 cells from Job .* 2 rows written twice and taken once/)
    expect(readFileSync(join(dir, 'again', 'results.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'local', 'results.jsonl'), 'utf8'))

    // Without --keep the Job is deleted; the garbage collector takes its pods and ConfigMaps.
    expect(await client.get({apiVersion: 'batch/v1', kind: 'Job', namespace: 'sweeps', name: out.job})).toBeNull()
  }, 600_000)

  it('refuses a base scenario that references a file, naming the field (exit 2)', () => {
    const spec = writeSpec(dir, SPEC.replace(/ {2}workload:\n(.*\n){3}/, '  workload: {kind: trace, path: t.csv}\n'), 'file-ref.yaml')
    const r = runCli(['sweep', spec, '--on-cluster', '--kubeconfig', cp.kubeconfig, '-n', 'sweeps'])
    expect(r.stderr).toMatch(/base\.workload.*t\.csv/)
    expect(r.code).toBe(2)
  })
})
