/** Tables about calibration: per-profile error against the measurements, and the BLIS cross-check. */
import type {CalibrationResult} from './calibrate.js'
import type {Catalog} from './catalog.js'
import {buildProfile} from './catalog.js'

/**
 * BLIS's per-model linear fits (inference-sim/inference-sim defaults.yaml, earlier revision 1a6eb35,
 * quoted in ../shared/reference/serving-models.md §5): step = β0 + β1·prefill tokens + β2·decode
 * tokens, µs, Llama-3.1-8B TP1 at vLLM 0.8.4. Fits to traces, not measurements of single steps.
 */
export const BLIS_LLAMA31_8B = [
  {gpu: 'H100-SXM', beta: [5752.7, 17.25, 6.0]},
  {gpu: 'A100-80GB', beta: [16441.5, 47.84, 18.21]},
] as const

export interface BlisCheckRow {
  gpu: string
  step: string
  blisMs: number
  /** Our profile with the overheads fitted on Splitwise. */
  oursMs: number
  ratio: number
  /** Our profile with BLIS's trained-physics CPU overheads (engineOverheads "blis-vllm"). */
  oursBlisOverheadsMs: number
  ratioBlisOverheads: number
}

/** Our Llama-3.1-8B TP1 profiles against BLIS's fitted step times at a few step shapes. */
export function blisCrossCheck(catalog?: Catalog): BlisCheckRow[] {
  const shapes = [
    {step: 'decode, 1 seq, 512 ctx', prefill: 0, seqs: 1, ctx: 512},
    {step: 'decode, 64 seqs, 64x512 ctx', prefill: 0, seqs: 64, ctx: 64 * 512},
    {step: 'prefill 512 tokens', prefill: 512, seqs: 0, ctx: 0},
    {step: 'prefill 2048 tokens', prefill: 2048, seqs: 0, ctx: 0},
  ]
  const rows: BlisCheckRow[] = []
  for (const b of BLIS_LLAMA31_8B) {
    const p = buildProfile({model: 'llama-3.1-8b', gpu: b.gpu, tensorParallel: 1, engine: 'vllm-splitwise-2023', catalog})
    const q = buildProfile({model: 'llama-3.1-8b', gpu: b.gpu, tensorParallel: 1, engine: 'vllm-splitwise-2023', catalog, engineOverheads: 'blis-vllm'})
    for (const s of shapes) {
      const blisMs = (b.beta[0] + b.beta[1] * s.prefill + b.beta[2] * s.seqs) / 1000
      const oursMs = p.stepTimeS(s.prefill, s.seqs, s.ctx) * 1000
      const oursBlisOverheadsMs = q.stepTimeS(s.prefill, s.seqs, s.ctx) * 1000
      rows.push({gpu: b.gpu, step: s.step, blisMs, oursMs, ratio: oursMs / blisMs, oursBlisOverheadsMs, ratioBlisOverheads: oursBlisOverheadsMs / blisMs})
    }
  }
  return rows
}

const f1 = (x: number): string => x.toFixed(1)

export function errorTableMarkdown(result: CalibrationResult, catalog?: Catalog): string {
  const lines: string[] = []
  lines.push('| profile | rows | median abs error | p90 | max | prefill median | decode median |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const p of result.profileErrors) {
    lines.push(`| ${p.profile} | ${p.rows} | ${f1(p.medianAbsPct)}% | ${f1(p.p90AbsPct)}% | ${f1(p.maxAbsPct)}% | ${f1(p.prefillMedianAbsPct)}% | ${f1(p.decodeMedianAbsPct)}% |`)
  }
  lines.push('')
  lines.push('Fitted factors (one set per GPU, all TPs; train = 3 of 4 llama-2-70b configurations, held-out = the 4th):')
  lines.push('')
  lines.push('| GPU | form | computeEff | attentionEff | memEff | commEff | per step | per seq | per prefill step | all-reduce latency per log2 stage | train median | held-out median | held-out max |')
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const g of result.gpus.filter((x) => x.train)) {
    const f = g.factors
    lines.push(`| ${g.gpu} | ${f.combine} | ${f.computeEff} | ${f.attentionEff} | ${f.memEff} | ${f.commEff} | ${(f.stepOverheadS * 1000).toFixed(2)} ms | ${(f.seqOverheadS * 1e6).toFixed(0)} µs | ${(f.prefillOverheadS * 1000).toFixed(2)} ms | ${(f.allReduceLatencyS * 1e6).toFixed(1)} µs | ${f1(g.train!.medianAbsPct)}% | ${f1(g.heldOut!.medianAbsPct)}% | ${f1(g.heldOut!.maxAbsPct)}% |`)
  }
  lines.push('')
  lines.push('Every compared row (ms; error = predicted/measured − 1):')
  lines.push('')
  lines.push('| profile | configuration | kind | set | measured | predicted | error |')
  lines.push('| --- | --- | --- | --- | ---: | ---: | ---: |')
  for (const c of result.comparisons) {
    lines.push(`| ${c.profile} | ${c.config} | ${c.kind} | ${c.set} | ${f1(c.measuredMs)} | ${f1(c.predictedMs)} | ${c.errorPct >= 0 ? '+' : ''}${f1(c.errorPct)}% |`)
  }
  lines.push('')
  lines.push('Cross-check of the Llama-3.1-8B TP1 profiles (no measurement here) against BLIS\'s fitted linear step model (vLLM 0.8.4; fits, not measurements):')
  lines.push('')
  lines.push('| GPU | step | BLIS fit | ours (Splitwise-fitted overheads) | ratio | ours with BLIS overheads (`blis-vllm`) | ratio |')
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
  for (const r of blisCrossCheck(catalog)) {
    lines.push(`| ${r.gpu} | ${r.step} | ${r.blisMs.toFixed(2)} ms | ${r.oursMs.toFixed(2)} ms | ${r.ratio.toFixed(2)} | ${r.oursBlisOverheadsMs.toFixed(2)} ms | ${r.ratioBlisOverheads.toFixed(2)} |`)
  }
  return lines.join('\n')
}
