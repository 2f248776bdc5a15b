import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {parse} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadCalibratedProfile} from '../../src/calibrate/profile-file.js'
import {findK6, K6_VERSION} from '../../src/k6/binary.js'
import {writeK6Export} from '../../src/k6/export.js'
import {constantLoad} from '../../src/k6/load.js'
import {renderK6Script} from '../../src/k6/script.js'
import {resolveServingProfile} from '../../src/fleet/profiles/catalog.js'
import {ROOT} from '../helpers/cli.js'
import {optionalDependency} from '../helpers/deps.js'
import {runCommand} from '../helpers/run-command.js'

const k6 = optionalDependency('k6', () => findK6(), 'scripts/test-deps/k6.sh')

async function exportDir(url: string, model: string): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-k6-cli-')), 'load')
  // 10 s at 6 requests/s; prompts of 100-800 tokens, 20-80 output tokens.
  const load = constantLoad(6, 10, [[[300, 40, 0]], [[800, 80, 0]], [[100, 20, 0]]])
  const exp = renderK6Script(load, {
    endpoint: {url, model, api: 'chat', stream: true, headers: {}, requestTimeoutS: 20},
    slo: {e2eP95S: 30, errorRateMax: 0.01},
    expectedLatencyS: 2,
  })
  await writeK6Export(dir, exp)
  return dir
}

/** Run `body` with these environment variables set, as a child process started with them would see them. */
async function withEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  try {
    return await body()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

describe('k6 commands, in process', () => {
  it('says how to install k6 when the binary is missing', async () => {
    const dir = await exportDir('http://127.0.0.1:1', 'm')
    const r = await runCommand(['k6', 'run', dir, '--k6', '/nonexistent/k6'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Error: --k6: /nonexistent/k6 is not an executable k6 binary')
    expect(r.stderr).toContain(`go install go.k6.io/k6@${K6_VERSION}`)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const none = await withEnv({FLEETCAP_K6: '', FLEETCAP_CACHE: join(dir, 'no-cache'), PATH: '/nonexistent'}, () => runCommand(['k6', 'run', dir]))
    expect(none.code).toBe(2)
    expect(none.stderr.split('\n')[0]).toBe('Error: k6 not found (looked at --k6, $FLEETCAP_K6, the fleetcap cache and PATH)')
    const badTimeout = await runCommand(['k6', 'run', dir, '--timeout', 'soon'])
    expect(badTimeout.code).toBe(2)
    expect(badTimeout.stderr.split('\n')[0]).toMatch(/^Error: --timeout: "soon" is not a duration/)
  })

  it.skipIf(k6 === undefined)('fails the gate with exit 4 and a reason when the endpoint is unreachable', async () => {
    const dir = await exportDir('http://127.0.0.1:1', 'm')
    const r = await runCommand(['k6', 'run', dir, '--k6', k6!])
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('Error: endpoint unreachable: http://127.0.0.1:1')
  })

  it('rejects a calibration without a profile or a load directory, naming what is missing', async () => {
    const summary = join(ROOT, 'test/fixtures/k6/summary.json')
    const noProfile = await runCommand(['calibrate', '--k6-summary', summary])
    expect(noProfile.code).toBe(2)
    expect(noProfile.stderr).toContain('--profile: say which serving profile served the load')
    const noLoad = await runCommand(['calibrate', '--k6-summary', summary, '--model', 'llama-3.1-8b', '--gpu', 'A100-80GB'])
    expect(noLoad.code).toBe(2)
    expect(noLoad.stderr).toMatch(/load-meta\.json: no load description here/)
    const badGpu = await runCommand(['calibrate', '--k6-summary', summary, '--model', 'llama-3.1-8b', '--gpu', 'Z9000', '--load', join(ROOT, 'test/fixtures/k6')])
    expect(badGpu.code).toBe(2)
    expect(badGpu.stderr).toMatch(/unknown GPU "Z9000"/i)
  })
})

describe.skipIf(k6 === undefined)('calibrate from a real k6 run against a server 25% slower than its profile', () => {
  let server: ChildProcess
  let url: string
  let model: string
  beforeAll(async () => {
    server = spawn(process.execPath, [join(ROOT, 'tools/fake-openai/serve.mjs'), '--model', 'llama-3.1-8b', '--gpu', 'A100-80GB', '--scale', '1.25'], {stdio: ['ignore', 'pipe', 'inherit']})
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({input: server.stdout!}).once('line', resolve)
      server.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)))
    })
    ;({url, model} = JSON.parse(first) as {url: string; model: string})
  })
  afterAll(() => {
    server?.kill('SIGTERM')
  })

  it('runs the load, fits the step-time factor and writes the adjusted profile with its source', async () => {
    const dir = await exportDir(url, model)
    const run = await runCommand(['k6', 'run', dir, '--k6', k6!, '--json'])
    expect(run.code).toBe(0)
    const gate = JSON.parse(run.stdout) as {passed: boolean; summary: {requests: number}}
    expect(gate.passed).toBe(true)
    expect(gate.summary.requests).toBeGreaterThanOrEqual(59)

    const out = join(dir, '..', 'measured.yaml')
    const summary = join(dir, 'summary.json')
    const cal = await runCommand(['calibrate', '--k6-summary', summary, '--model', 'llama-3.1-8b', '--gpu', 'A100-80GB', '--write-profile', out, '--json'])
    expect(cal.stderr).toBe('')
    expect(cal.code).toBe(0)
    const result = JSON.parse(cal.stdout) as {stepScale: number; rmsLogErrorBefore: number; rmsLogErrorAfter: number; profile: string}
    process.stderr.write(`calibration: true factor 1.25, fitted ${result.stepScale.toFixed(3)}, RMS log error ${result.rmsLogErrorBefore.toFixed(3)} -> ${result.rmsLogErrorAfter.toFixed(3)}\n`)
    expect(result.profile).toBe('llama-3.1-8b@A100-80GB:tp1')
    expect(result.stepScale).toBeGreaterThan(1.15)
    expect(result.stepScale).toBeLessThan(1.35)
    expect(result.rmsLogErrorAfter).toBeLessThan(result.rmsLogErrorBefore / 2)

    const doc = parse(readFileSync(out, 'utf8')) as {stepTimeScale: {value: number; source: string}; calibration: {measurement: {sha256: string; file: string}}}
    const digest = createHash('sha256').update(readFileSync(summary)).digest('hex')
    expect(doc.calibration.measurement).toMatchObject({file: summary, sha256: digest})
    expect(doc.stepTimeScale.source).toContain(digest)
    const adjusted = await loadCalibratedProfile(out)
    const base = resolveServingProfile({model: 'llama-3.1-8b', gpu: 'A100-80GB', tensorParallel: 1})
    expect(adjusted.stepTimeS(512, 16, 16_000) / base.stepTimeS(512, 16, 16_000)).toBeCloseTo(doc.stepTimeScale.value, 9)
    expect(adjusted.maxBatchSeqs).toBe(base.maxBatchSeqs)
  })
})
