import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ReplicaLimits} from '../../src/calibrate/batching-replica.js'
import {calibrateStepScale} from '../../src/calibrate/fit.js'
import {arrivalSchedule, replayPredictor} from '../../src/calibrate/predict.js'
import {findK6} from '../../src/k6/binary.js'
import {runPhaseLoadGate} from '../../src/k6/index.js'
import {readK6ExportLoad, writeK6Export} from '../../src/k6/export.js'
import {constantLoad, type LoadProfile, loadFromTasks} from '../../src/k6/load.js'
import {runLoadGate} from '../../src/k6/run.js'
import {type LoadSlo, renderK6Script} from '../../src/k6/script.js'
import {type FakeOpenAiServer, startFakeOpenAi} from '../doubles/fake-openai.js'
import {readTrace, type TaskStream} from '../../src/workload/index.js'
import {dataPath} from '../helpers/cli.js'
import {optionalDependency} from '../helpers/deps.js'

/**
 * Generated scripts run for real: k6 v1.8.1 (scripts/test-deps/k6.sh builds it) against the fake
 * OpenAI server on loopback. Durations are a few seconds each; the whole file takes about a minute.
 */
const k6 = optionalDependency('k6', () => findK6(), 'scripts/test-deps/k6.sh')

/** Test cost model, not a real GPU: 8 ms a step + 30 µs per prompt token + 0.3 ms per decoding sequence. */
const PROFILE: ReplicaLimits = {
  stepTimeS: (prefill, decodeSeqs, context) => 0.008 + 3e-5 * prefill + 3e-4 * decodeSeqs + 1e-7 * context,
  maxBatchSeqs: 64,
  maxBatchTokens: 2048,
  kvCacheTokens: 400_000,
}

/** A faster cost model for the Azure trace's ~1,000-token prompts: 5 ms a step, 5 µs per prompt token. */
const TRACE_PROFILE: ReplicaLimits = {...PROFILE, stepTimeS: (prefill, decodeSeqs) => 0.005 + 5e-6 * prefill + 1e-4 * decodeSeqs}

/** The Azure LLM conversation trace, read by the workload reader. */
function azureTasks(): TaskStream {
  return readTrace(dataPath('traces', 'AzureLLMInferenceTrace_conv.csv')).tasks()
}

async function exportFor(load: LoadProfile, server: {url: string}, slo: LoadSlo, extra: {maxVUs?: number; stream?: boolean; expectedLatencyS?: number} = {}): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-k6-run-')), 'load')
  const exp = renderK6Script(load, {
    endpoint: {url: server.url, model: 'fake-model', api: 'chat', stream: extra.stream ?? true, headers: {}, requestTimeoutS: 10},
    slo,
    expectedLatencyS: extra.expectedLatencyS ?? 2,
    maxVUs: extra.maxVUs,
    gracefulStopS: 5,
  })
  return (await writeK6Export(dir, exp)).script
}

const SHORT: CallShape[][] = [[[60, 8, 0]], [[120, 16, 0]]]
type CallShape = [number, number, number]

