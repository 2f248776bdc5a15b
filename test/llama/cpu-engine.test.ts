import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {compareLoopFigures, ttftOnsetBracket, ttftOnsetRate} from '../../src/calibrate/closed-loop.js'
import {type CpuEngineProfile, cpuEngineLimits, readCpuEngineProfile, writeCpuEngineProfile} from '../../src/calibrate/cpu-engine.js'
import {InputError} from '../../src/errors.js'

const s = (value: number): {value: number; source: string} => ({value, source: 'test'})
const PROFILE: CpuEngineProfile = {
  apiVersion: 'fleetcap.dev/v1',
  kind: 'CpuEngineProfile',
  engine: {name: 'llama.cpp llama-server', url: 'http://127.0.0.1:1', model: 'tiny-llama'},
  hardware: {threads: 1, cpu: 'test'},
  limits: {slots: s(4), batchTokens: s(2048), ctxPerSlot: s(2048)},
  stepCost: {fixedS: s(0.001), prefillTokenS: s(2e-5), decodeSeqS: s(3e-4), contextTokenS: s(1e-7)},
}

describe('CPU llama.cpp profile', () => {
  it('turns slots and context into batch and KV limits, and the coefficients into a step time', () => {
    const l = cpuEngineLimits(PROFILE)
    expect(l.maxBatchSeqs).toBe(4)
    expect(l.maxBatchTokens).toBe(2048)
    expect(l.kvCacheTokens).toBe(8192)
    expect(l.stepTimeS(100, 2, 1000)).toBeCloseTo(0.001 + 100 * 2e-5 + 2 * 3e-4 + 1000 * 1e-7, 12)
    const scaled = cpuEngineLimits({...PROFILE, stepTimeScale: {value: 1.5, source: 'fit'}})
    expect(scaled.stepTimeS(100, 2, 1000)).toBeCloseTo(1.5 * l.stepTimeS(100, 2, 1000), 12)
  })

  it('charges each context token more for every decoding slot beyond the first', () => {
    const p = {...PROFILE, stepCost: {...PROFILE.stepCost, contextSlotTokenS: s(5e-8)}}
    const l = cpuEngineLimits(p)
    const linear = cpuEngineLimits(PROFILE)
    // One slot: the interaction term is zero.
    expect(l.stepTimeS(0, 1, 500)).toBeCloseTo(linear.stepTimeS(0, 1, 500), 12)
    // Four slots at 500 tokens each: 3 extra slots × 5e-8 s on each of the 2,000 context tokens.
    expect(l.stepTimeS(0, 4, 2000)).toBeCloseTo(linear.stepTimeS(0, 4, 2000) + 3 * 5e-8 * 2000, 12)
    // Prefill alone (no decoding slot) is untouched.
    expect(l.stepTimeS(300, 0, 0)).toBeCloseTo(linear.stepTimeS(300, 0, 0), 12)
  })

  it('round-trips through its YAML file and names the field of a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-cpu-profile-'))
    await writeCpuEngineProfile(join(dir, 'p.yaml'), PROFILE)
    expect(await readCpuEngineProfile(join(dir, 'p.yaml'))).toEqual(PROFILE)
    const bad = {...PROFILE, stepCost: {...PROFILE.stepCost, decodeSeqS: {value: -1, source: 'x'}}}
    writeFileSync(join(dir, 'bad.yaml'), stringify(bad))
    const err = await readCpuEngineProfile(join(dir, 'bad.yaml')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect(String((err as Error).message)).toContain('stepCost.decodeSeqS.value')
  })
})

describe('closed-loop figures', () => {
  it('finds the rate at which TTFT p95 doubles by interpolation', () => {
    const pts = [
      {ratePerS: 1, ttftP95Ms: 100},
      {ratePerS: 4, ttftP95Ms: 150},
      {ratePerS: 6, ttftP95Ms: 250},
    ]
    expect(ttftOnsetRate(pts)).toBeCloseTo(5, 9)
    expect(ttftOnsetRate(pts.slice(0, 2))).toBeUndefined()
  })

  it('brackets the onset by the two neighbouring rates, whatever order the points come in', () => {
    const pts = [
      {ratePerS: 6, ttftP95Ms: 250},
      {ratePerS: 1, ttftP95Ms: 100},
      {ratePerS: 8, ttftP95Ms: 900},
      {ratePerS: 4, ttftP95Ms: 150},
    ]
    const b = ttftOnsetBracket(pts)
    expect(b?.below.ratePerS).toBe(4)
    expect(b?.above.ratePerS).toBe(6)
    expect(b?.targetMs).toBe(200)
    expect(ttftOnsetBracket(pts.filter((p) => p.ratePerS < 6))).toBeUndefined()
  })

  it('reports the relative error of each figure both sides have', () => {
    const e = compareLoopFigures({throughputRps: 2, ttftP50Ms: 100}, {throughputRps: 2.2, ttftP50Ms: 80, tpotP50Ms: 5})
    expect(e.map((x) => x.figure)).toEqual(['throughputRps', 'ttftP50Ms'])
    expect(e[0].error).toBeCloseTo(0.1, 12)
    expect(e[1].error).toBeCloseTo(-0.2, 12)
  })
})
