/**
 * The catalog of GPUs, models and serving profiles in models/*.yaml: loaded and validated once,
 * then looked up by name (aliases, any case). Serving profiles are built from the roofline with the
 * calibrated factors of their GPU; any (model, GPU, TP) whose weights fit can be derived on demand.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {parse as parseYaml} from 'yaml'
import type {z} from 'zod'

import {InputError, UnknownNameError} from '../../errors.js'
import type {GpuProfile} from '../types.js'
import type {ProfileStatus} from '../types.js'
import {deriveLlm, type LlmDerived} from './llm.js'
import {modelsDir} from './paths.js'
import {DEFAULT_ENGINE, DEFAULT_PRECISION, type Engine, ENGINES, isDefaultPrecision, parseEngine, parsePrecision, type Precision, precisionLabel} from './precision.js'
import {snapshotOf} from './snapshot.js'
import {resolveFactors} from './resolve-factors.js'
import {RooflineServingProfile} from './roofline.js'
import {assertPrecisionSupported, UnsupportedPrecisionError} from './support.js'
import {costOf, replicaShape} from './shape.js'
import {
  type CostFactors,
  type GpuCalibration,
  type GpuSpec,
  gpusFileSchema,
  type LlmSpec,
  llmsFileSchema,
  type ServingFile,
  servingFileSchema,
} from './schema.js'

export interface Catalog {
  dir: string
  gpus: GpuSpec[]
  models: LlmSpec[]
  serving: ServingFile
}

const cache = new Map<string, Catalog>()

function readValidated<S extends z.ZodType>(dir: string, file: string, schema: S): z.infer<S> {
  const path = join(dir, file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new InputError({file: path}, `cannot read: ${(error as Error).message}`)
  }
  let data: unknown
  try {
    data = snapshotOf(path, text)?.data ?? parseYaml(text)
  } catch (error) {
    const e = error as Error & {linePos?: {line: number}[]}
    throw new InputError({file: path, line: e.linePos?.[0]?.line}, `invalid YAML: ${e.message.split('\n')[0]}`)
  }
  const parsed = schema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
    throw new InputError({file: path, field: field || '(root)'}, issue.message)
  }
  return parsed.data
}

/** Load and validate models/{gpus,llms,serving}.yaml (cached per folder). */
export function loadCatalog(dir: string = modelsDir()): Catalog {
  const hit = cache.get(dir)
  if (hit) return hit
  const gpus = readValidated(dir, 'gpus.yaml', gpusFileSchema).gpus
  const models = readValidated(dir, 'llms.yaml', llmsFileSchema).models
  const serving = readValidated(dir, 'serving.yaml', servingFileSchema)
  const catalog: Catalog = {dir, gpus, models, serving}
  checkReferences(catalog)
  cache.set(dir, catalog)
  return catalog
}

/** Names in serving.yaml must exist in gpus.yaml / llms.yaml. */
function checkReferences(c: Catalog): void {
  const file = join(c.dir, 'serving.yaml')
  c.serving.profiles.forEach((p, i) => {
    findGpu(c, p.gpu, {file, field: `profiles[${i}].gpu`})
    findModel(c, p.model, {file, field: `profiles[${i}].model`})
  })
  c.serving.calibration.gpus.forEach((g, i) => findGpu(c, g.gpu, {file, field: `calibration.gpus[${i}].gpu`}))
}

const norm = (s: string): string => s.trim().toLowerCase()

function findGpu(c: Catalog, name: string, where = {}): GpuSpec {
  const n = norm(name)
  const gpu = c.gpus.find((g) => norm(g.name) === n || g.aliases.some((a) => norm(a) === n))
  if (!gpu) throw new UnknownNameError('GPU', name, c.gpus.map((g) => g.name), where)
  return gpu
}

function findModel(c: Catalog, name: string, where = {}): LlmSpec {
  const n = norm(name)
  const m = c.models.find((x) => norm(x.name) === n || x.aliases.some((a) => norm(a) === n))
  if (!m) throw new UnknownNameError('model', name, c.models.map((x) => x.name), where)
  return m
}

/** A GPU by name or alias, any case; UnknownNameError lists the known names. */
export function getGpu(name: string, catalog: Catalog = loadCatalog()): GpuSpec & GpuProfile {
  return findGpu(catalog, name)
}

