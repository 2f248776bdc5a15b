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

NAME is a GPU (name or alias, e.g. a100) or a serving profile id (llama-3.1-8b@A100-80GB:tp1); or
give --model and --gpu (and --tp; default: the smallest TP that fits). A (model, GPU, TP) not shipped
in models/serving.yaml is derived from the roofline and marked "derived, uncalibrated".
Exit codes: 0 ok, 2 unknown name, a model that does not fit, or a broken models/*.yaml.`

  static override examples = [
    '<%= config.bin %> profiles show h100',
    '<%= config.bin %> profiles show llama-2-70b@A100-80GB:tp4',
    '<%= config.bin %> profiles show --model llama-3.1-70b --gpu a100-80gb --tp 8 --json',
    '<%= config.bin %> profiles show --model llama-3.1-8b --gpu l4 --price 0.7',
    '<%= config.bin %> profiles show --model llama-3.1-8b --gpu h100 --engine-overheads blis-vllm',
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
        resolveServingProfile({model: this.flags.model, gpu: this.flags.gpu, tensorParallel: this.flags.tp, pricePerGpuHourUsd: price, engineOverheads: this.flags['engine-overheads'], catalog}),
      )
    }
    if (name === undefined) throw new InputError({field: 'NAME'}, 'give a GPU name, a serving profile id, or --model and --gpu')
    if (name.includes('@')) {
      if (this.flags.tp !== undefined) throw new InputError({field: '--tp'}, `the profile id "${name}" names its tensor-parallel degree; give --tp with --model and --gpu`)
      const p = getServingProfile(name, catalog)
      const plain = price === undefined && this.flags['engine-overheads'] === undefined
      return this.showProfile(
        plain ? p : resolveServingProfile({model: p.model, gpu: p.gpu, tensorParallel: p.tensorParallel, pricePerGpuHourUsd: price, engineOverheads: this.flags['engine-overheads'], catalog}),
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
    for (const k of ['memoryGiB', 'hbmBandwidthGBs', 'denseBf16Tflops', 'powerW', 'pricePerHourUsd', 'interconnectGBs'] as const) {
      this.say(`  ${k.padEnd(16)} ${String(g[k].value).padStart(8)}   ${g[k].source}`)
    }
    this.say(`  roofline factors: ${JSON.stringify(cal.factors)}`)
    this.say(`  from: ${cal.method}`)
    return {gpu: g, calibration: cal}
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
    const err = cat.serving.calibration.profileErrors.find((e) => e.profile === p.id)
    const gib = (x: number): string => `${(x / 2 ** 30).toFixed(2)} GiB`
    this.say(`${p.id}  [${p.status}]`)
    this.say(`  ${d.statusNote}`)
    this.say(`  GPUs per replica      ${p.gpusPerReplica}`)
    this.say(`  KV cache              ${p.kvCacheTokens} tokens = (${gib(d.usableBytesPerGpu)} usable at gpu_memory_utilization ${d.gpuMemoryUtilization} − ${gib(d.weightBytesPerGpu)} weights − ${gib(d.activationBytesPerGpu)} activations) / ${d.kvBytesPerTokenPerGpu} B per token per GPU`)
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
    const fit = gpuCalibration(p.gpu, cat)
    const fitLine = fit.train && fit.heldOut ? `; ${fit.gpu} fit: train median ${fit.train.medianAbsPct}%, held-out median ${fit.heldOut.medianAbsPct}% (llama-2-70b, docs/profiles.md)` : `; ${fit.gpu} has no measurements`
    this.say(
      err
        ? `  calibration error     median ${err.medianAbsPct}%, p90 ${err.p90AbsPct}%, max ${err.maxAbsPct}% over ${err.rows} measured rows${fitLine}`
        : `  calibration error     no measured rows for this profile${fitLine}`,
    )
    return {
      id: p.id,
      status: p.status,
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
      calibrationError: err ?? null,
      gpuFit: {gpu: fit.gpu, method: fit.method, train: fit.train ?? null, heldOut: fit.heldOut ?? null},
    }
  }
}

function parsePrice(s: string | undefined): number | undefined {
  if (s === undefined) return undefined
  const x = Number(s)
  if (!Number.isFinite(x) || x <= 0) throw new InputError({field: '--price'}, `must be a positive number of USD per GPU-hour, got "${s}"`)
  return x
}
