import {describe, expect, it} from 'vitest'

import {buildProfile, getGpu, getModel, listServingProfiles, RooflineCost} from '../../src/fleet/profiles/index.js'

describe('roofline step cost', () => {
  it('decodeRunTimeS equals the loop of stepTimeS to 1e-9 relative, on every shipped profile', () => {
    const cases = [
      [1, 1, 10],
      [7, 3, 0],
      [128, 1, 512],
      [500, 16, 16 * 700],
      [2000, 64, 64 * 300],
      [4096, 256, 256 * 1000],
      [300, 200, 0],
    ]
    for (const p of listServingProfiles()) {
      for (const [steps, seqs, ctx] of cases) {
        let loop = 0
        for (let k = 0; k < steps; k++) loop += p.stepTimeS(0, seqs, ctx + k * seqs)
        const closed = p.decodeRunTimeS(steps, seqs, ctx)
        expect(Math.abs(closed - loop) / loop, `${p.id} ${steps}/${seqs}/${ctx}`).toBeLessThan(1e-9)
      }
    }
  })

  it('covers a run that crosses from compute-bound to memory-bound (the split of the max)', () => {
    const p = buildProfile({model: 'llama-3.1-8b', gpu: 'L4', tensorParallel: 1})
    const c = p.cost
    const seqs = 2048
    const ctx0 = seqs * 10
    const steps = 1000
    const side = (k: number): number => {
      const ctx = ctx0 + k * seqs
      return Math.sign(seqs * c.matmulSPerToken + ctx * c.attnSPerPair - (c.weightReadS + ctx * c.kvReadSPerToken))
    }
    expect(side(0)).toBe(1)
    expect(side(steps - 1)).toBe(-1)
    let loop = 0
    for (let k = 0; k < steps; k++) loop += p.stepTimeS(0, seqs, ctx0 + k * seqs)
    expect(Math.abs(p.decodeRunTimeS(steps, seqs, ctx0) - loop) / loop).toBeLessThan(1e-9)
  })

  it('decodeRun is exact in every combine form, including a CPU/compute/memory envelope with two switches', () => {
    const m = getModel('llama-3.1-8b')
    const g = getGpu('L4')
    const hw = {denseTflops: g.denseBf16Tflops.value, hbmBandwidthGBs: g.hbmBandwidthGBs.value, interconnectGBs: g.interconnectGBs.value}
    const arch = {derived: m.derived, layers: m.layers, hiddenSize: m.hiddenSize, kvHeads: m.kvHeads}
    const base = {computeEff: 0.6, memEff: 0.7, commEff: 0.3, seqOverheadS: 1e-5, prefillOverheadS: 0, allReduceLatencyS: 2e-5}
    let sawThreePieces = false
    for (const combine of ['max', 'sum', 'overlap'] as const) {
      // attentionEff 0.001 makes compute grow faster than memory with context, so the envelope can
      // go cpu → memory → compute (stepOverheadS 0.08 sits between the two at the start).
      for (const [stepOverheadS, attentionEff] of [[0, 0.5], [0.05, 0.5], [0.2, 0.5], [0.08, 0.001], [0, 0.001]]) {
        for (const tp of [1, 2]) {
          const cost = new RooflineCost(arch, hw, tp, {...base, attentionEff, stepOverheadS, combine})
          for (const [steps, seqs, ctx] of [[1000, 2048, 20480], [3000, 64, 64 * 10], [50, 1, 0], [700, 512, 0], [1000, 64, 640]]) {
            let loop = 0
            const leaders = new Set<string>()
            for (let k = 0; k < steps; k++) {
              const c = ctx + k * seqs
              loop += cost.step(seqs, seqs, false, c, c)
              const compute = seqs * cost.matmulSPerToken + c * cost.attnSPerPair
              const memory = cost.weightReadS + c * cost.kvReadSPerToken
              const gpu = cost.gpuFixedS + seqs * cost.commSPerToken + Math.max(compute, memory)
              const cpu = cost.cpuFixedS + seqs * cost.seqOverheadS
              leaders.add(cpu > gpu ? 'cpu' : compute > memory ? 'compute' : 'memory')
            }
            if (combine === 'overlap' && leaders.size === 3) sawThreePieces = true
            const closed = cost.decodeRun(steps, seqs, ctx)
            expect(Math.abs(closed - loop) / loop, `${combine} ${stepOverheadS} tp${tp} ${steps}/${seqs}/${ctx}`).toBeLessThan(1e-9)
          }
        }
      }
    }
    expect(sawThreePieces).toBe(true)
  })

  it('decode steps grow with batch and with context', () => {
    for (const p of listServingProfiles()) {
      const b1 = p.stepTimeS(0, 1, 1024)
      const b32 = p.stepTimeS(0, 32, 32 * 1024)
      const b32long = p.stepTimeS(0, 32, 32 * 8192)
      expect(b32, p.id).toBeGreaterThan(b1)
      expect(b32long, p.id).toBeGreaterThan(b32)
    }
  })

  it('H100/A100 is about 2x on prefill and 1.5x on decode, as Splitwise measured (Llama-2-70B TP8)', () => {
    const a = buildProfile({model: 'llama-2-70b', gpu: 'A100-80GB', tensorParallel: 8, engine: 'vllm-splitwise-2023'})
    const h = buildProfile({model: 'llama-2-70b', gpu: 'H100-SXM', tensorParallel: 8, engine: 'vllm-splitwise-2023'})
    // Measured medians: prefill 2048 tokens 274 / 137 ms = 2.0; decode batch 1 45.0 / 30.4 ms = 1.48.
    const prefill = a.prefillTimeS(2048) / h.prefillTimeS(2048)
    const decode = a.decodeRunTimeS(127, 1, 2049) / h.decodeRunTimeS(127, 1, 2049)
    expect(prefill).toBeGreaterThan(1.7)
    expect(prefill).toBeLessThan(2.4)
    expect(decode).toBeGreaterThan(1.3)
    expect(decode).toBeLessThan(1.7)
  })

  it('charges nothing for an empty step and prefills cost more with more tokens', () => {
    const p = buildProfile({model: 'llama-3.1-8b', gpu: 'H100-SXM', tensorParallel: 1})
    expect(p.stepTimeS(0, 0, 0)).toBe(0)
    expect(p.decodeRunTimeS(0, 4, 100)).toBe(0)
    expect(p.prefillTimeS(4096)).toBeGreaterThan(p.prefillTimeS(1024))
  })
})
