import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {UnreachableError} from '../../src/errors.js'
import {type KubeClient, type KubeObject} from '../../src/k8s/client.js'
import {systemClock} from '../../src/k8s/clock.js'
import {type ApplyResult, Executor, type ExecutorOptions, FieldConflictError, GateFailedError, type ProgressEvent} from '../../src/k8s/executor.js'
import {LockHeldError} from '../../src/k8s/lock.js'
import {STATE_CONFIGMAP} from '../../src/k8s/state.js'
import {loadPlan, type LoadedPlan} from '../../src/plan/load.js'
import {ROOT, runCli} from '../helpers/cli.js'
import {ControlPlane, namespaceState, waitFor} from './control-plane.js'
import {writeTestPlan} from './plan-builder.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'plans')
const A100 = 'NVIDIA-A100-SXM4-80GB'
const H100 = 'NVIDIA-H100-80GB-HBM3'
const L4 = 'NVIDIA-L4'

let cp: ControlPlane
let twoPhase: LoadedPlan

function executor(client: KubeClient, plan: LoadedPlan, extra: Partial<ExecutorOptions> = {}): Executor {
  return new Executor({
    client,
    plan,
    clock: systemClock,
    holder: `test-${client.target.namespace}-${Math.round(performance.now())}`,
    timeoutMs: 90_000,
    gpuPendingGraceMs: 3_000,
    lockWaitMs: 0,
    leaseDurationSeconds: 5,
    pollMs: 300,
    ...extra,
  })
}

async function deployment(client: KubeClient, name: string): Promise<KubeObject & {spec: {replicas: number}; status?: {readyReplicas?: number}}> {
  const d = await client.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: client.target.namespace, name})
  if (!d) throw new Error(`no Deployment ${name}`)
  return d as KubeObject & {spec: {replicas: number}; status?: {readyReplicas?: number}}
}

async function state(client: KubeClient): Promise<{planDigest: string; applied: Array<{phase: string}>; pending?: unknown}> {
  const cm = await client.get({apiVersion: 'v1', kind: 'ConfigMap', namespace: client.target.namespace, name: STATE_CONFIGMAP})
  return JSON.parse((cm as unknown as {data: Record<string, string>}).data['state.json'])
}

beforeAll(() => {
  cp = ControlPlane.start()
  cp.gpuNodes(6, A100, 8, 'a100')
  cp.gpuNodes(4, H100, 8, 'h100')
  cp.gpuNodes(1, L4, 1, 'l4')
  twoPhase = loadPlan(join(FIXTURES, 'two-phase'))
})

afterAll(() => cp?.stop())

