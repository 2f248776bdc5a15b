/**
 * The public serving measurements (data/calibration/public/public_serving_measurements.csv; sources
 * in SOURCES.md beside it), read into rows the calibration can model: a catalog GPU and model, one
 * of our engines and precisions, TP without PP, and the numbers the method measured. Rows that
 * cannot be modelled are counted by reason, never silently dropped.
 */
import {readFileSync} from 'node:fs'

import {parse as parseCsv} from 'csv-parse/sync'

import {InputError} from '../../errors.js'
import type {Catalog} from './catalog.js'
import {type Engine, type KvPrecision, parseKvPrecision, parseWeightPrecision, type WeightPrecision} from './precision.js'

// The calibration group of a row (kept beside transferSource, which profile resolution also loads).
export {groupKey} from './transfer.js'

/** How a row was measured (methods.csv). */
export type RowKind =
  /** One static batch timed end to end (LLM-Inference-Bench): prefill of the batch, then decode. */
  | 'static'
  /** All requests queued at t=0, engine-chosen batch (TensorRT-LLM perf-overview offline). */
  | 'offline'
  /** Poisson-like arrivals at a fixed request rate (TensorRT-LLM online table). */
  | 'online'
  /** infpop: static batches, prompt and output lengths unstated: V100:A100 ratios only. */
  | 'ratio'

export interface PublicRow {
  rowId: number
  sourceId: string
  method: string
  split: 'fit' | 'holdout'
  gpu: string
  engine: Engine
  weights: WeightPrecision
  kv: KvPrecision
  model: string
  tp: number
  kind: RowKind
  isl: number
  osl: number
  batch: number
  rateQps?: number
  outputTokS?: number
  totalTokS?: number
  e2eS?: number
  ttftMs?: number
  itlMs?: number
}

export interface PublicData {
  rows: PublicRow[]
  /** Rows of the fit/holdout splits not modelled, by reason (count). */
  skipped: Record<string, number>
}

const ENGINE_OF: Record<string, Engine> = {vLLM: 'vllm', 'TensorRT-LLM': 'tensorrt-llm', 'TensorRT-LLM (Triton backend)': 'tensorrt-llm'}
const KIND_OF: Record<string, RowKind> = {'LIB-VLLM': 'static', 'LIB-TRT': 'static', 'TRT-GMB': 'offline', 'TRT-BENCH': 'offline', 'TRT-PYT': 'offline', 'TRT-ONLINE': 'online', 'INFPOP-VLLM': 'ratio'}

type CsvRow = Record<string, string>

const num = (s: string | undefined): number | undefined => (s === undefined || s.trim() === '' ? undefined : Number(s))

function lookup(list: readonly {name: string; aliases: string[]}[], name: string): string | undefined {
  const n = name.trim().toLowerCase()
  return list.find((x) => x.name.toLowerCase() === n || x.aliases.some((a) => a.toLowerCase() === n))?.name
}

export function loadPublicData(catalog: Catalog, csvPath: string): PublicData {
  let text: string
  try {
    text = readFileSync(csvPath, 'utf8')
  } catch (error) {
    throw new InputError({file: csvPath}, `cannot read the public measurements: ${(error as Error).message}`)
  }
  const records = parseCsv(text, {columns: true, skip_empty_lines: true}) as CsvRow[]
  const rows: PublicRow[] = []
  const skipped: Record<string, number> = {}
  const skip = (why: string): void => {
    skipped[why] = (skipped[why] ?? 0) + 1
  }
  records.forEach((r, i) => {
    if (r.split !== 'fit' && r.split !== 'holdout') return
    const kind = KIND_OF[r.method_id]
    if (!kind) return skip(`method ${r.method_id} not modelled (DeepSpeed-MII, TTFT-only, multi-node int4)`)
    const engine = ENGINE_OF[r.engine]
    if (!engine) return skip(`engine ${r.engine}`)
    const gpu = lookup(catalog.gpus, r.gpu)
    if (!gpu) return skip(`GPU ${r.gpu} not in models/gpus.yaml`)
    const model = lookup(catalog.models, r.model)
    if (!model) return skip('model not in models/llms.yaml (mixture-of-experts models are not modelled; a few dense ones are not catalogued)')
    const tp = Number(r.tp)
    if (Number(r.pp) !== 1 || Number(r.gpu_count) !== tp) return skip('pipeline parallel or GPUs beyond the TP group')
    const weights = parseWeightPrecision(r.precision, `row ${i + 2} precision`)
    // TRT-PYT ModelOpt FP8/NVFP4 checkpoints leave the KV dtype unstated; NVIDIA's quantized
    // checkpoints quantize the KV cache to FP8 (an assumption, stated in docs/profiles.md).
    const kvText = r.kv_cache_dtype.trim() || (r.method_id === 'TRT-PYT' ? 'fp8' : 'fp16')
    const kv = parseKvPrecision(kvText, `row ${i + 2} kv_cache_dtype`)
    const row: PublicRow = {
      rowId: Number(r.row_id),
      sourceId: r.source_id,
      method: r.method_id,
      split: r.split,
      gpu,
      engine,
      weights,
      kv,
      model,
      tp,
      kind,
      isl: num(r.input_tokens) ?? 0,
      osl: num(r.output_tokens) ?? 0,
      batch: num(r.batch_size_or_concurrency) ?? 0,
      rateQps: num(r.request_rate_qps),
      outputTokS: num(r.throughput_output_tok_s),
      totalTokS: num(r.throughput_total_tok_s),
      e2eS: num(r.e2e_latency_s),
      ttftMs: num(r.ttft_ms_mean),
      itlMs: num(r.itl_or_tpot_ms),
    }
    if (kind === 'static' && !(row.e2eS && row.isl > 0 && row.osl > 0 && row.batch > 0)) return skip('static batch without latency or lengths')
    if (kind === 'offline' && !(row.outputTokS && row.isl > 0 && row.osl > 0)) return skip('offline row without output tok/s')
    if (kind === 'ratio' && !(row.outputTokS && row.batch > 0)) return skip('ratio row without throughput')
    rows.push(row)
  })
  return {rows, skipped}
}
