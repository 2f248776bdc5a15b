import {z} from 'zod'

import {InputError} from '../errors.js'
import {getGpu, getModel, getServingProfile, gpuCalibration, loadCatalog, resolveServingProfile, type ResolvedProfile} from './profiles/index.js'
import type {GpuSpec} from './profiles/index.js'

/**
 * `fleetcap profiles show`: one GPU, model or serving profile with every number's source and the
 * calibration error, as the lines the command prints and its --json result.
 */

export interface ProfilesShowFlags {
  model?: string
  gpu?: string
  tp?: number
  /** USD per GPU-hour (the flag checks it is a number above 0). */
  price?: number
  'engine-overheads'?: string
  engine?: string
  precision?: string
}

/** The --json result: a GPU, a model, or a serving profile (the shapes ProfileShow's show* return). */
export type ProfilesShowResult = ReturnType<ProfileShow['showGpu']> | ReturnType<ProfileShow['showModel']> | ReturnType<ProfileShow['showProfile']>

const object = z.looseObject({})
const band = z.looseObject({fast: z.number(), slow: z.number(), coverage: z.number(), basis: z.string()})

/**
 * The same three shapes as a zod schema for schemas/profiles-show.result.schema.json: every field
 * a script reads is typed; the GPU, model and profile details are objects whose fields are the
 * catalog's (models/*.yaml, each number with its source).
 */
export const ProfilesShowResultSchema = z.union([
  z.strictObject({
    id: z.string(),
    status: z.enum(['measured', 'transferred', 'roofline']),
    statusBasis: z.string(),
    band,
    engine: z.string(),
    precision: z.strictObject({weights: z.string(), kv: z.string()}),
    model: z.string(),
    gpu: z.string(),
    tensorParallel: z.number().int(),
    gpusPerReplica: z.number().int(),
    kvCacheTokens: z.number(),
    maxBatchSeqs: z.number(),
    maxBatchTokens: z.number(),
    coldStartS: z.number(),
    pricePerHourUsd: z.number(),
    prefillMs512: z.number(),
    decodeStepMsBatch1: z.number(),
    decodeStepMsBatch32: z.number(),
    details: object,
    calibrationErrors: z.array(z.string()),
  }),
  z.strictObject({gpu: z.looseObject({name: z.string(), aliases: z.array(z.string())}), calibration: object, fits: z.array(object)}),
  z.strictObject({model: z.looseObject({name: z.string(), derived: object})}),
])

export interface ProfilesShown {
  result: ProfilesShowResult
  lines: string[]
}

export function showProfiles(name: string | undefined, flags: ProfilesShowFlags): ProfilesShown {
  return new ProfileShow().run(name, flags)
}

export class ProfileShow {
  readonly lines: string[] = []

  private say(line: string): void {
    this.lines.push(line)
  }

  run(name: string | undefined, flags: ProfilesShowFlags): ProfilesShown {
    return {result: this.pick(name, flags), lines: this.lines}
  }

  private pick(name: string | undefined, flags: ProfilesShowFlags): ProfilesShowResult {
    const catalog = loadCatalog()
    const price = flags.price
    if (flags.model !== undefined || flags.gpu !== undefined) {
      if (name !== undefined) throw new InputError({field: 'NAME'}, `give NAME ("${name}") or --model and --gpu, not both`)
      if (flags.model === undefined || flags.gpu === undefined) {
        throw new InputError({field: '--model/--gpu'}, 'give both --model and --gpu')
      }
      return this.showProfile(
        resolveServingProfile({
          model: flags.model,
          gpu: flags.gpu,
          tensorParallel: flags.tp,
          engine: flags.engine,
          precision: flags.precision,
          pricePerGpuHourUsd: price,
          engineOverheads: flags['engine-overheads'],
          catalog,
        }),
      )
    }
    if (name === undefined) throw new InputError({field: 'NAME'}, 'give a GPU name, a serving profile id, or --model and --gpu')
    if (name.includes('@')) {
      if (flags.tp !== undefined) throw new InputError({field: '--tp'}, `the profile id "${name}" names its tensor-parallel degree; give --tp with --model and --gpu`)
      const p = getServingProfile(name, catalog)
      const plain = price === undefined && flags['engine-overheads'] === undefined && flags.engine === undefined && flags.precision === undefined
      return this.showProfile(
        plain
          ? p
          : resolveServingProfile({
              model: p.model,
              gpu: p.gpu,
              tensorParallel: p.tensorParallel,
              engine: flags.engine ?? p.engine,
              precision: flags.precision ?? p.precision,
              pricePerGpuHourUsd: price,
              engineOverheads: flags['engine-overheads'],
              catalog,
            }),
      )
    }
    // --price, --tp and --engine-overheads shape a serving profile: a GPU or a model alone has none to shape.
    const shaping = (['price', 'tp', 'engine-overheads'] as const).find((k) => flags[k] !== undefined)
    if (shaping !== undefined) {
      throw new InputError({field: `--${shaping}`}, `applies to a serving profile, not to "${name}" alone`, {hint: 'give a profile id (model@GPU:tpN) or --model and --gpu'})
    }
    if (catalog.models.some((m) => m.name === name.toLowerCase() || m.aliases.includes(name.toLowerCase()))) {
      return this.showModel(name)
    }
    return this.showGpu(getGpu(name, catalog))
  }

