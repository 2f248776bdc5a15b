import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {CalibrateResultSchema} from '../../src/calibrate/command-result.js'
import {resolveServingProfile} from '../../src/fleet/profiles/catalog.js'
import {findK6} from '../../src/k6/binary.js'
import {writeK6Export} from '../../src/k6/export.js'
import {K6ExportResultSchema} from '../../src/k6/export-result.js'
import {constantLoad} from '../../src/k6/load.js'
import {runLoadGate} from '../../src/k6/run.js'
import {K6RunResultSchema} from '../../src/k6/run-result.js'
import {renderK6Script} from '../../src/k6/script.js'
import {ApplyToClusterResultSchema} from '../../src/rollout/result.js'
import {type FakeOpenAiServer, startFakeOpenAi} from '../doubles/fake-openai.js'
import {dataPath, ROOT} from '../helpers/cli.js'
import {optionalDependency} from '../helpers/deps.js'
import {checkResultSchemas, compileResultSchema} from '../helpers/result-schemas.js'
import {runCommand} from '../helpers/run-command.js'

/**
 * The typed --json results of k6 export, k6 run, calibrate and apply-to-cluster
 * (test/helpers/result-schemas.ts): schemas/<command>.result.schema.json generated from each zod
 * schema, and real in-process runs validated against it. k6 run and calibrate run real k6 against
 * the fake OpenAI server (test/doubles); apply-to-cluster's cluster paths are validated where a
 * control plane runs (test/k6/apply-load-gate.test.ts), its --print-rbac path here.
 */
const k6 = optionalDependency('k6', () => findK6(), 'scripts/test-deps/k6.sh')
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-result-schema-'))
const endpoint = ['--url', 'http://127.0.0.1:8000', '--model', 'llama-3.1-8b']
const PLAN = join(ROOT, 'test/fixtures/k6/plan.yaml')

describe('typed --json results: k6 export and apply-to-cluster --print-rbac', () => {
  checkResultSchemas([
    {
      command: 'k6 export',
      schema: K6ExportResultSchema,
      runs: [
        ['k6', 'export', ...endpoint, '--trace', dataPath('traces', 'AzureLLMInferenceTrace_conv.csv'), '--speedup', '60', '--duration', '2m', '--e2e-p95', '10s', '--ttft-p99', '1500ms', '--error-rate-max', '0.02', '--out', join(tmp, 'trace'), '--json'],
        ['k6', 'export', ...endpoint, '--rate', '120/min', '--duration', '30s', '--tokens', '512:128,2048:256', '--api', 'completions', '--header', 'X-Test: 1', '--out', join(tmp, 'rate'), '--json'],
        ['k6', 'export', ...endpoint, '--plan', PLAN, '--phase', 'phase-1', '--peak-factor', '2', '--duration', '30s', '--tokens', '100:50', '--out', join(tmp, 'plan'), '--json'],
      ],
    },
    {
      command: 'apply-to-cluster',
      schema: ApplyToClusterResultSchema,
      runs: [['apply-to-cluster', join(ROOT, 'test/fixtures/plans/two-phase'), '--print-rbac', '--namespace', 'llm', '--json']],
    },
  ])

  it('a result that breaks the schema is refused (the check can fail)', async () => {
    const validate = compileResultSchema('k6 export')
    const r = await runCommand(['k6', 'export', ...endpoint, '--rate', '2', '--duration', '10s', '--tokens', '10:10', '--out', join(tmp, 'broken'), '--json'])
    const result = JSON.parse(r.stdout) as {meta: Record<string, unknown>}
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({...result, meta: {...result.meta, extra: 1}})).toBe(false)
    expect(validate({...result, meta: {...result.meta, executor: 'per-vu-iterations'}})).toBe(false)
    expect(compileResultSchema('apply-to-cluster')({nothingToDo: false, message: 'x'})).toBe(false)
  })
})

describe.skipIf(k6 === undefined)('typed --json results: k6 run and calibrate (real k6, fake server)', () => {
  let server: FakeOpenAiServer
  const runs = {k6Run: [] as string[][], calibrate: [] as string[][]}
  beforeAll(async () => {
    const model = 'llama-3.1-8b'
    server = await startFakeOpenAi({profile: resolveServingProfile({model, gpu: 'A100-80GB', tensorParallel: 1}), model})
    // Two small loads (4 s at 5 requests/s): one for `k6 run`, one measured here for `calibrate`.
    const write = async (name: string): Promise<string> => {
      const exp = renderK6Script(constantLoad(5, 4, [[[300, 20, 0]], [[800, 40, 0]]]), {
        endpoint: {url: server.url, model, api: 'chat', stream: true, headers: {}, requestTimeoutS: 20},
        slo: {e2eP95S: 30, errorRateMax: 0.01},
        expectedLatencyS: 2,
      })
      await writeK6Export(join(tmp, name), exp)
      return join(tmp, name)
    }
    const gated = await write('gated')
    const measured = await write('measured')
    const gate = await runLoadGate({script: join(measured, 'load.js'), k6Binary: k6!, jsonOutPath: join(measured, 'samples.json')})
    expect(gate.passed, gate.reason).toBe(true)
    runs.k6Run.push(['k6', 'run', gated, '--k6', k6!, '--timeout', '2m', '--json'])
    runs.calibrate.push(
      ['calibrate', '--k6-summary', join(measured, 'summary.json'), '--model', model, '--gpu', 'A100-80GB', '--json'],
      ['calibrate', '--k6-json', join(measured, 'samples.json'), '--load', measured, '--profile', 'llama-3.1-8b@A100-80GB:tp1', '--predictor', 'replay', '--write-profile', join(tmp, 'fitted.yaml'), '--json'],
    )
  }, 120_000)
  afterAll(async () => {
    await server?.close()
  })

  checkResultSchemas([
    {command: 'k6 run', schema: K6RunResultSchema, runs: runs.k6Run},
    {command: 'calibrate', schema: CalibrateResultSchema, runs: runs.calibrate},
  ])
})
