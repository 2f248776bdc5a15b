import {describe, expect, it} from 'vitest'

import {
  blisCrossCheck,
  calibrate,
  exclusionReason,
  FIT_MODEL,
  loadCatalog,
  loadSplitwiseMedians,
} from '../../src/fleet/profiles/index.js'
import {calibrationDir} from '../../src/fleet/profiles/index.js'
import {join} from 'node:path'

const CSV = join(calibrationDir(), 'splitwise_perf_model.csv')

describe('calibration against the Splitwise measurements', () => {
  const catalog = loadCatalog()
  const result = calibrate(catalog, CSV)

  it('takes medians of repeats and leaves out the documented anomaly', () => {
    const configs = loadSplitwiseMedians(CSV)
    const a100tp8 = configs.find((c) => c.key === 'llama-2-70b@A100-80GB:tp8 p2048 b1 t128')!
    expect(a100tp8.repeats).toBe(5)
    expect(a100tp8.prefillMs).toBeCloseTo(274.2, 0)
    const anomalies = configs.filter((c) => exclusionReason(c))
    expect(anomalies.map((c) => c.key).sort()).toEqual([
      'llama-2-70b@A100-80GB:tp2 p512 b64 t128',
      'llama-2-70b@H100-SXM:tp2 p512 b64 t128',
    ])
  })

  it('refits to the factors committed in models/serving.yaml', () => {
    for (const g of result.gpus) {
      const committed = catalog.serving.calibration.gpus.find((x) => x.gpu === g.gpu)
      expect(committed, g.gpu).toBeDefined()
      expect(committed!.factors).toEqual(g.factors)
    }
    expect(catalog.serving.calibration.profileErrors).toEqual(result.profileErrors)
  })

  it('each calibrated profile is within 10% median absolute error of its measured rows', () => {
    const table = result.profileErrors.map((p) => `${p.profile.padEnd(28)} rows ${String(p.rows).padStart(3)}  median |err| ${p.medianAbsPct.toFixed(1)}%  p90 ${p.p90AbsPct.toFixed(1)}%`)
    process.stdout.write(`\n${table.join('\n')}\n`)
    const fitModel = result.profileErrors.filter((p) => p.profile.startsWith(`${FIT_MODEL}@`))
    expect(fitModel.length).toBe(6)
    for (const p of fitModel) {
      expect(p.rows, p.profile).toBeGreaterThanOrEqual(36)
      expect(p.medianAbsPct, p.profile).toBeLessThanOrEqual(10)
    }
    // BLOOM-176B is a held-out model (never fitted on): a check of transfer, reported, looser bound.
    for (const p of result.profileErrors.filter((x) => x.profile.startsWith('bloom-176b@'))) {
      expect(p.medianAbsPct, p.profile).toBeLessThanOrEqual(25)
    }
  })

  it('held-out configurations are predicted about as well as the training ones', () => {
    const configs = loadSplitwiseMedians(CSV)
    for (const g of result.gpus.filter((x) => x.heldOut)) {
      // 57 llama-2-70b configurations per GPU, 1 excluded: 42 fitted, 14 held out, 2 rows each.
      const usable = configs.filter((c) => c.gpu === g.gpu && c.model === FIT_MODEL && !exclusionReason(c)).length
      expect(usable).toBe(56)
      expect(g.train!.rows).toBe(2 * 42)
      expect(g.heldOut!.rows).toBe(2 * 14)
      expect(g.heldOut!.medianAbsPct, g.gpu).toBeLessThanOrEqual(10)
    }
  })

  it('fitted de-ratings land near the reference\'s 0.65 compute / 0.69 HBM', () => {
    for (const g of result.gpus.filter((x) => x.fittedOn)) {
      expect(g.factors.computeEff).toBeGreaterThan(0.45)
      expect(g.factors.computeEff).toBeLessThan(0.85)
      expect(g.factors.memEff).toBeGreaterThan(0.55)
      expect(g.factors.memEff).toBeLessThan(0.85)
    }
  })

  it('cross-checks Llama-3.1-8B TP1 against BLIS\'s fitted step times (fits, not measurements)', () => {
    const rows = blisCrossCheck(catalog)
    process.stdout.write(`\n${rows.map((r) => `${r.gpu} ${r.step}: BLIS ${r.blisMs.toFixed(2)} ms, ours ${r.oursMs.toFixed(2)} ms, ours+BLIS overheads ${r.oursBlisOverheadsMs.toFixed(2)} ms`).join('\n')}\n`)
    for (const r of rows) {
      // With a modern engine's CPU overheads, every shape lands within 2x of BLIS's vLLM 0.8.4 fit.
      expect(r.ratioBlisOverheads, `${r.gpu} ${r.step}`).toBeGreaterThan(0.5)
      expect(r.ratioBlisOverheads, `${r.gpu} ${r.step}`).toBeLessThan(2)
      if (!r.step.startsWith('decode, 64')) {
        expect(r.ratio, `${r.gpu} ${r.step}`).toBeGreaterThan(0.5)
        expect(r.ratio, `${r.gpu} ${r.step}`).toBeLessThan(2)
      } else {
        // Known: the per-sequence overhead fitted on Splitwise's 2023 stack makes large decode
        // batches slower than BLIS's vLLM 0.8.4 fit.
        expect(r.ratio).toBeGreaterThan(r.ratioBlisOverheads)
      }
    }
  })
})
