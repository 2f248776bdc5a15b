import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/errors.js'
import {
  buildProfile,
  buildPublicCalibration,
  calibrate,
  calibrationDir,
  type Catalog,
  conformalBand,
  coveragePct,
  deriveLlm,
  fitGroup,
  groupKey,
  groupStats,
  listServingProfiles,
  loadCatalog,
  loadPublicData,
  parseEngine,
  parsePrecision,
  prepareRows,
  publicMeasurementsCsv,
  resolveServingProfile,
  v100Tie,
} from '../../src/fleet/profiles/index.js'
import {join} from 'node:path'

const catalog = loadCatalog()
const pc = catalog.serving.publicCalibration!

describe('public calibration (models/serving.yaml publicCalibration)', () => {
  it('is current: a fresh fit of the vendored data reproduces the committed section exactly', () => {
    const splitwise = calibrate(catalog, join(calibrationDir(), 'splitwise_perf_model.csv'))
    const fresh = buildPublicCalibration(catalog, publicMeasurementsCsv(), splitwise)
    expect(fresh).toEqual(pc)
  }, 300_000)

  it('a refit with one group held out reproduces the reported leave-one-out error within rounding', () => {
    const {rows} = loadPublicData(catalog, publicMeasurementsCsv())
    const prepared = prepareRows(catalog, rows).filter((p) => !p.excluded && p.group === 'H100-SXM vllm fp16')
    const fit = pc.fits.find((f) => groupKey(f) === 'H100-SXM vllm fp16')!
    const reported = pc.validation.find((v) => v.kind === 'leave-one-TP-out' && v.group === 'H100-SXM vllm fp16' && v.left === 'tp 2')!
    const rest = prepared.filter((p) => p.row.split === 'fit' && p.row.tp !== 2)
    const refit = fitGroup(rest, fit.factors.combine)
    const s = groupStats(prepared.filter((p) => p.row.tp === 2), refit.factors)
    expect(s.rows).toBe(reported.stats.rows)
    expect(s.throughputMedianAbsPct).toBeCloseTo(reported.stats.throughputMedianAbsPct, 1)
    expect(s.throughputP90AbsPct).toBeCloseTo(reported.stats.throughputP90AbsPct, 1)
    // The held-out TP is predicted worse than the fit's own holdout rows: the refit did not see it.
    expect(s.throughputMedianAbsPct).toBeGreaterThan(fit.holdout.throughputMedianAbsPct - 5)
  }, 120_000)

  it('reports holdout, leave-one-TP/GPU/source-out for every measured GPU', () => {
    const measuredGpus = [...new Set(pc.fits.map((f) => f.gpu))]
    for (const gpu of measuredGpus) {
      expect(pc.validation.some((v) => v.kind === 'leave-one-GPU-out' && v.group.startsWith(`${gpu} `)), gpu).toBe(true)
    }
    for (const f of pc.fits.filter((x) => x.holdout.rows > 0)) {
      expect(pc.validation.some((v) => v.kind === 'holdout' && v.group === groupKey(f))).toBe(true)
    }
    expect(pc.validation.some((v) => v.kind === 'leave-one-source-out')).toBe(true)
  })

  it('bands: slow >= 1 >= fast, from out-of-sample residuals; transfers are wider than the measured median', () => {
    const widths = pc.fits.map((f) => f.band.slow / f.band.fast).sort((a, b) => a - b)
    const medianWidth = widths[Math.floor(widths.length / 2)]
    for (const b of [...pc.fits.map((f) => f.band), pc.transferBand, pc.rooflineBand, pc.splitwiseBand, pc.v100Tie.band]) {
      expect(b.slow).toBeGreaterThanOrEqual(1)
      expect(b.fast).toBeLessThanOrEqual(1)
      expect(b.coverage).toBe(0.8)
    }
    expect(pc.transferBand.slow / pc.transferBand.fast).toBeGreaterThan(medianWidth)
    expect(pc.rooflineBand.slow / pc.rooflineBand.fast).toBeGreaterThan(pc.transferBand.slow / pc.transferBand.fast)
  })
})