export function getModel(name: string, catalog: Catalog = loadCatalog()): LlmSpec & {derived: LlmDerived} {
  const m = findModel(catalog, name)
  return {...m, derived: deriveLlm(m)}
}

export function gpuCalibration(gpu: string, catalog: Catalog = loadCatalog()): GpuCalibration {
  const cal = catalog.serving.calibration.gpus.find((g) => g.gpu === gpu)
  if (!cal) throw new InputError({file: join(catalog.dir, 'serving.yaml'), field: 'calibration.gpus'}, `no calibration for GPU ${gpu}`)
  return cal
}

/** The model's weights (plus a step's activations and KV) do not fit the GPUs at this TP. */
export class DoesNotFitError extends InputError {}

export type {ProfileStatus} from '../types.js'

/** A serving profile plus what it was built from: for `profiles show` and reports. */
export interface ResolvedProfile extends RooflineServingProfile {
  readonly engine: Engine
  readonly precision: Precision
  readonly details: ProfileDetails
}

export interface ProfileDetails {
  status: ProfileStatus
  statusNote: string
  engine: Engine
  precision: Precision
  computePeakBasis: string
  weightBytesPerGpu: number
  kvBytesPerTokenPerGpu: number
  activationBytesPerGpu: number
  usableBytesPerGpu: number
  memoryNote: string
  gpuMemoryUtilization: number
  factors: CostFactors
  factorsFrom: string
  coldStart: {weightBytes: number; loadGBs: number; engineInitS: number; sources: string[]}
  /** $/GPU-hour and where it comes from: provider and date from gpus.yaml, or "override". */
  price: {perGpuUsd: number; source: string; provider: string; asOf: string}
}

export interface ResolveOptions {
  model: string
  gpu: string
  /** Default: the smallest TP shipped in serving.yaml for (model, GPU) whose weights fit. */
  tensorParallel?: number
  /** Serving engine (default vllm): see serving.yaml `engines`. */
  engine?: string
  /** Weights[/KV] precision, e.g. "fp8" or "fp8/fp8" (default fp16; see precision.ts). */
  precision?: string | Precision
  /** Override the GPU's price per hour (USD per GPU). */
  pricePerGpuHourUsd?: number
  /**
   * Replace the fitted CPU/scheduler overheads with a named set from serving.yaml engineOverheads
   * (e.g. "blis-vllm": BLIS's trained-physics β5–β7, a newer vLLM than Splitwise measured).
   */
  engineOverheads?: string
  catalog?: Catalog
}

/** The profile's precision: as given, else 16-bit; TensorRT-LLM FP8/FP4 engines keep an FP8 KV cache. */
export function resolvePrecision(spec: string | Precision | undefined, engine: Engine, field = 'precision'): Precision {
  if (spec === undefined) return DEFAULT_PRECISION
  const p = typeof spec === 'string' ? parsePrecision(spec, field) : spec
  const kvGiven = typeof spec === 'string' ? spec.includes('/') : true
  if (!kvGiven && engine === 'tensorrt-llm' && (p.weights === 'fp8' || p.weights === 'fp4')) return {...p, kv: 'fp8'}
  return p
}

/** The id: model@GPU:tpN, then :engine and :precision when not the defaults. */
export function profileId(model: string, gpu: string, tp: number, engine: Engine, precision: Precision): string {
  return `${model}@${gpu}:tp${tp}${engine === DEFAULT_ENGINE ? '' : `:${engine}`}${isDefaultPrecision(precision) ? '' : `:${precisionLabel(precision)}`}`
}

