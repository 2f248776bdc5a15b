import {Args, Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {InputError} from '../../src/errors.js'
import {
  getGpu,
  getModel,
  getServingProfile,
  gpuCalibration,
  loadCatalog,
  resolveServingProfile,
  type ResolvedProfile,
} from '../../src/fleet/profiles/index.js'
import type {GpuSpec} from '../../src/fleet/profiles/index.js'

export default class ProfilesShow extends FleetcapCommand<typeof ProfilesShow> {
  static override description = `Show one GPU or serving profile with every number's source and the calibration error.

NAME is a GPU (name or alias, e.g. a100) or a serving profile id (llama-3.1-8b@A100-80GB:tp1, with
:ENGINE and :PRECISION after the TP when not the defaults); or give --model and --gpu (and --tp;
default: the smallest TP that fits). --engine (default vllm) and --precision (default fp16) pick the
profile's engine and weight/KV precision. Its status says what stands behind it: measured (fitted on
rows of this GPU, engine and precision), transferred (factors carried from another: it says which)
or roofline; its band is the step-time uncertainty (docs/profiles.md).
Exit codes: 0 ok, 2 unknown name, a model that does not fit, or a broken models/*.yaml.`

  static override examples = [
    '<%= config.bin %> profiles show h100',
    '<%= config.bin %> profiles show llama-2-70b@A100-80GB:tp4',
    '<%= config.bin %> profiles show --model llama-3.1-70b --gpu a100-80gb --tp 8 --json',
    '<%= config.bin %> profiles show --model llama-3.1-8b --gpu l4 --price 0.7',
    '<%= config.bin %> profiles show --model llama-3.1-8b --gpu h100 --engine-overheads blis-vllm',
    '<%= config.bin %> profiles show --model llama-3.1-70b --gpu h100 --tp 4 --engine tensorrt-llm --precision fp8',
    '<%= config.bin %> profiles show llama-3.1-8b@H200:tp1:tensorrt-llm:fp8/fp8',
  ]

  static override args = {
    name: Args.string({description: 'GPU name/alias or serving profile id', required: false}),
  }

  static override flags = {
    model: Flags.string({description: 'Model name (with --gpu).'}),
    gpu: Flags.string({description: 'GPU name or alias (with --model).'}),
    tp: Flags.integer({description: 'Tensor-parallel degree.', min: 1, max: 64}),
    price: Flags.string({description: 'Override the price per GPU-hour (USD).'}),
    'engine-overheads': Flags.string({description: 'Replace the fitted CPU overheads with a named set from models/serving.yaml (e.g. blis-vllm).'}),
    engine: Flags.string({description: 'Serving engine: vllm (default), tensorrt-llm, vllm-splitwise-2023.'}),
    precision: Flags.string({description: 'Weights[/KV cache] precision: fp16 (default; bf16 is the same), fp8, int8, int4, fp4; e.g. fp8/fp8.'}),
  }

  public async run(): Promise<Record<string, unknown>> {
    const catalog = loadCatalog()
    const {name} = this.args
    const price = parsePrice(this.flags.price)
    if (this.flags.model !== undefined || this.flags.gpu !== undefined) {
      if (name !== undefined) throw new InputError({field: 'NAME'}, `give NAME ("${name}") or --model and --gpu, not both`)
      if (this.flags.model === undefined || this.flags.gpu === undefined) {
        throw new InputError({field: '--model/--gpu'}, 'give both --model and --gpu')
      }
      return this.showProfile(
        resolveServingProfile({model: this.flags.model, gpu: this.flags.gpu, tensorParallel: this.flags.tp, engine: this.flags.engine, precision: this.flags.precision, pricePerGpuHourUsd: price, engineOverheads: this.flags['engine-overheads'], catalog}),
      )
    }
    if (name === undefined) throw new InputError({field: 'NAME'}, 'give a GPU name, a serving profile id, or --model and --gpu')
    if (name.includes('@')) {
      if (this.flags.tp !== undefined) throw new InputError({field: '--tp'}, `the profile id "${name}" names its tensor-parallel degree; give --tp with --model and --gpu`)
      const p = getServingProfile(name, catalog)
      const plain = price === undefined && this.flags['engine-overheads'] === undefined && this.flags.engine === undefined && this.flags.precision === undefined
      return this.showProfile(
        plain
          ? p
          : resolveServingProfile({model: p.model, gpu: p.gpu, tensorParallel: p.tensorParallel, engine: this.flags.engine ?? p.engine, precision: this.flags.precision ?? p.precision, pricePerGpuHourUsd: price, engineOverheads: this.flags['engine-overheads'], catalog}),
      )
    }
    // --price, --tp and --engine-overheads shape a serving profile: a GPU or a model alone has none to shape.
    const shaping = (['price', 'tp', 'engine-overheads'] as const).find((k) => this.flags[k] !== undefined)
    if (shaping !== undefined) {
      throw new InputError({field: `--${shaping}`}, `applies to a serving profile, not to "${name}" alone`, {hint: 'give a profile id (model@GPU:tpN) or --model and --gpu'})
    }
    if (catalog.models.some((m) => m.name === name.toLowerCase() || m.aliases.includes(name.toLowerCase()))) {
      return this.showModel(name)
    }
    return this.showGpu(getGpu(name, catalog))
  }

  private showGpu(g: GpuSpec): Record<string, unknown> {
    const cal = gpuCalibration(g.name)
    this.say(`${g.name} (aliases: ${g.aliases.join(', ')}; node label ${g.productLabel ?? '-'})`)
    for (const k of ['memoryGiB', 'hbmBandwidthGBs', 'denseBf16Tflops', 'denseFp8Tflops', 'denseFp4Tflops', 'denseInt8Tops', 'powerW', 'pricePerHourUsd', 'interconnectGBs'] as const) {
      const v = g[k]
      this.say(`  ${k.padEnd(16)} ${v === undefined ? '       -' : String(v.value).padStart(8)}   ${v === undefined ? 'no such tensor cores' : v.source}`)
    }
    const fits = (loadCatalog().serving.publicCalibration?.fits ?? []).filter((f) => f.gpu === g.name)
    this.say(`  measured (fitted on public rows): ${fits.length === 0 ? 'none' : fits.map((f) => `${f.engine} ${f.kv === 'fp16' ? f.weights : `${f.weights}/${f.kv}`} (${f.fitRows} rows)`).join(', ')}`)
    this.say(`  vllm-splitwise-2023: ${cal.method}`)
    return {gpu: g, calibration: cal, fits}
  }

  private showModel(name: string): Record<string, unknown> {
    const m = getModel(name)
    this.say(`${m.name}: ${(m.derived.params / 1e9).toFixed(2)}B parameters derived (stated ${m.statedParamsB.value}B: ${m.statedParamsB.source})`)
    this.say(`  weights ${(m.derived.weightBytes / 1e9).toFixed(1)} GB, KV ${m.derived.kvBytesPerToken} bytes/token; source: ${m.source}`)
    return {model: m}
  }

  private showProfile(p: ResolvedProfile): Record<string, unknown> {
    const d = p.details
    const cat = loadCatalog()
    const gib = (x: number): string => `${(x / 2 ** 30).toFixed(2)} GiB`
    this.say(`${p.id}  [${p.status}]`)
    this.say(`  ${p.statusBasis}`)
    this.say(`  engine, precision     ${d.engine}; weights ${d.precision.weights}, KV cache ${d.precision.kv}; matmuls at the ${d.computePeakBasis}`)
    this.say(`  band                  step time x${p.band.fast}-x${p.band.slow} (nominal ${Math.round(p.band.coverage * 100)}% coverage): ${p.band.basis}`)
    this.say(`  GPUs per replica      ${p.gpusPerReplica}`)
    this.say(`  KV cache              ${p.kvCacheTokens} tokens: ${gib(d.weightBytesPerGpu)} weights and ${gib(d.activationBytesPerGpu)} activations per GPU, ${d.memoryNote}; ${d.kvBytesPerTokenPerGpu} B per token per GPU`)
    this.say(`  max batch             ${p.maxBatchSeqs} sequences, ${p.maxBatchTokens} tokens per step`)
    this.say(`  prefill               ${(p.prefillTimeS(512) * 1000).toFixed(1)} ms for 512 tokens, ${(p.prefillTimeS(2048) * 1000).toFixed(1)} ms for 2048`)
    for (const b of [1, 8, 32, 128]) {
      this.say(`  decode step b=${String(b).padEnd(4)}    ${(p.stepTimeS(0, b, b * 1024) * 1000).toFixed(2)} ms at 1024 ctx, ${(p.stepTimeS(0, b, b * 8192) * 1000).toFixed(2)} ms at 8192 ctx`)
    }
    this.say(`  cold start            ${p.coldStartS.toFixed(0)} s = ${(d.coldStart.weightBytes / 1e9).toFixed(1)} GB / ${d.coldStart.loadGBs} GB/s + ${d.coldStart.engineInitS} s init`)
    for (const s of d.coldStart.sources) this.say(`                        ${s}`)
    this.say(`  price                 $${p.pricePerHourUsd.toFixed(3)}/h = ${p.tensorParallel} × $${d.price.perGpuUsd}/GPU-h (${d.price.source})`)
    this.say(`  roofline factors      ${JSON.stringify(d.factors)}`)
    this.say(`                        ${d.factorsFrom}`)
    const errors = calibrationErrors(cat, p)
    if (errors.length === 0) this.say('  calibration error     no measured rows for this GPU, engine and precision (see the band)')
    for (const e of errors) this.say(`  calibration error     ${e}`)
    return {
      id: p.id,
      status: p.status,
      statusBasis: p.statusBasis,
      band: p.band,
      engine: p.engine,
      precision: p.precision,
      model: p.model,
      gpu: p.gpu,
      tensorParallel: p.tensorParallel,
      gpusPerReplica: p.gpusPerReplica,
      kvCacheTokens: p.kvCacheTokens,
      maxBatchSeqs: p.maxBatchSeqs,
      maxBatchTokens: p.maxBatchTokens,
      coldStartS: p.coldStartS,
      pricePerHourUsd: p.pricePerHourUsd,
      prefillMs512: p.prefillTimeS(512) * 1000,
      decodeStepMsBatch1: p.stepTimeS(0, 1, 1024) * 1000,
      decodeStepMsBatch32: p.stepTimeS(0, 32, 32 * 1024) * 1000,
      details: d,
      calibrationErrors: errors,
    }
  }
}

/** The measured errors behind a profile: its group's holdout and left-out tests, or the Splitwise fit's. */
function calibrationErrors(cat: ReturnType<typeof loadCatalog>, p: ResolvedProfile): string[] {
  const pct = (x: number): string => `${x}%`
  if (p.engine === 'vllm-splitwise-2023') {
    const fit = gpuCalibration(p.gpu, cat)
    const err = cat.serving.calibration.profileErrors.find((e) => e.profile === `${p.model}@${p.gpu}:tp${p.tensorParallel}`)
    const out: string[] = []
    if (fit.train && fit.heldOut) out.push(`Splitwise ${fit.gpu} fit: train median ${pct(fit.train.medianAbsPct)}, held-out median ${pct(fit.heldOut.medianAbsPct)} (llama-2-70b, docs/profiles.md)`)
    if (err) out.push(`this profile: median ${pct(err.medianAbsPct)}, p90 ${pct(err.p90AbsPct)}, max ${pct(err.maxAbsPct)} over ${err.rows} measured rows`)
    return out
  }
  const group = `${p.gpu} ${p.engine} ${p.precision.kv === 'fp16' ? p.precision.weights : `${p.precision.weights}/${p.precision.kv}`}`
  return (cat.serving.publicCalibration?.validation ?? [])
    .filter((v) => v.group === group)
    .map((v) => `${v.kind} ${v.left}: throughput median ${pct(v.stats.throughputMedianAbsPct)}, p90 ${pct(v.stats.throughputP90AbsPct)} over ${v.stats.rows} rows${v.stats.latencyRows > 0 ? `; per-token latency median ${pct(v.stats.latencyMedianAbsPct)}` : ''}`)
}

function parsePrice(s: string | undefined): number | undefined {
  if (s === undefined) return undefined
  const x = Number(s)
  if (!Number.isFinite(x) || x <= 0) throw new InputError({field: '--price'}, `must be a positive number of USD per GPU-hour, got "${s}"`)
  return x
}
