import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {buildProfile, ENGINES, getGpu, listServingProfiles, loadCatalog, supportedPrecisions, UnsupportedPrecisionError} from '../../src/fleet/profiles/index.js'
import {buildOffers} from '../../src/planner/candidates.js'
import {ROOT, runCli} from '../helpers/cli.js'

const catalog = loadCatalog()
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-support-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const build = (gpu: string, engine: string, precision?: string) => buildProfile({model: 'llama-3.1-8b', gpu, tensorParallel: 1, engine, precision, catalog})

describe('GPU architecture and the engines\' precision tables', () => {
  it('gives every GPU its architecture and compute capability, with a source', () => {
    const want: Record<string, [string, number]> = {
      'V100-32GB': ['Volta', 7.0], 'A100-40GB': ['Ampere', 8.0], 'A100-80GB': ['Ampere', 8.0], A40: ['Ampere', 8.6],
      L4: ['Ada', 8.9], L40S: ['Ada', 8.9], 'H100-SXM': ['Hopper', 9.0], 'H100-PCIe': ['Hopper', 9.0], H200: ['Hopper', 9.0],
      GH200: ['Hopper', 9.0], B200: ['Blackwell', 10.0],
    }
    for (const g of catalog.gpus) {
      expect(want[g.name], g.name).toBeDefined()
      expect([g.architecture.name, g.architecture.computeCapability]).toEqual(want[g.name])
      expect(g.architecture.source).toMatch(/compute capability/i)
    }
  })

  it('every engine runs 16 bits, and every entry of its table carries a source', () => {
    for (const e of ENGINES) {
      const t = catalog.serving.engines[e].precisionSupport
      expect(t.weights.fp16, e).toBeDefined()
      expect(t.kv.fp16, e).toBeDefined()
      for (const entry of [...Object.values(t.weights), ...Object.values(t.kv)]) expect(entry?.source.length).toBeGreaterThan(20)
    }
  })

  it('follows the vendors\' matrices: fp8 W8A8 from sm89, FP8 Marlin weight-only from sm80 (vLLM), FP4 from sm100, no TensorRT-LLM on Volta', () => {
    expect(supportedPrecisions(getGpu('V100'), catalog.serving.engines.vllm)).toEqual({weights: ['fp16', 'int4'], kv: ['fp16']})
    expect(supportedPrecisions(getGpu('A100-80GB'), catalog.serving.engines.vllm).weights).toEqual(['fp16', 'fp8', 'int8', 'int4'])
    expect(supportedPrecisions(getGpu('A100-80GB'), catalog.serving.engines['tensorrt-llm'])).toEqual({weights: ['fp16', 'int8', 'int4'], kv: ['fp16', 'int8']})
    expect(supportedPrecisions(getGpu('L40S'), catalog.serving.engines['tensorrt-llm']).weights).toEqual(['fp16', 'fp8', 'int8', 'int4'])
    expect(supportedPrecisions(getGpu('B200'), catalog.serving.engines['tensorrt-llm']).weights).toEqual(['fp16', 'fp8', 'int8', 'int4', 'fp4'])
    expect(supportedPrecisions(getGpu('V100'), catalog.serving.engines['tensorrt-llm'])).toEqual({weights: [], kv: []})
  })
})