/** Build the profile for (model, GPU, TP, engine, precision); throws when the weights do not fit. */
export function buildProfile(opts: ResolveOptions & {tensorParallel: number}): ResolvedProfile {
  const c = opts.catalog ?? loadCatalog()
  const gpu = findGpu(c, opts.gpu)
  const model = findModel(c, opts.model)
  const tp = opts.tensorParallel
  if (!Number.isInteger(tp) || tp < 1 || tp > 64) {
    throw new InputError({field: 'tensorParallel'}, `tensor parallelism must be an integer from 1 to 64, got ${tp}`)
  }
  // Tensor parallelism splits attention heads across GPUs; vLLM refuses a degree that does not divide them.
  if (model.attentionHeads % tp !== 0) {
    throw new InputError({field: 'tensorParallel'}, `${model.name} has ${model.attentionHeads} attention heads: tensor parallelism ${tp} does not divide them`)
  }
  const engine = parseEngine(opts.engine ?? DEFAULT_ENGINE)
  const precision = resolvePrecision(opts.precision, engine)
  assertPrecisionSupported(gpu, engine, c.serving.engines[engine], precision)
  if (precision.kv === 'fp8' && !gpu.denseFp8Tflops) {
    // Measured: A100 rows with an FP8 KV cache ran 2-4x slower than the bytes alone predict.
    throw new InputError({field: 'precision'}, `an fp8 KV cache on ${gpu.name} (no FP8 hardware) is not modelled: the A100 rows with one ran 2-4x slower than modelled (docs/profiles.md); use an fp16 KV cache`)
  }
  const d = c.serving.defaults
  const entry = c.serving.profiles.find((p) => norm(p.model) === norm(model.name) && norm(p.gpu) === norm(gpu.name) && p.tensorParallel.includes(tp))
  const shape = replicaShape(c, model, gpu, tp, engine, precision, {maxBatchSeqs: entry?.maxBatchSeqs, maxBatchTokens: entry?.maxBatchTokens})
  const r = resolveFactors(c, gpu, engine, precision)
  let factors = r.factors
  let overheadNote = ''
  if (opts.engineOverheads !== undefined) {
    const o = c.serving.engineOverheads[opts.engineOverheads]
    if (!o) throw new UnknownNameError('engine overhead set', opts.engineOverheads, Object.keys(c.serving.engineOverheads))
    factors = {
      ...factors,
      stepOverheadS: o.stepOverheadS + model.layers * o.layerOverheadS,
      seqOverheadS: o.seqOverheadS,
      prefillOverheadS: o.prefillOverheadS,
    }
    overheadNote = `; CPU overheads replaced by "${opts.engineOverheads}" (${o.source})`
  }
  const cost = costOf(shape, factors)
  const {maxBatchSeqs, maxBatchTokens, kvCacheTokens} = shape
  const id = `${profileId(model.name, gpu.name, tp, engine, precision)}${opts.engineOverheads === undefined ? '' : `+${opts.engineOverheads}`}`
  if (kvCacheTokens < maxBatchTokens) {
    const gib = (x: number): string => (x / 2 ** 30).toFixed(1)
    throw new DoesNotFitError(
      {field: id},
      `${model.name} does not fit ${gpu.name} at TP ${tp}: ${gib(shape.weightBytesPerGpu)} GiB of weights + ${gib(shape.activationBytesPerGpu)} GiB of activations per GPU leave room for ${Math.max(0, kvCacheTokens)} KV tokens (${shape.memoryNote}, ${gpu.memoryGiB.value} GiB); need at least ${maxBatchTokens} (max batched tokens); try a larger --tp`,
    )
  }
  // Changing the engine's overheads by hand leaves no fit behind the profile.
  const status: ProfileStatus = opts.engineOverheads === undefined ? r.status : 'transferred'
  const statusBasis = r.statusBasis + overheadNote
  const perGpuUsd = opts.pricePerGpuHourUsd ?? gpu.pricePerHourUsd.value
  const coldStartS = shape.derived.weightBytes / (d.modelLoadGBs.value * 1e9) + d.engineInitS.value
  const profile = new RooflineServingProfile({
    id,
    model: model.name,
    gpu: gpu.name,
    tensorParallel: tp,
    kvCacheTokens,
    maxBatchSeqs,
    maxBatchTokens,
    coldStartS,
    pricePerHourUsd: perGpuUsd * tp,
    cost,
    status,
    statusBasis,
    band: r.band,
    kvAdmission: shape.kvAdmission,
  })
  const details: ProfileDetails = {
    status,
    statusNote: statusBasis,
    engine,
    precision,
    computePeakBasis: shape.peakBasis,
    weightBytesPerGpu: shape.weightBytesPerGpu,
    kvBytesPerTokenPerGpu: shape.kvBytesPerTokenPerGpu,
    activationBytesPerGpu: shape.activationBytesPerGpu,
    usableBytesPerGpu: shape.usableBytesPerGpu,
    memoryNote: shape.memoryNote,
    gpuMemoryUtilization: c.serving.engines[engine].memoryFraction.value,
    factors,
    factorsFrom: r.factorsFrom,
    coldStart: {weightBytes: shape.derived.weightBytes, loadGBs: d.modelLoadGBs.value, engineInitS: d.engineInitS.value, sources: [d.modelLoadGBs.source, d.engineInitS.source]},
    price: {
      perGpuUsd,
      source: opts.pricePerGpuHourUsd === undefined ? gpu.pricePerHourUsd.source : 'price override',
      provider: opts.pricePerGpuHourUsd === undefined ? gpu.pricePerHourUsd.provider : 'override',
      asOf: opts.pricePerGpuHourUsd === undefined ? gpu.pricePerHourUsd.asOf : 'as given',
    },
  }
  return Object.assign(profile, {engine, precision, details}) as ResolvedProfile
}