describe('band coverage out of sample', () => {
  it('split-conformal quantiles: the ⌊0.1(n+1)⌋-th and ⌈0.9(n+1)⌉-th of n sorted ratios, clamped to include 1', () => {
    const ratios = Array.from({length: 19}, (_, i) => 0.8 + i * 0.025) // 0.8 … 1.25
    const b = conformalBand([...ratios].reverse(), 0.8, 't')
    expect(b.fast).toBe(0.825) // ⌊0.1·20⌋ = 2nd of 19
    expect(b.slow).toBe(1.225) // ⌈0.9·20⌉ = 18th of 19
    expect(conformalBand([1.1, 1.2, 1.3], 0.8, 't').fast).toBe(1)
    expect(coveragePct([0.9, 1, 1.2, 2], {fast: 0.95, slow: 1.2})).toBe(50)
  })

  it('each fitted band comes from cross-validated fit rows and covers at least 80% of its holdout rows, recomputed here', () => {
    const {rows} = loadPublicData(catalog, publicMeasurementsCsv())
    const prepared = prepareRows(catalog, rows).filter((p) => !p.excluded)
    for (const f of pc.fits) {
      expect(f.band.basis).toMatch(/^5-fold cross-validation residuals of the \d+ fit rows/)
      const hold = prepared.filter((p) => p.group === groupKey(f) && p.row.split === 'holdout')
      const ratios = groupStats(hold, f.factors).ratios
      expect(f.bandHoldoutCoverage?.rows).toBe(ratios.length)
      if (ratios.length === 0) continue
      const inside = ratios.filter((r) => r >= f.band.fast && r <= f.band.slow).length
      expect(f.bandHoldoutCoverage?.pct).toBeCloseTo((100 * inside) / ratios.length, 1)
      expect(f.bandHoldoutCoverage!.pct!, groupKey(f)).toBeGreaterThanOrEqual(80)
    }
  })
})

describe('profile status', () => {
  it('measured where this GPU, engine and precision have fitted rows; transferred (saying from where) otherwise', () => {
    const h = buildProfile({model: 'llama-3.1-8b', gpu: 'H100-SXM', tensorParallel: 1})
    expect(h.status).toBe('measured')
    expect(h.statusBasis).toMatch(/fitted on \d+ public rows of H100-SXM vllm fp16/)
    expect(h.band).toEqual(pc.fits.find((f) => groupKey(f) === 'H100-SXM vllm fp16')!.band)
    const a = buildProfile({model: 'llama-3.1-8b', gpu: 'A100-80GB', tensorParallel: 1})
    expect(a.status).toBe('transferred')
    expect(a.statusBasis).toMatch(/factors of A100-40GB vllm fp16/)
    expect(a.band).toEqual(pc.transferBand)
    const trt = buildProfile({model: 'llama-3.1-70b', gpu: 'H100-SXM', tensorParallel: 4, engine: 'tensorrt-llm', precision: 'fp8'})
    expect(trt.precision).toEqual({weights: 'fp8', kv: 'fp8'})
    expect(trt.status).toBe('measured')
    const v8 = buildProfile({model: 'llama-3.1-8b', gpu: 'H100-SXM', tensorParallel: 1, precision: 'fp8'})
    expect(v8.status).toBe('transferred')
    expect(v8.statusBasis).toMatch(/H100-SXM vllm fp16/)
    const sw = buildProfile({model: 'llama-2-70b', gpu: 'A100-80GB', tensorParallel: 4, engine: 'vllm-splitwise-2023'})
    expect(sw.status).toBe('measured')
    expect(buildProfile({model: 'llama-3.1-8b', gpu: 'L4', tensorParallel: 1, engine: 'vllm-splitwise-2023'}).status).toBe('transferred')
  })

  it('roofline when no fit of the engine exists at all', () => {
    const bare: Catalog = {...catalog, serving: {...catalog.serving, publicCalibration: {...pc, fits: pc.fits.filter((f) => f.engine !== 'tensorrt-llm')}}}
    const p = buildProfile({model: 'llama-3.1-8b', gpu: 'H100-SXM', tensorParallel: 1, engine: 'tensorrt-llm', catalog: bare})
    expect(p.status).toBe('roofline')
    expect(p.band).toEqual(pc.rooflineBand)
  })

  it('never says "calibrated" of a profile: every shipped profile is measured, transferred or roofline', () => {
    for (const engine of ['vllm', 'tensorrt-llm', 'vllm-splitwise-2023']) {
      for (const p of listServingProfiles(catalog, {engine})) {
        expect(['measured', 'transferred', 'roofline'], p.id).toContain(p.status)
        expect(p.statusBasis.length).toBeGreaterThan(10)
        if (p.status === 'measured') expect(pc.fits.some((f) => f.gpu === p.gpu && f.engine === engine) || engine === 'vllm-splitwise-2023', p.id).toBe(true)
      }
    }
  })

  it('V100 ties to the A100-40GB vLLM fit through the same-harness V100:A100 ratios', () => {
    const v = buildProfile({model: 'llama-3.1-8b', gpu: 'V100-32GB', tensorParallel: 1})
    const base = pc.fits.find((f) => groupKey(f) === 'A100-40GB vllm fp16')!
    expect(v.status).toBe('transferred')
    expect(v.statusBasis).toMatch(/tied by \d+ same-harness V100:A100 throughput ratios/)
    expect(v.details.factors).toEqual({...base.factors, timeScale: pc.v100Tie.timeScale})
    expect(pc.v100Tie.from).toBe('A100-40GB vllm fp16')
    const {rows} = loadPublicData(catalog, publicMeasurementsCsv())
    const tie = v100Tie(catalog, rows, pc.fits)
    expect(tie.timeScale).toBe(pc.v100Tie.timeScale)
    expect(tie.pairsFit).toBeGreaterThan(30)
    // The tie scales every step: a V100 step is timeScale × the untied roofline on V100 peaks.
    const untied = buildProfile({model: 'llama-3.1-8b', gpu: 'V100-32GB', tensorParallel: 1, engine: 'vllm', catalog: {...catalog, serving: {...catalog.serving, publicCalibration: {...pc, v100Tie: {...pc.v100Tie, from: 'none'}}}}})
    expect(v.stepTimeS(512, 8, 8000) / untied.stepTimeS(512, 8, 8000)).toBeCloseTo(pc.v100Tie.timeScale, 9)
  })
})

