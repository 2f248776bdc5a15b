import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ReplicaLimits} from '../../src/calibrate/batching-replica.js'
import {findK6, findStreamK6} from '../../src/k6/binary.js'
import {writeK6Export} from '../../src/k6/export.js'
import {constantLoad} from '../../src/k6/load.js'
import {runLoadGate} from '../../src/k6/run.js'
import {renderK6Script} from '../../src/k6/script.js'
import {type K6Measurement, readK6JsonOutput} from '../../src/k6/summary.js'
import {type FakeOpenAiServer, startFakeOpenAi} from '../doubles/fake-openai.js'
import {optionalDependency} from '../helpers/deps.js'
import {runCommand} from '../helpers/run-command.js'

/**
 * The stream reader (k6/x/fleetcap-stream, scripts/k6-stream) against a server that sends its
 * headers before the first token, as llama-server does: plain k6's TTFT is then the time to the
 * headers, the reader's is the time to the first token. The fake server sleeps at least each step's
 * cost, so the bounds below hold however busy the machine (they are floors and ratios, not timings).
 */
const plainK6 = optionalDependency('k6', () => findK6(), 'scripts/test-deps/k6.sh')
const streamK6 = optionalDependency('k6 with the stream reader', () => findStreamK6(), 'scripts/test-deps/k6-stream.sh')

/** Test cost model: 8 ms a step + 0.2 ms per prompt token, so a 500-token prompt's prefill takes ≥ 108 ms. */
const PROFILE: ReplicaLimits = {
  stepTimeS: (prefill, decodeSeqs) => 0.008 + 2e-4 * prefill + 1e-4 * decodeSeqs,
  maxBatchSeqs: 8,
  maxBatchTokens: 2048,
  kvCacheTokens: 100_000,
}
const PREFILL_FLOOR_MS = 1000 * PROFILE.stepTimeS(500, 0, 0)
const TASKS: Array<Array<[number, number, number]>> = [[[500, 12, 0]], [[500, 20, 0]]]

async function measure(server: FakeOpenAiServer, k6Binary: string, streamReader: boolean): Promise<K6Measurement> {
  const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-k6-stream-')), 'load')
  const exp = renderK6Script(constantLoad(2, 3, TASKS), {
    endpoint: {url: server.url, model: 'fake-model', api: 'completions', stream: true, streamReader, headers: {}, requestTimeoutS: 10},
    slo: {},
    expectedLatencyS: 1,
    gracefulStopS: 5,
  })
  const {script} = await writeK6Export(dir, exp)
  const jsonOutPath = join(dir, 'samples.json')
  const run = await runLoadGate({script, k6Binary, jsonOutPath})
  expect(run.summary, run.reason).toBeDefined()
  return readK6JsonOutput(jsonOutPath)
}

describe.skipIf(plainK6 === undefined || streamK6 === undefined)('k6 with the stream reader, against headers sent before the first token', () => {
  let server: FakeOpenAiServer
  beforeAll(async () => {
    server = await startFakeOpenAi({profile: PROFILE, headersFirst: true})
  })
  afterAll(async () => {
    await server?.close()
  })

  it('measures TTFT at the first token, where plain k6 measures the headers', async () => {
    const reader = await measure(server, streamK6!, true)
    const plain = await measure(server, plainK6!, false)
    expect(reader.errorRate).toBe(0)
    expect(reader.requests).toBeGreaterThanOrEqual(6)
    expect(reader.ttftMs!.p50).toBeGreaterThanOrEqual(0.95 * PREFILL_FLOOR_MS)
    expect(plain.ttftMs!.p50).toBeLessThan(reader.ttftMs!.p50 / 2)
  })

  it('records every inter-token gap and one time per output token per request', async () => {
    const m = await measure(server, streamK6!, true)
    // 2/s for 3 s (k6 starts 6 or 7), alternating 12 and 20 tokens: a request of n tokens has
    // n − 1 gaps, one tpot and one ttft.
    expect(m.errorRate).toBe(0)
    const n = m.requests
    expect(n).toBeGreaterThanOrEqual(6)
    expect(m.outputTokens).toBe(Math.ceil(n / 2) * 12 + Math.floor(n / 2) * 20)
    expect(m.itlMs!.count).toBe(m.outputTokens! - n)
    expect(m.tpotMs!.count).toBe(n)
    expect(m.ttftMs!.count).toBe(n)
    // A decode step sleeps ≥ 8 ms; the median gap cannot be much below it (a late read can merge two).
    expect(m.itlMs!.p50).toBeGreaterThan(4)
    expect(m.latencyMs!.p50).toBeGreaterThan(m.ttftMs!.p50)
  })

  it('k6 export --stream-reader writes a script that k6 run runs with the extended k6, found by itself', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-k6-stream-cli-')), 'load')
    const exp = await runCommand(['k6', 'export', '--rate', '2', '--duration', '2s', '--tokens', '500:8', '--api', 'completions', '--stream-reader', '--url', server.url, '--model', 'fake-model', '--out', dir])
    expect(exp.code, exp.stderr).toBe(0)
    // No --k6: k6 run sees the extension's import and looks for the stream reader's build.
    const run = await runCommand(['k6', 'run', dir, '--k6-json', join(dir, 'samples.json')])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^itl {5}p50 \d/m)
    const plain = await runCommand(['k6', 'run', dir, '--k6', plainK6!])
    expect(plain.code).not.toBe(0)
    expect(plain.stderr).toContain('k6/x/fleetcap-stream')
  })
})