  showGpu(g: GpuSpec) {
    const cal = gpuCalibration(g.name)
    this.say(`${g.name} (aliases: ${g.aliases.join(', ')}; node label ${g.productLabel ?? '-'})`)
    for (const k of ['memoryGiB', 'hbmBandwidthGBs', 'denseBf16Tflops', 'denseFp8Tflops', 'denseFp4Tflops', 'denseInt8Tops', 'powerW', 'pricePerHourUsd', 'interconnectGBs'] as const) {
      const v = g[k]
      this.say(`  ${k.padEnd(16)} ${v === undefined ? '       -' : String(v.value).padStart(8)}   ${v === undefined ? 'no such tensor cores' : v.source}`)
    }
    const fits = (loadCatalog().serving.publicCalibration?.fits ?? []).filter((f) => f.gpu === g.name)
    this.say(
      `  measured (fitted on public rows): ${fits.length === 0 ? 'none' : fits.map((f) => `${f.engine} ${f.kv === 'fp16' ? f.weights : `${f.weights}/${f.kv}`} (${f.fitRows} rows)`).join(', ')}`,
    )
    this.say(`  vllm-splitwise-2023: ${cal.method}`)
    return {gpu: g, calibration: cal, fits}
  }

  showModel(name: string) {
    const m = getModel(name)
    this.say(`${m.name}: ${(m.derived.params / 1e9).toFixed(2)}B parameters derived (stated ${m.statedParamsB.value}B: ${m.statedParamsB.source})`)
    this.say(`  weights ${(m.derived.weightBytes / 1e9).toFixed(1)} GB, KV ${m.derived.kvBytesPerToken} bytes/token; source: ${m.source}`)
    return {model: m}
  }

  showProfile(p: ResolvedProfile) {
    const d = p.details
    const cat = loadCatalog()
    const gib = (x: number): string => `${(x / 2 ** 30).toFixed(2)} GiB`
    this.say(`${p.id}  [${p.status}]`)
    this.say(`  ${p.statusBasis}`)
    this.say(`  engine, precision     ${d.engine}; weights ${d.precision.weights}, KV cache ${d.precision.kv}; matmuls at the ${d.computePeakBasis}`)
    this.say(`  band                  step time x${p.band.fast}-x${p.band.slow} (nominal ${Math.round(p.band.coverage * 100)}% coverage): ${p.band.basis}`)
    this.say(`  GPUs per replica      ${p.gpusPerReplica}`)
    this.say(
      `  KV cache              ${p.kvCacheTokens} tokens: ${gib(d.weightBytesPerGpu)} weights and ${gib(d.activationBytesPerGpu)} activations per GPU, ${d.memoryNote}; ${d.kvBytesPerTokenPerGpu} B per token per GPU`,
    )
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
    .map(
      (v) =>
        `${v.kind} ${v.left}: throughput median ${pct(v.stats.throughputMedianAbsPct)}, p90 ${pct(v.stats.throughputP90AbsPct)} over ${v.stats.rows} rows${v.stats.latencyRows > 0 ? `; per-token latency median ${pct(v.stats.latencyMedianAbsPct)}` : ''}`,
    )
}
