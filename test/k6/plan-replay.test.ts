import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ReplicaLimits} from '../../src/calibrate/batching-replica.js'
import {findK6} from '../../src/k6/binary.js'
import {runLoadGate} from '../../src/k6/run.js'
import {PlanSchema} from '../../src/plan/schema.js'
import {readPhaseWorkloadTasks} from '../../src/plan/workload.js'
import {type FakeOpenAiServer, startFakeOpenAi} from '../doubles/fake-openai.js'
import {runCli} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'
import {parse} from 'yaml'

/**
 * Issue 13 item 3: a phase planned, exported to k6 and load-tested sends the calls/s and token mix
 * the plan verified the fleet on, within 5 %, judged from k6's own counts (requests, input and
 * output tokens of the kind:llm requests). Real planner, real k6, the fake OpenAI server on loopback.
 */
let k6: string | undefined
try {
  k6 = findK6()
} catch {
  k6 = undefined
}
const requireK6 = process.env.CI === 'true' || k6 !== undefined

/** A test cost model fast enough for ~2,600-token prompts at 16 calls/s on two replicas. */
const PROFILE: ReplicaLimits = {
  stepTimeS: (prefill, decodeSeqs) => 0.004 + 2e-6 * prefill + 5e-5 * decodeSeqs,
  maxBatchSeqs: 128,
  maxBatchTokens: 8192,
  kvCacheTokens: 2_000_000,
}

describe.runIf(requireK6)('a plan phase replayed by k6 (real k6, fake server)', () => {
  let server: FakeOpenAiServer
  let planDir: string
  beforeAll(async () => {
    if (k6 === undefined) throw new Error('k6 is missing under CI=true: run scripts/test-deps/k6.sh')
    server = await startFakeOpenAi({profile: PROFILE, replicas: 2, model: 'served'})
    planDir = join(mkdtempSync(join(tmpdir(), 'fleetcap-plan-replay-')), 'plan')
    const r = runCli(['plan', '--phases', '200000', '--fast', '--out', planDir])
    expect(r.code, r.stderr).toBe(0)
  }, 120_000)
  afterAll(async () => {
    await server?.close()
  })

  it('sends the planned calls/s and token mix within 5 %', async () => {
    const plan = PlanSchema.parse(parse(readFileSync(join(planDir, 'plan.yaml'), 'utf8')))
    const w = plan.spec.phases[0].workload!
    expect(w).toBeDefined()
    // The seed workload chains about 4 calls a task; the record says so and keeps every task's chain.
    expect(w.callsPerTask).toBeGreaterThan(3)
    expect(readPhaseWorkloadTasks(planDir, w).length).toBe(w.tasks.count)

    const out = join(planDir, '..', 'load')
    const durationS = 40
    const e = await runCommand(['k6', 'export', '--plan', join(planDir, 'plan.yaml'), '--phase', 'phase-1', '--duration', `${durationS}s`, '--url', server.url, '--model', 'served', '--no-stream', '--request-timeout', '30s', '--out', out])
    expect(e.code, e.stderr).toBe(0)
    const gate = await runLoadGate({script: join(out, 'load.js'), k6Binary: k6})
    expect(gate.droppedIterations).toBe(0)
    const summary = JSON.parse(readFileSync(gate.summaryPath, 'utf8')) as {metrics: Record<string, {values: Record<string, number>}>}
    const count = (name: string): number => summary.metrics[name]?.values.count ?? 0
    const calls = count('http_reqs{kind:llm}')
    const achieved = {
      callsPerS: calls / durationS,
      meanInputTokens: count('input_tokens') / calls,
      meanOutputTokens: count('output_tokens') / calls,
    }
    const planned = {callsPerS: w.callsPerS, meanInputTokens: w.meanInputTokens, meanOutputTokens: w.meanOutputTokens}
    process.stderr.write(`plan replay (k6 counts, ${durationS} s): ${Object.entries(planned).map(([k, v]) => `${k} planned ${v.toFixed(2)} achieved ${achieved[k as keyof typeof achieved].toFixed(2)} (${((achieved[k as keyof typeof achieved] / v - 1) * 100).toFixed(2)} %)`).join('; ')}; ${calls} calls, ${count('iterations')} tasks, error rate ${gate.summary?.errorRate}\n`)
    expect(gate.summary?.errorRate ?? 1).toBe(0)
    for (const k of Object.keys(planned) as Array<keyof typeof planned>) {
      expect(Math.abs(achieved[k] / planned[k] - 1), k).toBeLessThan(0.05)
    }
    // Every call the server answered is one k6 counted.
    expect(server.stats.completed).toBe(calls)
  }, 240_000)

  it('apply-to-cluster --load-test replays the recorded workload: a token mix or peak factor that would override it is refused before anything changes', async () => {
    const kubeconfig = join(planDir, '..', 'kubeconfig')
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n')
    for (const flag of ['--load-test-tokens', '--load-test-peak-factor']) {
      const r = await runCommand(['apply-to-cluster', planDir, '--kubeconfig', kubeconfig, '--yes', '--load-test', '--load-test-url', server.url, flag, flag.endsWith('tokens') ? '1024:256' : '1.6'])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`${flag}: the plan records the workload its phases were verified on`)
    }
  })
})

describe('the load of a recorded workload (no k6 needed)', () => {
  it('apply-to-cluster\'s load gate writes the recorded shape at the verified task rate, with the recorded tasks', async () => {
    const {exportPhaseLoadTest} = await import('../../src/k6/index.js')
    const shape = {bucketS: 60, tasksPerS: [1, 2, 3, 2, 1, 3]}
    const verified = {shape, tasksPerS: 2, callsPerS: 8}
    const tasks: Array<Array<[number, number, number]>> = [[[100, 10, 0], [200, 20, 1.5]], [[50, 5, 0]]]
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-verified-')), 'load')
    await exportPhaseLoadTest({dir, endpoint: {url: 'http://127.0.0.1:9', model: 'm', api: 'chat', stream: false, headers: {}, requestTimeoutS: 10}, ratePerS: 2, durationS: 30, tasks, slo: {}, verified})
    const meta = JSON.parse(readFileSync(join(dir, 'load-meta.json'), 'utf8')) as {executor: string; expectedIterations: number; stages: unknown[]; origin: Record<string, number>}
    expect(meta.executor).toBe('ramping-arrival-rate')
    // Six buckets merged into three 10 s stages (1.5, 2.5, 2 tasks/s): the window's mean, 2 tasks/s.
    expect(meta.stages).toHaveLength(3)
    expect(meta.expectedIterations).toBeCloseTo(60, 6)
    expect(meta.origin.plannedCallsPerS).toBe(8)
    expect(JSON.parse(readFileSync(join(dir, 'requests.json'), 'utf8')).tasks).toEqual(tasks)
  })
})
