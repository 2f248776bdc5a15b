import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {measureWorkload} from '../../src/calibrate/closed-loop.js'
import {type CpuEngineProfile, cpuEngineLimits, readCpuEngineProfile, writeCpuEngineProfile} from '../../src/calibrate/cpu-engine.js'
import {scaledEngine} from '../../src/calibrate/cpu-engine-fit.js'
import {findK6, findStreamK6} from '../../src/k6/binary.js'
import {type FakeOpenAiServer, startFakeOpenAi} from '../doubles/fake-openai.js'
import {optionalDependency} from '../helpers/deps.js'
import {runCommand} from '../helpers/run-command.js'

/**
 * `fleetcap calibrate --engine-profile FILE`: the CLI step of the loop, on the fake server (whose
 * step costs are the profile's, 1.3× slower) so that the factor to find is known. Plumbing only:
 * no accuracy figure rests on the fake server (bench/llama.ts measures the real engine).
 */
const k6 = optionalDependency('k6', () => findK6(), 'scripts/test-deps/k6.sh')
const streamK6 = optionalDependency('k6 with the stream reader', () => findStreamK6(), 'scripts/test-deps/k6-stream.sh')

const s = (value: number): {value: number; source: string} => ({value, source: 'test cost model'})
const PROFILE: CpuEngineProfile = {
  apiVersion: 'fleetcap.dev/v1',
  kind: 'CpuEngineProfile',
  engine: {name: 'llama.cpp llama-server', url: 'http://127.0.0.1:1', model: 'tiny-llama'},
  hardware: {threads: 1, cpu: 'test'},
  limits: {slots: s(4), batchTokens: s(2048), ctxPerSlot: s(2048)},
  stepCost: {fixedS: s(0.006), prefillTokenS: s(2e-5), decodeSeqS: s(5e-4), contextTokenS: s(1e-7)},
}

describe.skipIf(k6 === undefined)('calibrate --engine-profile (fake server)', () => {
  let server: FakeOpenAiServer
  const dir = mkdtempSync(join(tmpdir(), 'fleetcap-engine-cli-'))
  beforeAll(async () => {
    server = await startFakeOpenAi({profile: cpuEngineLimits(PROFILE), stepScale: 1.3, model: 'tiny-llama'})
  })
  afterAll(async () => {
    await server?.close()
  })

  it('fits the step-time factor and writes the profile back with it and its source', async () => {
    await writeCpuEngineProfile(join(dir, 'probe.yaml'), PROFILE)
    const m = await measureWorkload({name: 'A', ratePerS: 4, durationS: 10, tasks: [[[200, 32, 0]], [[300, 48, 0]]]}, {url: server.url, model: 'tiny-llama', k6Binary: k6!}, dir)
    expect(m.measurement.requests).toBeGreaterThan(30)
    const out = join(dir, 'fitted.yaml')
    const r = await runCommand(['calibrate', '--k6-json', join(dir, 'A', 'samples.json'), '--load', join(dir, 'A'), '--engine-profile', join(dir, 'probe.yaml'), '--write-profile', out, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as {stepScale: number; predictor: string}
    expect(result.predictor).toBe('replay')
    // 1.3 injected; a busy machine's timer slack reads slower, never much faster.
    expect(result.stepScale).toBeGreaterThan(1.1)
    expect(result.stepScale).toBeLessThan(2)
    const fitted = await readCpuEngineProfile(out)
    expect(fitted.stepTimeScale?.value).toBeCloseTo(result.stepScale, 3)
    expect(fitted.stepTimeScale?.source).toContain('samples.json')
    expect(fitted.stepCost).toEqual(PROFILE.stepCost)
    expect(readFileSync(out, 'utf8')).toContain('kind: CpuEngineProfile')
  })

  it('names the field of a bad engine profile, exit 2', async () => {
    const bad = join(dir, 'bad.yaml')
    await writeCpuEngineProfile(bad, {...PROFILE, limits: {...PROFILE.limits, slots: {value: 0.5, source: 'x'}}})
    const r = await runCommand(['calibrate', '--k6-json', join(dir, 'A', 'samples.json'), '--load', join(dir, 'A'), '--engine-profile', bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('limits.slots')
  })
})

describe.skipIf(streamK6 === undefined)('calibrate --engine-profile on stream figures (fake server)', () => {
  // Prefill 2× and decode 1.3× the profile's: one factor cannot match both; two can.
  const profile: CpuEngineProfile = {...PROFILE, stepCost: {...PROFILE.stepCost, prefillTokenS: s(5e-5)}}
  let server: FakeOpenAiServer
  const dir = mkdtempSync(join(tmpdir(), 'fleetcap-engine-cli-2f-'))
  beforeAll(async () => {
    server = await startFakeOpenAi({profile: cpuEngineLimits(scaledEngine(profile, 2, 1.3, 'test')), headersFirst: true, model: 'tiny-llama'})
  })
  afterAll(async () => {
    await server?.close()
  })

  it('fits prefill and decode factors apart and writes both', async () => {
    await writeCpuEngineProfile(join(dir, 'probe.yaml'), profile)
    const tasks: Array<Array<[number, number, number]>> = [[[600, 32, 0]], [[900, 48, 0]]]
    const m = await measureWorkload({name: 'A', ratePerS: 2, durationS: 10, tasks}, {url: server.url, model: 'tiny-llama', k6Binary: streamK6!, streamReader: true}, dir)
    expect(m.measurement.itlMs?.count).toBeGreaterThan(0)
    const out = join(dir, 'fitted.yaml')
    const r = await runCommand(['calibrate', '--k6-json', join(dir, 'A', 'samples.json'), '--load', join(dir, 'A'), '--engine-profile', join(dir, 'probe.yaml'), '--write-profile', out, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as {stepScale: number; prefillScale?: number}
    // 2 and 1.3 injected; a busy machine's timer slack reads slower, never much faster.
    expect(result.prefillScale).toBeGreaterThan(1.6)
    expect(result.prefillScale).toBeLessThan(3.5)
    expect(result.stepScale).toBeGreaterThan(1.1)
    expect(result.stepScale).toBeLessThan(2.2)
    const fitted = await readCpuEngineProfile(out)
    expect(fitted.prefillTimeScale?.value).toBeCloseTo(result.prefillScale!, 3)
    expect(fitted.stepTimeScale?.value).toBeCloseTo(result.stepScale, 3)
  })
})