describe('apply-to-cluster against a real control plane', () => {
  let phase1State: Record<string, unknown>

  it('first apply creates every object, scales to the HPA minimum and passes the gates', async () => {
    const client = await cp.namespace('first')
    const result = await executor(client, twoPhase).apply({mode: 'apply'})
    expect(result.phase).toBe('phase-1')
    expect(result.objects.map((o) => o.action)).toEqual(['create', 'create', 'create', 'create', 'create'])
    expect(result.gates?.passed).toBe(true)
    const d8 = await deployment(client, 'llama-8b')
    expect(d8.spec.replicas).toBe(2)
    expect(d8.status?.readyReplicas).toBe(2)
    expect((await deployment(client, 'llama-70b')).status?.readyReplicas).toBe(1)
    // The HPA owns replicas: fleetcap's applied field set must not contain spec.replicas.
    const mf = d8.metadata.managedFields as Array<{manager: string; operation: string; fieldsV1: {'f:spec': Record<string, unknown>}}>
    expect(mf.find((m) => m.manager === 'fleetcap' && m.operation === 'Apply')?.fieldsV1['f:spec']['f:replicas']).toBeUndefined()
    const st = await state(client)
    expect(st.planDigest).toBe(twoPhase.digest)
    expect(st.applied.map((r) => r.phase)).toEqual(['phase-1'])
    phase1State = await namespaceState(client)
  })

  it('a second apply of the same phase reports no changes and changes nothing', async () => {
    const client = cp.client('first')
    const before = await deployment(client, 'llama-8b')
    const result = await executor(client, twoPhase).apply({mode: 'apply', phase: 'phase-1'})
    expect(result.changed).toBe(0)
    expect(result.objects.every((o) => o.action === 'unchanged')).toBe(true)
    expect((await deployment(client, 'llama-8b')).metadata.resourceVersion).toBe(before.metadata.resourceVersion)
    expect((await state(client)).applied.map((r) => r.phase)).toEqual(['phase-1'])
  })

  it('dry-run and diff show what phase 2 would change and change nothing', async () => {
    const client = cp.client('first')
    const before = await deployment(client, 'llama-70b')
    const dry = await executor(client, twoPhase).apply({mode: 'dry-run'})
    expect(dry.phase).toBe('phase-2')
    const d70 = dry.objects.find((o) => o.ref.kind === 'Deployment' && o.ref.name === 'llama-70b')
    expect(d70?.action).toBe('update')
    expect(d70?.changes).toContainEqual({path: 'spec.replicas', before: 1, after: 2})
    const hpa = dry.objects.find((o) => o.ref.kind === 'HorizontalPodAutoscaler')
    expect(hpa?.changes).toContainEqual({path: 'spec.minReplicas', before: 2, after: 4})
    const after = await deployment(client, 'llama-70b')
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion)
    expect(after.spec.replicas).toBe(1)
    expect(await namespaceState(client)).toEqual(phase1State)
  })

  it('phase 2 scales up; --rollback returns to phase 1 exactly', async () => {
    const client = cp.client('first')
    const result = await executor(client, twoPhase).apply({mode: 'apply'})
    expect(result.phase).toBe('phase-2')
    expect(result.gates?.passed).toBe(true)
    expect((await deployment(client, 'llama-8b')).status?.readyReplicas).toBe(4)
    expect((await deployment(client, 'llama-70b')).status?.readyReplicas).toBe(2)
    expect((await state(client)).applied.map((r) => r.phase)).toEqual(['phase-1', 'phase-2'])

    const back = await executor(client, twoPhase).rollback()
    expect(back.phase).toBe('phase-2')
    expect((await state(client)).applied.map((r) => r.phase)).toEqual(['phase-1'])
    await waitFor('phase-1 state', async () => JSON.stringify(await namespaceState(client)) === JSON.stringify(phase1State), 60_000).catch(async () => {
      expect(await namespaceState(client)).toEqual(phase1State)
    })
  })

  it('too few GPU nodes: the gate fails, names the GPU shortage, and rollback leaves the namespace exactly as before', async () => {
    const client = await cp.namespace('gpu-short')
    const dir = await writeTestPlan('l4-fleet', [
      {name: 'small', pools: [{name: 'l4-server', product: L4, gpus: 1, min: 1, max: 1}]},
      {name: 'big', pools: [{name: 'l4-server', product: L4, gpus: 1, min: 3, max: 3}, {name: 'l4-extra', product: L4, gpus: 1, min: 1, max: 1}]},
    ])
    const plan = loadPlan(dir)
    await executor(client, plan).apply({mode: 'apply'})
    const before = await namespaceState(client)
    expect(before['pods/l4-server/ready']).toBe(1)
    const error = await executor(client, plan).apply({mode: 'apply'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GateFailedError)
    expect((error as Error).message).toMatch(/Pending for lack of GPUs \(nvidia\.com\/gpu\).*Insufficient nvidia\.com\/gpu/)
    expect((error as GateFailedError).result.rolledBack).toBe(true)
    expect(await namespaceState(client)).toEqual(before)
    const st = await state(client)
    expect(st.applied.map((r) => r.phase)).toEqual(['small'])
    expect(st.pending).toBeUndefined()
  })

  it('no node of the GPU type at all is reported as a lack of GPUs, and rolled back', async () => {
    const client = await cp.namespace('no-gpu-type')
    const dir = await writeTestPlan('b200-fleet', [{name: 'only', pools: [{name: 'b200', product: 'NVIDIA-B200', gpus: 8, min: 1, max: 1}]}])
    const error = await executor(client, loadPlan(dir)).apply({mode: 'apply'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GateFailedError)
    expect((error as Error).message).toMatch(/Deployment b200: 1 pod\(s\) Pending for lack of GPUs .*didn't match Pod's node affinity/)
    expect(await namespaceState(client)).toEqual({})
  })

  it('hands spec.replicas over when a fixed pool gets an HPA: never reset, never fought over', async () => {
    const client = await cp.namespace('handover')
    const dir = await writeTestPlan('handover', [
      {name: 'fixed', pools: [{name: 'pool-a', product: A100, gpus: 1, min: 3, max: 3}]},
      {name: 'autoscaled', pools: [{name: 'pool-a', product: A100, gpus: 1, min: 2, max: 5}]},
    ])
    const plan = loadPlan(dir)
    await executor(client, plan).apply({mode: 'apply'})
    expect((await deployment(client, 'pool-a')).spec.replicas).toBe(3)
    const fixedState = await namespaceState(client)
    const dry = await executor(client, plan).apply({mode: 'dry-run'})
    const d = dry.objects.find((o) => o.ref.kind === 'Deployment')
    expect(d?.replicasOwnedBy).toBe('HorizontalPodAutoscaler pool-a')
    expect(d?.changes.filter((c) => c.path === 'spec.replicas')).toEqual([])
    const result = await executor(client, plan).apply({mode: 'apply'})
    expect(result.gates?.passed).toBe(true)
    const live = await deployment(client, 'pool-a')
    expect(live.spec.replicas).toBe(3) // within [2, 5]: the HPA's business, and not reset to the default 1
    const mf = live.metadata.managedFields as Array<{manager: string; operation: string; fieldsV1: {'f:spec': Record<string, unknown>}}>
    expect(mf.find((m) => m.manager === 'fleetcap' && m.operation === 'Apply')?.fieldsV1['f:spec']['f:replicas']).toBeUndefined()
    await executor(client, plan).rollback()
    expect(await namespaceState(client)).toEqual(fixedState)
  })

  it('a field owned by another manager is a named conflict; --force-conflicts takes it over', async () => {
    const client = await cp.namespace('conflict')
    await executor(client, twoPhase).apply({mode: 'apply'})
    // Someone else takes spec.replicas of llama-70b with their own field manager.
    await client.apply({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'llama-70b', namespace: 'conflict'}, spec: {replicas: 3}}, {manager: 'oncall-kubectl', force: true})
    // Let the third pod come up first: a snapshot taken while it starts would differ from a later one
    // by the pod's readiness alone (this raced once under load).
    await waitFor('llama-70b at 3 ready replicas', async () => {
      const s = (await deployment(client, 'llama-70b')).status as {replicas?: number; readyReplicas?: number} | undefined
      return s?.replicas === 3 && s.readyReplicas === 3
    })
    const before = await namespaceState(client)
    const error = await executor(client, twoPhase).apply({mode: 'apply'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FieldConflictError)
    expect((error as Error).message).toContain('.spec.replicas')
    expect((error as Error).message).toContain('oncall-kubectl')
    expect(await namespaceState(client)).toEqual(before)
    expect((await state(client)).applied.map((r) => r.phase)).toEqual(['phase-1'])
    const forced = await executor(client, twoPhase).apply({mode: 'apply', forceConflicts: true})
    expect(forced.gates?.passed).toBe(true)
    expect((await deployment(client, 'llama-70b')).spec.replicas).toBe(2)
  })

  it('concurrent applies: one holds the lock, the other fails clearly, or waits and then finds nothing to do', async () => {
    const client = await cp.namespace('concurrent')
    const a = executor(client, twoPhase).apply({mode: 'apply', phase: 'phase-1'})
    await systemClock.sleep(300)
    const b = await executor(cp.client('concurrent'), twoPhase).apply({mode: 'apply', phase: 'phase-1'}).catch((e: unknown) => e)
    expect(b).toBeInstanceOf(LockHeldError)
    expect((b as Error).message).toMatch(/another apply holds the lock in namespace concurrent \(Lease fleetcap-apply-lock, holder test-concurrent/)
    expect((await a).gates?.passed).toBe(true)

    const steps: string[] = []
    const c = executor(client, twoPhase).apply({mode: 'apply', phase: 'phase-2'})
    await systemClock.sleep(300)
    const d = executor(cp.client('concurrent'), twoPhase, {lockWaitMs: 120_000, onProgress: (e) => e.type === 'step' && steps.push(e.message)}).apply({mode: 'apply', phase: 'phase-2'})
    const [rc, rd] = await Promise.all([c, d])
    expect(rc.changed).toBeGreaterThan(0)
    expect(rd.changed).toBe(0)
    expect(steps.some((s) => s.startsWith('waiting for the apply lock'))).toBe(true)
    expect((await state(client)).applied.map((r) => r.phase)).toEqual(['phase-1', 'phase-2'])
  })

  it('API server restarted mid-apply: a clear error, then a safe re-run finishes the phase', async () => {
    const client = await cp.namespace('restart')
    // An outage longer than the retry budget (drills.test.ts rides out a short one).
    client.retry = {...client.retry, budgetMs: 1_000}
    const before = await namespaceState(client)
    let stopped = false
    const onProgress = (e: ProgressEvent): void => {
      if (e.type === 'object' && !stopped) {
        stopped = true
        cp.stopApiserver()
      }
    }
    const error = await executor(client, twoPhase, {onProgress}).apply({mode: 'apply'}).catch((e: unknown) => e)
    expect(stopped).toBe(true)
    expect(error).toBeInstanceOf(UnreachableError)
    expect((error as Error).message).toMatch(/cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ \(context admin\).*partly applied/)
    expect((error as UnreachableError).hint).toContain('re-run the same command')
    cp.startApiserver()

    const fresh = cp.client('restart')
    expect((await state(fresh)).pending).toBeDefined()
    const steps: string[] = []
    const rerun = await executor(fresh, twoPhase, {lockWaitMs: 30_000, onProgress: (e) => e.type === 'step' && steps.push(e.message)}).apply({mode: 'apply'})
    expect(rerun.phase).toBe('phase-1')
    expect(rerun.gates?.passed).toBe(true)
    expect(steps.some((s) => s.startsWith('resuming the unfinished apply of phase-1'))).toBe(true)
    const st = await state(fresh)
    expect(st.pending).toBeUndefined()
    expect(st.applied.map((r) => r.phase)).toEqual(['phase-1'])
    // The snapshot kept is the one from before the first attempt: rolling back empties the namespace again.
    await executor(fresh, twoPhase).rollback()
    expect(await namespaceState(fresh)).toEqual(before)
  })

  it('a different plan is refused unless --force', async () => {
    const client = cp.client('first')
    const revised = loadPlan(join(FIXTURES, 'two-phase-revised'))
    const error = await executor(client, revised).apply({mode: 'apply', phase: 'phase-1'}).catch((e: unknown) => e)
    expect((error as Error).message).toContain(`was changed by plan chat-fleet (${twoPhase.digest}); this is plan chat-fleet (${revised.digest})`)
    const forced = await executor(client, revised).apply({mode: 'apply', phase: 'phase-1', forcePlan: true})
    expect(forced.gates?.passed).toBe(true)
    expect((await state(client)).planDigest).toBe(revised.digest)
  })
})

describe('the command, end to end', () => {
  const run = (args: string[], env: Record<string, string> = {}) => runCli(['apply-to-cluster', join(FIXTURES, 'two-phase'), ...args], {env})

  it('names the target, refuses a non-interactive change without --yes, and never prints credentials', () => {
    const r = run(['--kubeconfig', cp.kubeconfig, '-n', 'cli'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Target: cluster fleetcap-test at https:\/\/127\.0\.0\.1:\d+, context admin, namespace cli/)
    expect(r.stderr).toContain('refusing to change the cluster without confirmation')
    const dry = run(['--kubeconfig', cp.kubeconfig, '-n', 'default', '--diff', '--debug'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('Deployment/llama-8b: create')
    for (const out of [r.stdout, r.stderr, dry.stdout, dry.stderr]) expect(out).not.toContain(cp.adminToken())
  })

  it('fails within 10 s with a clear error when the cluster is unreachable', async () => {
    const {writeFileSync, mkdtempSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {createServer} = await import('node:net')
    // A port nothing listens on: take a free one and close it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as {port: number}).port
        s.close(() => resolve(p))
      })
    })
    const kc = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config')
    writeFileSync(kc, `apiVersion: v1\nkind: Config\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: secret-token-xyz}}]\ncontexts: [{name: c, context: {cluster: gone, user: u}}]\ncurrent-context: c\n`)
    const start = Date.now()
    const r = run(['--kubeconfig', kc, '--yes'])
    expect(Date.now() - start).toBeLessThan(10_000)
    expect(r.code).toBe(4)
    expect(r.stderr).toContain(`cannot reach the Kubernetes API at https://127.0.0.1:${port} (context c) to read the server version: connection refused`)
    expect(r.stderr + r.stdout).not.toContain('secret-token-xyz')
    const unknown = run(['--kubeconfig', kc, '--context', 'nope', '--yes'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown context "nope"; known: c')
  })

  it('an unknown phase is refused with the list of phases', () => {
    const r = run(['--kubeconfig', cp.kubeconfig, '-n', 'default', '--phase', 'phase-7', '--dry-run'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown phase "phase-7"; known: phase-1, phase-2')
  })

  it('the printed least-privilege Role is enough for a user that has no other rights', async () => {
    const admin = await cp.namespace('rbac')
    const denied = run(['--kubeconfig', cp.kubeconfig, '--context', 'limited', '-n', 'rbac', '--yes'])
    expect(denied.code).toBe(4)
    expect(denied.stderr).toMatch(/forbidden/i)
    const printed = run(['--print-rbac', '-n', 'rbac', '--json'])
    expect(printed.code).toBe(0)
    const role = (JSON.parse(printed.stdout) as {role: KubeObject}).role
    await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/rbac/roles', 'create role', {body: role})
    await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/rbac/rolebindings', 'create binding', {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: {name: 'fleetcap-apply', namespace: 'rbac'},
        roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name},
        subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'fleetcap-limited'}],
      },
    })
    const ok = run(['--kubeconfig', cp.kubeconfig, '--context', 'limited', '-n', 'rbac', '--yes', '--json', '--timeout', '90'])
    expect(ok.stderr).not.toMatch(/forbidden/i)
    expect(ok.code).toBe(0)
    const result = JSON.parse(ok.stdout) as ApplyResult
    expect(result.gates?.passed).toBe(true)
    const back = run(['--kubeconfig', cp.kubeconfig, '--context', 'limited', '-n', 'rbac', '--yes', '--rollback'])
    expect(back.code).toBe(0)
  })

  it('SIGINT during the gates rolls back and exits 5', async () => {
    const client = await cp.namespace('sigint')
    const dir = await writeTestPlan('l4-int', [{name: 'only', pools: [{name: 'l4-int', product: L4, gpus: 1, min: 4, max: 4}]}])
    const before = await namespaceState(client)
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'apply-to-cluster', dir, '--kubeconfig', cp.kubeconfig, '-n', 'sigint', '--yes', '--gpu-pending-grace', '600'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, FLEETCAP_DEBUG: ''},
    })
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    await waitFor('the gates to start', async () => stderr.includes('gates:'), 60_000)
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(stderr).toContain('SIGINT: stopping; rolling back')
    expect(stderr).toContain('interrupted; rolled back')
    // The summary says what the rollback undid, not "create" under "rolled back".
    expect(stdout).toContain('Deployment/l4-int: created, then deleted by the rollback')
    expect(stdout).not.toMatch(/: create$/m)
    expect(code).toBe(5)
    expect(await namespaceState(client)).toEqual(before)
  })
})
