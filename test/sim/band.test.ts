import {describe, expect, it} from 'vitest'

import {loadCatalog, resolveServingProfile} from '../../src/fleet/profiles/index.js'
import {scaleStepTimes, stepTimeFactorOf} from '../../src/fleet/step-scale.js'
import {renderReportJson, renderSummary} from '../../src/report/render.js'
import {parseScenario} from '../../src/scenario/load.js'
import {simulateWithBand} from '../../src/pipeline/banded-run.js'
import {runCli} from '../helpers/cli.js'

const catalog = loadCatalog()

// Loaded enough that queueing shows in TTFT: two pools, one measured (llama-2-70b on H100-SXM) and
// one roofline (V100), Poisson agent calls near their capacity for 20 minutes.
const loaded = parseScenario(
  `
apiVersion: fleetcap.dev/v1
kind: Scenario
name: band-loaded
seed: 5
duration: 20m
workload:
  kind: synthetic
  ratePerS: 1.2
  tokens:
    input: {dist: lognormal, mean: 1500, cv: 0.6, min: 100, max: 6000}
    output: {dist: lognormal, mean: 250, cv: 0.8, min: 10, max: 1500}
fleet:
  pools:
    - {name: h100, gpu: H100-SXM, model: llama-2-70b, tensorParallel: 4, replicas: 1}
    - {name: v100, gpu: V100-32GB, model: llama-2-70b, tensorParallel: 8, replicas: 1}
routing: {policy: least-outstanding}
slo: {ttftP95S: 2, errorRateMax: 0.01}
report: {sampleIntervalS: 60}
`,
  'band-loaded.yaml',
)

describe('the step-time scaler', () => {
  const profile = resolveServingProfile({model: 'llama-3.1-70b', gpu: 'A100-80GB', tensorParallel: 4, catalog})

  it('scales prefill, mixed steps and decode runs by the same factor, and composes', () => {
    const s = scaleStepTimes(profile, 1.5)
    expect(s.stepTimeS(2048, 0, 0)).toBeCloseTo(1.5 * profile.stepTimeS(2048, 0, 0), 12)
    expect(s.stepTimeS(512, 32, 40_000)).toBeCloseTo(1.5 * profile.stepTimeS(512, 32, 40_000), 12)
    expect(s.decodeRunTimeS(100, 16, 30_000)).toBeCloseTo(1.5 * profile.decodeRunTimeS(100, 16, 30_000), 12)
    expect(s.prefillTimeS(1000, 2)).toBeCloseTo(1.5 * profile.prefillTimeS(1000, 2), 12)
    const twice = scaleStepTimes(s, 2)
    expect(twice.stepTimeS(256, 8, 10_000)).toBeCloseTo(3 * profile.stepTimeS(256, 8, 10_000), 12)
    expect(stepTimeFactorOf(twice)).toBeCloseTo(3, 12)
    // Everything but time is the profile's.
    expect([s.kvCacheTokens, s.maxBatchSeqs, s.pricePerHourUsd, s.id, s.status]).toEqual([profile.kvCacheTokens, profile.maxBatchSeqs, profile.pricePerHourUsd, profile.id, profile.status])
    expect(() => scaleStepTimes(profile, 0)).toThrow(RangeError)
  })
})

describe('simulate with the band', () => {
  it('the slow edge is at least the nominal figure, the nominal at least the fast edge (TTFT p95, loaded)', async () => {
    const {report} = await simulateWithBand(loaded, {catalog, band: 'edges'})
    const band = report.band
    if (!band) throw new Error('no band')
    const ttft = band.figures.find((f) => f.figure === 'TTFT p95')
    if (!ttft || ttft.nominal === null || ttft.atFast === null || ttft.atSlow === null) throw new Error('no TTFT p95 in the band')
    expect(ttft.nominal).toBe(report.latency.overall.ttftS?.p95S)
    expect(ttft.atSlow).toBeGreaterThanOrEqual(ttft.nominal)
    expect(ttft.nominal).toBeGreaterThanOrEqual(ttft.atFast)
    expect(ttft.atSlow).toBeGreaterThan(ttft.atFast * 1.2)
    // Time per output token follows the step times; the arrivals (same seed) do not change.
    const tpot = band.figures.find((f) => f.figure === 'TPOT p50')
    expect(tpot?.atSlow).toBeGreaterThan(tpot?.nominal ?? Number.POSITIVE_INFINITY)
    expect(tpot?.atFast).toBeLessThan(tpot?.nominal ?? 0)
    // Each pool says what its band rests on.
    expect(band.pools.map((p) => [p.pool, p.status])).toEqual([
      ['h100', 'measured'],
      // No long-output V100 rows: the A100-40GB fit carried over through same-harness V100:A100 ratios.
      ['v100', 'transferred'],
    ])
    for (const p of band.pools) expect(p.fast).toBeLessThan(1)
    expect(band.pools[1].slow).toBeGreaterThan(band.pools[0].slow)
    expect(band.slo).not.toBeNull()
    const text = renderSummary(report)
    const v100 = resolveServingProfile({model: 'llama-2-70b', gpu: 'V100-32GB', tensorParallel: 8, catalog})
    expect(text).toMatch(new RegExp(`^Band \\(${(v100.band.coverage * 100).toFixed(1)}% nominal coverage\\)`, 'm'))
    expect(text).toMatch(/^TTFT p95 +\S+ m?s +\S+ m?s – \S+ m?s/m)
    expect(text).toContain(`v100 (llama-2-70b@V100-32GB:tp8): transferred, step times ×${v100.band.fast.toFixed(2)}–×${v100.band.slow.toFixed(2)}`)
  }, 60_000)

  it('is deterministic: the same scenario gives byte-identical banded report.json', async () => {
    const a = await simulateWithBand(loaded, {catalog})
    const b = await simulateWithBand(loaded, {catalog})
    expect(renderReportJson(b.report)).toBe(renderReportJson(a.report))
    expect(renderReportJson(a.report)).toContain('"band": {')
  }, 60_000)

  it('--band none runs once and reports no band', async () => {
    const {report} = await simulateWithBand(loaded, {catalog, band: 'none'})
    expect(report.band).toBeUndefined()
    expect(renderSummary(report)).not.toMatch(/^Band/m)
  }, 60_000)

  it('the CLI prints the band by default and takes --band none', () => {
    const a = runCli(['simulate', 'scenarios/seed-phase1-500-per-day.yaml', '--json'])
    expect(a.code).toBe(0)
    const j = JSON.parse(a.stdout)
    expect(j.band.pools[0].status).toBe('transferred')
    expect(j.band.figures.find((f: {figure: string}) => f.figure === 'TTFT p95').atSlow).toBeGreaterThan(j.latency.overall.ttftS.p95S)
    const b = runCli(['simulate', 'scenarios/seed-phase1-500-per-day.yaml', '--band', 'none'])
    expect(b.code).toBe(0)
    expect(b.stdout).not.toMatch(/^Band/m)
    const c = runCli(['simulate', 'scenarios/seed-phase1-500-per-day.yaml', '--band', 'wide'])
    expect(c.code).toBe(2)
  }, 120_000)
})
