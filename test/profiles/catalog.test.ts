import {copyFileSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parse as parseCsv} from 'csv-parse/sync'
import {describe, expect, it} from 'vitest'

import {InputError, UnknownNameError} from '../../src/errors.js'
import {
  buildProfile,
  getGpu,
  getModel,
  listServingProfiles,
  loadCatalog,
  modelsDir,
  resolveServingProfile,
} from '../../src/fleet/profiles/index.js'

describe('catalog', () => {
  const catalog = loadCatalog()

  it('loads the GPUs the issue asks for, each number with a non-empty source', () => {
    const names = catalog.gpus.map((g) => g.name)
    for (const n of ['V100-32GB', 'A100-40GB', 'A100-80GB', 'H100-SXM', 'H100-PCIe', 'H200', 'L4', 'L40S', 'A40', 'GH200', 'B200']) expect(names).toContain(n)
    for (const g of catalog.gpus) {
      for (const k of ['memoryGiB', 'hbmBandwidthGBs', 'denseBf16Tflops', 'powerW', 'pricePerHourUsd', 'interconnectGBs'] as const) {
        expect(g[k].value, `${g.name}.${k}`).toBeGreaterThan(0)
        expect(g[k].source.trim().length, `${g.name}.${k}.source`).toBeGreaterThan(5)
      }
      for (const k of ['denseFp8Tflops', 'denseFp4Tflops', 'denseInt8Tops'] as const) {
        const v = g[k]
        if (v === undefined) continue
        expect(v.value, `${g.name}.${k}`).toBeGreaterThanOrEqual(g.denseBf16Tflops.value)
        expect(v.source.trim().length, `${g.name}.${k}.source`).toBeGreaterThan(5)
      }
    }
  })

  it('every GPU price is a row of the vendored price data (same provider and value) or is marked UNVERIFIED HERE', () => {
    const text = readFileSync(join(modelsDir(), '..', 'data', 'calibration', 'gpu-prices.csv'), 'utf8')
    const rows = parseCsv(text, {columns: true}) as {gpu: string; provider: string; usd_per_gpu_hour: string}[]
    const unverified: string[] = []
    for (const g of catalog.gpus) {
      const p = g.pricePerHourUsd
      if (p.source.startsWith('UNVERIFIED HERE')) {
        unverified.push(g.name)
        continue
      }
      // The repo holds no V100-32GB price: the 16 GB offer stands in, and the source says so.
      const gpu = g.name === 'V100-32GB' ? 'V100-16GB' : g.name
      if (gpu !== g.name) expect(p.source).toMatch(/16 GB/)
      const row = rows.find((r) => r.gpu === gpu && r.provider === p.provider && Number(r.usd_per_gpu_hour) === p.value)
      expect(row, `${g.name} $${p.value} ${p.provider} in data/calibration/gpu-prices.csv`).toBeDefined()
    }
    expect(unverified.sort()).toEqual(['B200', 'L4', 'L40S'])
  })

  it('finds GPUs by alias in any case', () => {
    expect(getGpu('a100').name).toBe('A100-80GB')
    expect(getGpu('H100').name).toBe('H100-SXM')
    expect(getGpu('V100').name).toBe('V100-32GB')
    expect(getGpu('a100-40GB').name).toBe('A100-40GB')
  })

  it('an unknown GPU lists the known names', () => {
    expect(() => getGpu('b300')).toThrow(UnknownNameError)
    expect(() => getGpu('b300')).toThrow(/unknown GPU "b300"; known: V100-32GB, A100-40GB, A100-80GB, H100-SXM/)
    expect(() => resolveServingProfile({model: 'gpt-5', gpu: 'a100'})).toThrow(/unknown model "gpt-5"; known: llama-3.1-8b/)
  })

  it('derives parameter counts that match the model cards within 1%', () => {
    for (const m of catalog.models) {
      const d = getModel(m.name).derived
      expect(Math.abs(d.params / 1e9 / m.statedParamsB.value - 1), m.name).toBeLessThan(0.01)
    }
    // Llama-3.1-8B: 32 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes.
    expect(getModel('llama-3.1-8b').derived.kvBytesPerToken).toBe(131072)
  })

  it('a YAML with an empty source fails naming the file and the field path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-catalog-'))
    copyFileSync(join(import.meta.dirname, 'fixtures', 'gpus-missing-source.yaml'), join(dir, 'gpus.yaml'))
    copyFileSync(join(modelsDir(), 'llms.yaml'), join(dir, 'llms.yaml'))
    copyFileSync(join(modelsDir(), 'serving.yaml'), join(dir, 'serving.yaml'))
    expect(() => loadCatalog(dir)).toThrow(InputError)
    expect(() => loadCatalog(dir)).toThrow(/gpus\.yaml: gpus\[0\]\.hbmBandwidthGBs\.source: every number needs a non-empty source/)
  })

  it('a YAML syntax error names the file and line; an unknown GPU in serving.yaml names the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-catalog-'))
    for (const f of ['gpus.yaml', 'llms.yaml']) copyFileSync(join(modelsDir(), f), join(dir, f))
    const serving = readFileSync(join(modelsDir(), 'serving.yaml'), 'utf8')
    writeFileSync(join(dir, 'serving.yaml'), serving.replace('gpu: L40S,', 'gpu: B300,'))
    expect(() => loadCatalog(dir)).toThrow(/serving\.yaml: profiles\[7\]\.gpu: unknown GPU "B300"; known: V100-32GB/)
    const dir2 = mkdtempSync(join(tmpdir(), 'fleetcap-catalog-'))
    for (const f of ['gpus.yaml', 'serving.yaml']) copyFileSync(join(modelsDir(), f), join(dir2, f))
    writeFileSync(join(dir2, 'llms.yaml'), 'models:\n  - name: x\n    layers: [1, 2\n')
    expect(() => loadCatalog(dir2)).toThrow(/llms\.yaml:\d+: invalid YAML/)
  })

  it('caps concurrency by KV capacity: 70B does not fit one A100-40GB, fits A100-80GB at TP4', () => {
    expect(() => buildProfile({model: 'llama-3.1-70b', gpu: 'A100-40GB', tensorParallel: 1})).toThrow(/does not fit A100-40GB at TP 1/)
    const p = buildProfile({model: 'llama-3.1-70b', gpu: 'A100-80GB', tensorParallel: 4})
    // 4 × 72 GiB usable − 131 GiB of weights ≈ 150 GiB of KV at 320 KiB per token ≈ 490K tokens.
    expect(p.kvCacheTokens).toBeGreaterThan(400_000)
    expect(p.kvCacheTokens).toBeLessThan(600_000)
    expect(p.gpusPerReplica).toBe(4)
    expect(p.pricePerHourUsd).toBeCloseTo(4 * getGpu('A100-80GB').pricePerHourUsd.value, 9)
  })

  it('defaults TP to the smallest shipped degree that fits, and derives unshipped combinations', () => {
    expect(resolveServingProfile({model: 'llama-3.1-70b', gpu: 'a100'}).tensorParallel).toBe(4)
    expect(resolveServingProfile({model: 'llama-3.1-8b', gpu: 'h100'}).tensorParallel).toBe(1)
    const derived = resolveServingProfile({model: 'llama-3.1-8b', gpu: 'a100', tensorParallel: 2})
    expect(derived.tensorParallel).toBe(2)
    expect(resolveServingProfile({model: 'llama-2-70b', gpu: 'h100', tensorParallel: 4}).status).toBe('measured')
  })

  it('applies a price override per GPU-hour', () => {
    expect(resolveServingProfile({model: 'llama-3.1-70b', gpu: 'h100', tensorParallel: 8, pricePerGpuHourUsd: 2}).pricePerHourUsd).toBe(16)
  })

  it('ships Llama-3.1-8B and a 70B model on V100, A100 and H100', () => {
    const ids = listServingProfiles().map((p) => p.id)
    for (const gpu of ['V100-32GB', 'A100-80GB', 'H100-SXM']) {
      expect(ids.some((id) => id.startsWith(`llama-3.1-8b@${gpu}:`))).toBe(true)
      expect(ids.some((id) => id.startsWith(`llama-3.1-70b@${gpu}:`))).toBe(true)
    }
  })
})
