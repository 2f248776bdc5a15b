import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import type {CalibrationResult} from '../../src/calibrate/fit.js'
import {loadCalibratedProfile, renderCalibratedProfileJsonSchema, scaleServingProfile, writeCalibratedProfile} from '../../src/calibrate/profile-file.js'
import {resolveServingProfile} from '../../src/fleet/profiles/catalog.js'
import {ROOT} from '../helpers/cli.js'

const base = resolveServingProfile({model: 'llama-3.1-70b', gpu: 'H100-SXM', tensorParallel: 4})
const result: CalibrationResult = {
  stepScale: 0.91234,
  before: [{figure: 'tpotP50Ms', measured: 30, predicted: 33, error: 0.1, fitted: true}],
  after: [{figure: 'tpotP50Ms', measured: 30, predicted: 30.1, error: 0.0033, fitted: true}],
  rmsLogErrorBefore: 0.0953,
  rmsLogErrorAfter: 0.0033,
  predictedBefore: {},
  predictedAfter: {},
  measured: {},
  scan: [],
}

describe('calibrated serving profile files', () => {
  it('round-trips: the written file loads as the base profile with every step scaled', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fleetcap-calprof-')), 'p.yaml')
    const doc = await writeCalibratedProfile(path, {
      base,
      result,
      measurement: {file: 'out/summary.json', sha256: 'a'.repeat(64), format: 'summary', requests: 1200, durationS: 61.2},
      load: {dir: 'out', replicas: 2},
      predictor: 'fleetcap simulate',
    })
    expect(doc.stepTimeScale.value).toBe(0.9123)
    expect(doc.stepTimeScale.source).toContain(`sha256 ${'a'.repeat(64)}`)
    expect(readFileSync(path, 'utf8')).toMatch(/^# Serving profile adjusted by `fleetcap calibrate`/)
    const loaded = await loadCalibratedProfile(path)
    expect(loaded.stepTimeS(1024, 32, 40_000)).toBeCloseTo(base.stepTimeS(1024, 32, 40_000) * 0.9123, 12)
    expect(loaded.decodeRunTimeS(100, 8, 9000)).toBeCloseTo(base.decodeRunTimeS(100, 8, 9000) * 0.9123, 12)
    expect(loaded.kvCacheTokens).toBe(base.kvCacheTokens)
    expect(loaded.id).toBe(`${base.id}*0.9123`)
    expect(scaleServingProfile(base, 1)).toBe(base)
  })

  it('names the file and field of a bad profile file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-calprof-'))
    const path = join(dir, 'bad.yaml')
    writeFileSync(path, 'apiVersion: fleetcap.dev/v1\nkind: CalibratedServingProfile\nbase: {id: x, model: llama-3.1-8b, gpu: A100-80GB, tensorParallel: 1}\nstepTimeScale: {value: -2, source: s}\n')
    await expect(loadCalibratedProfile(path)).rejects.toThrow(/bad\.yaml: stepTimeScale\.value: /)
    writeFileSync(path, 'a: [1\n')
    await expect(loadCalibratedProfile(path)).rejects.toThrow(/bad\.yaml:\d+: /)
    await expect(loadCalibratedProfile(join(dir, 'none.yaml'))).rejects.toThrow(/none\.yaml: cannot read: ENOENT/)
  })

  it('publishes an up-to-date JSON Schema (UPDATE_GOLDEN=1 rewrites it)', () => {
    const file = join(ROOT, 'schemas', 'calibrated-profile.schema.json')
    const want = renderCalibratedProfileJsonSchema()
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, want)
    expect(readFileSync(file, 'utf8')).toBe(want)
    expect((JSON.parse(want) as {required: string[]}).required).toEqual(['apiVersion', 'kind', 'base', 'stepTimeScale', 'calibration'])
  })
})