describe('precision and engine', () => {
  it('fp8 halves the weight bytes of the layers (embedding and head stay 16-bit); an fp8 KV cache halves the KV bytes', () => {
    const m = catalog.models.find((x) => x.name === 'llama-3.1-70b')!
    const fp16 = deriveLlm(m, {weights: 'fp16', kv: 'fp16'})
    const fp8 = deriveLlm(m, {weights: 'fp8', kv: 'fp16'})
    // Llama-3.1-70B: untied embedding and head, 128,256 x 8,192 each, kept at 2 bytes.
    const vocabBytes = 2 * m.vocabSize * m.hiddenSize * 2
    expect(m.tiedEmbeddings).toBe(false)
    expect(fp8.weightBytes).toBe((fp16.weightBytes - vocabBytes) / 2 + vocabBytes)
    expect(deriveLlm(m, {weights: 'fp8', kv: 'fp8'}).kvBytesPerToken).toBe(fp16.kvBytesPerToken / 2)
    // int4 (4.25 bits per weight with its group scales) shrinks the layers only, too.
    const int4 = deriveLlm(m, {weights: 'int4', kv: 'fp16'})
    expect(int4.weightBytes).toBeCloseTo(((fp16.weightBytes - vocabBytes) / 2) * (4.25 / 8) + vocabBytes, 0)
    const a = buildProfile({model: 'llama-3.1-70b', gpu: 'H100-SXM', tensorParallel: 4})
    const b = buildProfile({model: 'llama-3.1-70b', gpu: 'H100-SXM', tensorParallel: 4, precision: 'fp8'})
    expect(b.details.weightBytesPerGpu).toBe(fp8.weightBytes / 4)
    expect(b.details.weightBytesPerGpu).toBeGreaterThan(a.details.weightBytesPerGpu / 2)
    // Half the weights leaves more room for KV at the same per-token bytes.
    expect(b.kvCacheTokens).toBeGreaterThan(a.kvCacheTokens)
    expect(b.details.computePeakBasis).toMatch(/FP8 dense peak/)
  })

  it('unknown engines and precisions are one-line errors listing the known names', () => {
    expect(() => parseEngine('tgi')).toThrow(InputError)
    expect(() => parseEngine('tgi')).toThrow(/^engine: unknown engine "tgi"; known: vllm, tensorrt-llm, vllm-splitwise-2023$/)
    expect(() => parsePrecision('q3')).toThrow(/^precision: unknown weight precision "q3"; known: fp16, fp8, int8, int4, fp4 \(bf16 = fp16\)$/)
    expect(() => parsePrecision('fp8/q2')).toThrow(/unknown KV-cache precision "q2"/)
    expect(() => resolveServingProfile({model: 'llama-3.1-8b', gpu: 'a100', engine: 'sglang'})).toThrow(/unknown engine "sglang"/)
    expect(() => resolveServingProfile({model: 'llama-3.1-8b', gpu: 'a100', precision: 'fp8/fp8'})).toThrow(/fp8 KV cache on A100-80GB \(no FP8 hardware\) is not modelled/)
  })

  it('profile ids carry non-default engine and precision and parse back', () => {
    const p = buildProfile({model: 'llama-3.1-8b', gpu: 'h200', tensorParallel: 1, engine: 'tensorrt-llm', precision: 'fp8'})
    expect(p.id).toBe('llama-3.1-8b@H200:tp1:tensorrt-llm:fp8/fp8')
    expect(buildProfile({model: 'llama-3.1-8b', gpu: 'h100', tensorParallel: 1}).id).toBe('llama-3.1-8b@H100-SXM:tp1')
  })
})
