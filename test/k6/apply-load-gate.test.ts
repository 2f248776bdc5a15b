import {type ChildProcess, spawn} from 'node:child_process'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {findK6} from '../../src/k6/binary.js'
import {STATE_CONFIGMAP} from '../../src/k8s/state.js'
import {ROOT} from '../helpers/cli.js'
import {optionalDependency} from '../helpers/deps.js'
import {runCommand} from '../helpers/run-command.js'
import {ApplyToClusterResultSchema} from '../../src/rollout/result.js'
import {compileResultSchema} from '../helpers/result-schemas.js'
import {ControlPlane} from '../k8s/control-plane.js'
import {writeTestPlan} from '../k8s/plan-builder.js'

/**
 * apply-to-cluster --load-test end to end: a real control plane (scripts/k8s/control-plane.sh),
 * the real k6, and the fake OpenAI server standing in for the fleet's endpoint.
 */
const k6 = optionalDependency('k6', () => findK6(), 'scripts/test-deps/k6.sh')

const A100 = 'NVIDIA-A100-SXM4-80GB'

async function fakeServer(...args: string[]): Promise<{url: string; child: ChildProcess}> {
  const child = spawn(process.execPath, [join(ROOT, 'tools/fake-openai/serve.mjs'), '--served-model', 'test-model', ...args], {stdio: ['ignore', 'pipe', 'inherit']})
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({input: child.stdout!}).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)))
  })
  return {url: (JSON.parse(line) as {url: string}).url, child}
}