/**
 * The serving profile for (model, GPU[, TP]). Without a TP: the smallest TP shipped for the pair
 * that fits, else the smallest power of two that fits (derived). Unknown names list what exists.
 */
export function resolveServingProfile(opts: ResolveOptions): ResolvedProfile {
  const c = opts.catalog ?? loadCatalog()
  const gpu = findGpu(c, opts.gpu)
  const model = findModel(c, opts.model)
  if (opts.tensorParallel !== undefined) return buildProfile({...opts, catalog: c, tensorParallel: opts.tensorParallel})
  const shipped = c.serving.profiles
    .filter((p) => norm(p.model) === norm(model.name) && norm(p.gpu) === norm(gpu.name))
    .flatMap((p) => p.tensorParallel)
  const candidates = [...new Set([...shipped.sort((a, b) => a - b), 1, 2, 4, 8])]
  let lastError: unknown
  for (const tp of candidates) {
    try {
      return buildProfile({...opts, catalog: c, tensorParallel: tp})
    } catch (error) {
      if (!(error instanceof DoesNotFitError)) throw error
      lastError = error
    }
  }
  const combos = listServingProfiles(c).map((p) => p.id)
  throw new DoesNotFitError(
    {field: `${model.name}@${gpu.name}`},
    `${model.name} does not fit ${gpu.name} at TP ${candidates.join('/')} (last: ${(lastError as Error).message.replace(/^.*?: /, '')}); shipped profiles: ${combos.join(', ')}`,
  )
}

/** Every profile shipped in serving.yaml, built (for one engine and precision, default vllm fp16). */
export function listServingProfiles(catalog: Catalog = loadCatalog(), opts: {engine?: string; precision?: string | Precision} = {}): ResolvedProfile[] {
  return catalog.serving.profiles.flatMap((p) =>
    p.tensorParallel.flatMap((tp) => {
      try {
        return [buildProfile({model: p.model, gpu: p.gpu, tensorParallel: tp, engine: opts.engine, precision: opts.precision, catalog})]
      } catch (error) {
        // A precision or engine the GPU cannot run (fp8 on Volta, TensorRT-LLM on Volta) leaves that entry out of the list.
        if (error instanceof UnsupportedPrecisionError) return []
        if (opts.precision !== undefined && error instanceof InputError && !(error instanceof DoesNotFitError)) return []
        throw error
      }
    }),
  )
}

/**
 * Look up a profile by id ("llama-3.1-8b@A100-80GB:tp1", optionally ":tensorrt-llm" and ":fp8/fp8"
 * after the TP); unknown ids list the shipped ones.
 */
export function getServingProfile(id: string, catalog: Catalog = loadCatalog()): ResolvedProfile {
  const m = /^(.+)@([^:]+):tp(\d+)((?::[^:]+)*)$/i.exec(id.trim())
  if (m) {
    let engine: string | undefined
    let precision: string | undefined
    for (const part of m[4].split(':').filter((x) => x !== '')) {
      if ((ENGINES as readonly string[]).includes(part.toLowerCase())) engine = part
      else precision = part
    }
    return buildProfile({model: m[1], gpu: m[2], tensorParallel: Number(m[3]), engine, precision, catalog})
  }
  throw new UnknownNameError('serving profile', id, listServingProfiles(catalog).map((p) => p.id))
}