describe.skipIf(k6 === undefined)('generated k6 scripts against the fake OpenAI server', () => {
  let server: FakeOpenAiServer
  beforeAll(async () => {
    server = await startFakeOpenAi({profile: PROFILE})
  })
  afterAll(async () => {
    await server?.close()
  })

  it('replays a trace\'s arrival rate per bucket within a few percent', async () => {
    const server = await startFakeOpenAi({profile: TRACE_PROFILE})
    try {
      // 240 trace seconds of the Azure conversation trace, 12× faster, at a quarter of the rate:
      // four 5-second stages at 10 to 20 requests a second.
      const load = await loadFromTasks(azureTasks(), {bucketS: 60, speedup: 12, rateScale: 0.25, maxDurationS: 20})
      expect(load.stages.length).toBe(4)
      // The trace's outputs average ~210 tokens: a few seconds a request under this load.
      const script = await exportFor(load, server, {errorRateMax: 0}, {expectedLatencyS: 6})
      const gate = await runLoadGate({script, k6Binary: k6})
      expect(gate.reason).toMatch(/threshold\(s\) held/)
      expect(gate.passed).toBe(true)
      expect(gate.summary?.droppedIterations).toBe(0)
      // Line the server's clock up with k6's schedule (the median lag of the i-th arrival behind
      // its planned time), then count arrivals per stage and compare with the trace's rate.
      const arrivals = server.arrivalsS
      const planned = arrivalSchedule(await readK6ExportLoad(join(script, '..')))
      const lags = arrivals.slice(0, planned.length).map((t, i) => t - planned[i]).sort((a, b) => a - b)
      const offset = lags[Math.floor(lags.length / 2)]
      let edge = 0
      const errors = load.stages.map((s) => {
        const from = edge
        edge += s.durationS
        const count = arrivals.filter((t) => t - offset >= from - 0.01 && t - offset < edge - 0.01).length
        return count / s.durationS / s.ratePerS - 1
      })
      const traceTotal = load.stages.reduce((a, s) => a + s.ratePerS * s.durationS, 0)
      const totalError = arrivals.length / traceTotal - 1
      process.stderr.write(`achieved/trace arrival rate - 1 per stage: ${errors.map((e) => `${(e * 100).toFixed(1)}%`).join(' ')}; total ${(totalError * 100).toFixed(2)}%\n`)
      expect(Math.abs(totalError)).toBeLessThan(0.02)
      for (const e of errors) expect(Math.abs(e)).toBeLessThan(0.05)
      // The prompts carry the trace's input lengths, word for word, in trace order.
      const first = (await loadFromTasks(azureTasks(), {bucketS: 60, maxTasks: 10})).tasks.map((t) => t[0][0])
      expect(server.promptTokens.slice(0, 10)).toEqual(first.slice(0, 10))
    } finally {
      await server.close()
    }
  })

  it('passes thresholds that hold and fails, naming them, thresholds that do not', async () => {
    const load = constantLoad(10, 3, SHORT)
    // The executor's path: a plan phase's peak as a constant-rate test, then the gate and its record.
    const phase = await runPhaseLoadGate({
      dir: join(mkdtempSync(join(tmpdir(), 'fleetcap-k6-phase-')), 'gate'),
      endpoint: {url: server.url, model: 'fake-model', api: 'chat', stream: true, headers: {}, requestTimeoutS: 10},
      ratePerS: 10,
      durationS: 3,
      tasks: SHORT,
      slo: {e2eP95S: 5, ttftP95S: 2, errorRateMax: 0.01},
      k6Binary: k6,
    })
    expect(phase.reason).toMatch(/^3 threshold\(s\) held over 3\d requests$/)
    expect(phase.passed).toBe(true)
    expect(phase.record).toMatchObject({passed: true, ratePerS: 10, durationS: 3, droppedIterations: 0, errorRate: 0, failedThresholds: [], summaryFile: phase.summaryPath})
    expect(phase.record.summarySha256).toMatch(/^[0-9a-f]{64}$/)
    expect(phase.record.latencyP95Ms).toBeGreaterThan(0)
    expect(JSON.parse(JSON.stringify(phase.record))).toEqual(phase.record)
    const pass = await runLoadGate({script: join(phase.summaryPath, '..', 'load.js'), k6Binary: k6})
    expect(pass.passed).toBe(true)
    expect(pass.failedThresholds).toEqual([])
    expect(pass.summary?.thresholds.length).toBe(3)
    const fail = await runLoadGate({script: await exportFor(load, server, {e2eP95S: 0.001, errorRateMax: 0.01}), k6Binary: k6})
    expect(fail.passed).toBe(false)
    expect(fail.exitCode).toBe(99)
    expect(fail.failedThresholds).toEqual(['http_req_duration{kind:llm,expected_response:true} p(95)<1'])
    expect(fail.reason).toMatch(/^thresholds failed: http_req_duration.*p\(95\)<1/)
  })

  it('measures latency and output tokens without streaming (no TTFT, no TPOT)', async () => {
    const gate = await runLoadGate({script: await exportFor(constantLoad(10, 2, SHORT), server, {e2eP95S: 5}, {stream: false}), k6Binary: k6})
    expect(gate.passed).toBe(true)
    expect(gate.summary?.droppedIterations).toBe(0)
    // 10/s for 2 s: k6 starts iterations at 0, 0.1, ... and, timing permitting, one at 2.0 s, so a
    // loaded machine sees 20 and a quiet one 21. Each iteration is one request.
    const n = gate.summary!.iterations
    expect([20, 21]).toContain(n)
    expect(gate.summary?.latencyMs?.count).toBe(n)
    expect(gate.summary?.ttftMs).toBeUndefined()
    // Requests alternate 8 and 16 output tokens by iteration index, from the usage the server reports.
    expect(gate.summary?.outputTokens).toBe(Math.ceil(n / 2) * 8 + Math.floor(n / 2) * 16)
  })

  // The five checks below assert outcomes and counts, not rates: they run side by side (each k6
  // run is short and mostly waits). The rate and calibration checks around them run alone.
  it.concurrent('fails the error-rate threshold when the server fails requests', async ({expect}) => {
    const flaky = await startFakeOpenAi({profile: PROFILE, errorRate: 0.3, seed: 7})
    try {
      const gate = await runLoadGate({script: await exportFor(constantLoad(10, 3, SHORT), flaky, {errorRateMax: 0.05}), k6Binary: k6})
      expect(gate.passed).toBe(false)
      expect(gate.failedThresholds).toEqual(['errors rate<=0.05'])
      expect(gate.summary!.errorRate!).toBeGreaterThan(0.1)
      expect(flaky.stats.failed).toBeGreaterThan(0)
    } finally {
      await flaky.close()
    }
  })

  it.concurrent('fails fast with a clear reason when the endpoint is unreachable', async ({expect}) => {
    const gone = await startFakeOpenAi({profile: PROFILE})
    const url = gone.url
    await gone.close()
    const started = performance.now()
    const gate = await runLoadGate({script: await exportFor(constantLoad(10, 30, SHORT), {url}, {errorRateMax: 0.01}), k6Binary: k6})
    expect(gate.passed).toBe(false)
    expect(gate.reason).toMatch(new RegExp(`^endpoint unreachable: ${url.replace(/\./g, '\\.')}.*connection refused`))
    // A 30-second load that cannot start ends in seconds, not after its duration.
    expect(performance.now() - started).toBeLessThan(15_000)
  })

  it.concurrent('reports the iterations k6 drops when the VU pool is too small', async ({expect}) => {
    const gate = await runLoadGate({script: await exportFor(constantLoad(40, 2, SHORT), server, {}, {maxVUs: 1}), k6Binary: k6})
    expect(gate.droppedIterations).toBeGreaterThan(10)
    expect(gate.reason).toMatch(/k6 dropped \d+ iterations/)
  })

  it.concurrent('stops a run that outlives its time limit instead of hanging', async ({expect}) => {
    const started = performance.now()
    const gate = await runLoadGate({script: await exportFor(constantLoad(2, 60, SHORT), server, {}), k6Binary: k6, timeoutS: 3})
    expect(gate.passed).toBe(false)
    expect(gate.reason).toBe('k6 did not finish within 3 s and was stopped')
    expect(performance.now() - started).toBeLessThan(25_000)
  })

  it.concurrent('stops at once when the caller interrupts it (an interrupted apply)', async ({expect}) => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 1500)
    const started = performance.now()
    const gate = await runLoadGate({script: await exportFor(constantLoad(2, 60, SHORT), server, {}), k6Binary: k6, signal: controller.signal})
    expect(gate.passed).toBe(false)
    expect(gate.reason).toBe('the load test was interrupted')
    expect(performance.now() - started).toBeLessThan(20_000)
  })

  it('calibration recovers a known profile error (server 30% slower than its profile), relative to a control run on the same machine', async () => {
    // A wall-clock server on a busy machine reads slower than its profile (event-loop and k6 lag:
    // 1.484 for a true 1.3 at load 12). The same load against an unscaled server measures that
    // contention; the profile error is the ratio of the two fits, which contention cancels from.
    const fitFor = async (stepScale: number): Promise<{stepScale: number; before: number; after: number}> => {
      const srv = await startFakeOpenAi({profile: PROFILE, stepScale})
      try {
        const script = await exportFor(constantLoad(8, 10, [[[200, 30, 0]], [[600, 60, 0]], [[50, 10, 0]]]), srv, {})
        const gate = await runLoadGate({script, k6Binary: k6})
        expect(gate.summary).toBeDefined()
        // Counts, not timing: every iteration k6 started was one request the server completed.
        expect(gate.summary!.requests).toBe(srv.stats.completed)
        const load = await readK6ExportLoad(join(script, '..'))
        const fit = await calibrateStepScale(gate.summary!, load, replayPredictor(PROFILE))
        return {stepScale: fit.stepScale, before: fit.rmsLogErrorBefore, after: fit.rmsLogErrorAfter}
      } finally {
        await srv.close()
      }
    }
    const control = await fitFor(1)
    const slow = await fitFor(1.3)
    const ratio = slow.stepScale / control.stepScale
    process.stderr.write(`calibration (test cost model): true factor 1.3, fitted ${slow.stepScale.toFixed(3)} (control run fitted ${control.stepScale.toFixed(3)}), ratio ${ratio.toFixed(3)}, RMS log error ${slow.before.toFixed(3)} -> ${slow.after.toFixed(3)}\n`)
    // Contention only makes a server slower: the slow server never fits below its true factor's reach.
    expect(slow.stepScale).toBeGreaterThan(1.2)
    // 1.3 within 12 %: the contention a control run measures is not exactly the slow run's.
    expect(ratio).toBeGreaterThan(1.15)
    expect(ratio).toBeLessThan(1.45)
    expect(slow.before).toBeGreaterThan(0.15)
    expect(slow.after).toBeLessThan(slow.before / 3)
  })
})