describe('apply-to-cluster --load-test flags (no cluster needed: refused while parsing)', () => {
  it('a bad duration, rate, peak factor or error rate is one line naming the flag, exit 2', async () => {
    const plan = await writeTestPlan('load-gate-flags', [{name: 'phase-1', pools: [{name: 'llm', product: A100, gpus: 1, min: 1, max: 1}]}])
    const cases: Array<[string[], RegExp]> = [
      [['--load-test-duration', 'soon'], /--load-test-duration: "soon" is not a duration/],
      [['--load-test-duration', '0s'], /--load-test-duration: must be more than 0 s/],
      [['--load-test-rate', '0'], /--load-test-rate: must be more than 0 \/s \(got 0\)/],
      [['--load-test-rate', 'fast'], /--load-test-rate: "fast" is not a rate/],
      [['--load-test-peak-factor', '0.5'], /--load-test-peak-factor: must be at least 1 \(got 0\.5\)/],
      [['--load-test-error-rate-max', '2'], /--load-test-error-rate-max: must be at most 1 \(got 2\)/],
      [['--timeout', '0'], /--timeout: must be more than 0 s \(got 0\)/],
      [['--lock-wait', 'a while'], /--lock-wait: "a while" is not a duration/],
    ]
    for (const [flag, message] of cases) {
      const r = await runCommand(['apply-to-cluster', plan, '--yes', '--load-test', '--load-test-url', 'http://127.0.0.1:1', ...flag])
      expect(r.code, flag.join(' ')).toBe(2)
      expect(r.stderr.split('\n')[0]).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })
})

if (k6 === undefined && process.env.CI === 'true') throw new Error('k6 is missing under CI=true: run scripts/test-deps/k6.sh')
describe.skipIf(k6 === undefined)('apply-to-cluster --load-test', () => {
  let cp: ControlPlane
  let plan: string
  let good: {url: string; child: ChildProcess}
  let flaky: {url: string; child: ChildProcess}
  beforeAll(async () => {
    cp = ControlPlane.start()
    cp.gpuNodes(2, A100, 8, 'a100')
    plan = await writeTestPlan('load-gate', [{name: 'phase-1', pools: [{name: 'llm', product: A100, gpus: 1, min: 1, max: 1}]}])
    good = await fakeServer()
    flaky = await fakeServer('--error-rate', '0.5', '--seed', '3')
  })
  afterAll(() => {
    good?.child.kill('SIGTERM')
    flaky?.child.kill('SIGTERM')
    cp?.stop()
  })

  const apply = async (ns: string, ...extra: string[]) =>
    runCommand(['apply-to-cluster', plan, '--kubeconfig', cp.kubeconfig, '-n', ns, '--yes', '--gpu-pending-grace', '600', '--timeout', '120', '--load-test', '--load-test-rate', '5', '--load-test-duration', '4s', '--load-test-tokens', '64:16', ...extra])

  async function deploymentExists(ns: string): Promise<boolean> {
    const client = cp.client(ns)
    return (await client.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'llm'})) !== null
  }

  it('passes the gate at the planned load and keeps the k6 summary with the apply record', async () => {
    await cp.namespace('lt-pass')
    const r = await apply('lt-pass', '--load-test-url', good.url)
    expect(r.stderr).toMatch(/load test: 5\.00 requests\/s for 4 s against http:\/\/127\.0\.0\.1:\d+ \(model test-model\)/)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Load test passed: 2 threshold\(s\) held over 2\d requests \(k6 summary: .*load-tests\/phase-1\/summary\.json\)/)
    const client = cp.client('lt-pass')
    const cm = (await client.get({apiVersion: 'v1', kind: 'ConfigMap', namespace: 'lt-pass', name: STATE_CONFIGMAP})) as unknown as {data: Record<string, string>}
    const state = JSON.parse(cm.data['state.json']) as {applied: Array<{phase: string; check?: Record<string, unknown>}>}
    expect(state.applied[0].phase).toBe('phase-1')
    expect(state.applied[0].check).toMatchObject({name: 'load test', passed: true, ratePerS: 5, durationS: 4, droppedIterations: 0, failedThresholds: []})
    expect(state.applied[0].check?.summarySha256).toMatch(/^[0-9a-f]{64}$/)
    expect(await deploymentExists('lt-pass')).toBe(true)
  })

  it('--json: an apply with its load-test record, a diff and a nothing-to-do fit schemas/apply-to-cluster.result.schema.json', async () => {
    await cp.namespace('lt-json')
    const validate = compileResultSchema('apply-to-cluster')
    const applied = await apply('lt-json', '--load-test-url', good.url, '--json')
    const diff = await runCommand(['apply-to-cluster', plan, '--kubeconfig', cp.kubeconfig, '-n', 'lt-json', '--phase', 'phase-1', '--diff', '--json'])
    const done = await runCommand(['apply-to-cluster', plan, '--kubeconfig', cp.kubeconfig, '-n', 'lt-json', '--dry-run', '--json'])
    for (const r of [applied, diff, done]) {
      expect(r.code, r.stderr).toBe(0)
      const result = JSON.parse(r.stdout) as unknown
      expect(validate(result), JSON.stringify(validate.errors)).toBe(true)
      expect(ApplyToClusterResultSchema.safeParse(result).success).toBe(true)
    }
    expect(JSON.parse(applied.stdout)).toMatchObject({mode: 'apply', check: {name: 'load test', passed: true, record: {ratePerS: 5, durationS: 4}}})
    expect(JSON.parse(diff.stdout)).toMatchObject({mode: 'diff', phase: 'phase-1'})
    expect(JSON.parse(done.stdout)).toMatchObject({nothingToDo: true})
  })

  it('fails the phase on a failed threshold and rolls it back', async () => {
    await cp.namespace('lt-fail')
    const r = await apply('lt-fail', '--load-test-url', flaky.url)
    expect(r.code, r.stderr).toBe(5)
    expect(r.stderr).toMatch(/Error: phase phase-1: load test failed: thresholds failed: errors rate<=0\.01; rolled back/)
    expect(r.stdout).toMatch(/Load test failed: thresholds failed: errors rate<=0\.01/)
    expect(await deploymentExists('lt-fail')).toBe(false)
  })

  it('fails, with the reason, when the endpoint is unreachable, and never hangs', async () => {
    await cp.namespace('lt-gone')
    const started = performance.now()
    const r = await apply('lt-gone', '--load-test-url', 'http://127.0.0.1:1')
    expect(r.code, r.stderr).toBe(5)
    expect(r.stderr).toMatch(/load test failed: endpoint unreachable: http:\/\/127\.0\.0\.1:1.*; rolled back/)
    expect(await deploymentExists('lt-gone')).toBe(false)
    expect(performance.now() - started).toBeLessThan(120_000)
  })

  it('stops before changing anything when k6 is missing or the URL is not given', async () => {
    await cp.namespace('lt-nok6')
    const noK6 = await apply('lt-nok6', '--load-test-url', good.url, '--k6', '/nonexistent/k6')
    expect(noK6.code).toBe(2)
    expect(noK6.stderr).toContain('go install go.k6.io/k6@')
    const noUrl = await apply('lt-nok6')
    expect(noUrl.code).toBe(2)
    expect(noUrl.stderr).toContain('--load-test-url: a load test needs the fleet\'s endpoint URL')
    expect(await deploymentExists('lt-nok6')).toBe(false)
  })
})