describe('refusing what a GPU cannot run', () => {
  it('fp8 on a V100 is refused with the architecture and what the V100 does run', () => {
    const go = () => build('V100-32GB', 'vllm', 'fp8')
    expect(go).toThrow(UnsupportedPrecisionError)
    expect(go).toThrow(/^precision: fp8 weights on V100-32GB \(Volta, sm70\) with vllm: not supported \(vllm runs fp8 weights from sm80.*V100-32GB runs weights fp16\/int4, KV cache fp16$/)
  })

  it('fp8 on an A100 is vLLM weight-only at the 16-bit peak, and refused for TensorRT-LLM (sm89)', () => {
    const p = build('A100-80GB', 'vllm', 'fp8')
    expect(p.details.computePeakBasis).toMatch(/^BF16\/FP16 dense peak/)
    expect(() => build('A100-80GB', 'tensorrt-llm', 'fp8')).toThrow(/fp8 weights on A100-80GB \(Ampere, sm80\) with tensorrt-llm: not supported \(tensorrt-llm runs fp8 weights from sm89/)
    expect(build('L40S', 'tensorrt-llm', 'fp8').details.computePeakBasis).toBe('FP8 dense peak')
  })

  it('fp4 only on Blackwell; an int8 KV cache not with vLLM; TensorRT-LLM not on Volta (field engine)', () => {
    expect(() => build('H100-SXM', 'tensorrt-llm', 'fp4')).toThrow(/fp4 weights on H100-SXM \(Hopper, sm90\).*from sm100/)
    expect(build('B200', 'tensorrt-llm', 'fp4').details.computePeakBasis).toBe('FP4 dense peak')
    expect(() => build('H100-SXM', 'vllm', 'fp16/int8')).toThrow(/an int8 KV cache on H100-SXM .*vllm has no int8 KV-cache format/)
    try {
      build('V100-32GB', 'tensorrt-llm')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(UnsupportedPrecisionError)
      expect((error as UnsupportedPrecisionError).location.field).toBe('engine')
      expect((error as Error).message).toMatch(/tensorrt-llm does not run on V100-32GB \(Volta, sm70\): it needs sm80 or newer/)
    }
  })

  it('a profile carries its engine\'s KV admission, the simulator\'s default for its pool', () => {
    expect(build('H100-SXM', 'tensorrt-llm').kvAdmission).toBe('reserve')
    expect(build('H100-SXM', 'vllm').kvAdmission).toBe('paged')
  })

  it('listings leave out what a GPU cannot run', () => {
    const gpus = listServingProfiles(catalog, {engine: 'tensorrt-llm'}).map((p) => p.gpu)
    expect(gpus).not.toContain('V100-32GB')
    expect(gpus).toContain('A100-80GB')
    const fp8 = listServingProfiles(catalog, {precision: 'fp8'}).map((p) => p.gpu)
    expect(fp8).not.toContain('V100-32GB')
    expect(fp8).toContain('H100-SXM')
  })

  it('the planner never offers it: left out of the catalog-wide offers, an error where the request names the GPU', () => {
    const {offers, unfit} = buildOffers('llama-3.1-8b', undefined, [1], catalog, {precision: 'fp8'})
    expect(offers.map((o) => o.gpu)).not.toContain('V100-32GB')
    expect(offers.map((o) => o.gpu)).toContain('A100-80GB')
    expect(unfit.find((u) => u.gpu === 'V100-32GB')?.reason).toMatch(/^not supported: .*sm70/)
    expect(() => buildOffers('llama-3.1-8b', [{gpu: 'A100-80GB'}, {gpu: 'V100'}], [1], catalog, {precision: 'fp8'})).toThrow(/^gpus\[1\]\.gpu: .*fp8 weights on V100-32GB .*not supported.*leave V100-32GB out/)
  })

  it('a scenario pool asking for fp8 on a V100 fails at file:line:field, exit 2, one line', () => {
    const text = readFileSync(join(ROOT, 'scenarios', 'hetero-a100-v100.yaml'), 'utf8').replace('      gpu: V100-32GB\n', '      gpu: V100-32GB\n      precision: {weights: fp8}\n')
    const file = join(tmp, 'v100-fp8.yaml')
    writeFileSync(file, text)
    const line = text.split('\n').findIndex((l) => l.includes('precision: {weights: fp8}')) + 1
    const r = runCli(['simulate', file, '--out', join(tmp, 'out')])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`${file}:${line}:7: fleet.pools.1.precision: pool "v100": fp8 weights on V100-32GB (Volta, sm70) with vllm: not supported`)
  })
})
