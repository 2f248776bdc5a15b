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
import type {GpuProfile, ServingProfile} from '../types.js'
import {deriveLlm, type LlmDerived} from './llm.js'
import {modelsDir} from './paths.js'
import {RooflineCost, RooflineServingProfile} from './roofline.js'
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
    data = parseYaml(text)
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

export type ProfileStatus = ServingProfile['status']

/** A serving profile plus what it was built from: for `profiles show` and reports. */
export interface ResolvedProfile extends RooflineServingProfile {
  readonly details: ProfileDetails
}

export interface ProfileDetails {
  status: ProfileStatus
  statusNote: string
  weightBytesPerGpu: number
  kvBytesPerTokenPerGpu: number
  activationBytesPerGpu: number
  usableBytesPerGpu: number
  gpuMemoryUtilization: number
  factors: CostFactors
  factorsFrom: string
  coldStart: {weightBytes: number; loadGBs: number; engineInitS: number; sources: string[]}
  price: {perGpuUsd: number; source: string}
}

export interface ResolveOptions {
  model: string
  gpu: string
  /** Default: the smallest TP shipped in serving.yaml for (model, GPU) whose weights fit. */
  tensorParallel?: number
  /** Override the GPU's price per hour (USD per GPU). */
  pricePerGpuHourUsd?: number
  /**
   * Replace the fitted CPU/scheduler overheads with a named set from serving.yaml engineOverheads
   * (e.g. "blis-vllm": BLIS's trained-physics β5–β7, a newer vLLM than Splitwise measured).
   */
  engineOverheads?: string
  catalog?: Catalog
}

/**
 * Bytes one GPU reserves for the forward pass's activations at the largest step: the MLP's
 * intermediate (gate and up, split by TP) and the residual stream for every token of the step, plus
 * FP32 logits for every sequence. A derived estimate (vLLM measures it with a profiling run).
 */
function activationBytes(m: LlmSpec, tp: number, maxBatchTokens: number, maxBatchSeqs: number): number {
  const perToken = (4 * m.hiddenSize + (2 * m.intermediateSize) / tp) * m.bytesPerParam
  return maxBatchTokens * perToken + maxBatchSeqs * m.vocabSize * 4
}

/** Build the profile for (model, GPU, TP) from the roofline; throws when the weights do not fit. */
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
  const derived = deriveLlm(model)
  const d = c.serving.defaults
  const entry = c.serving.profiles.find((p) => norm(p.model) === norm(model.name) && norm(p.gpu) === norm(gpu.name) && p.tensorParallel.includes(tp))
  const maxBatchSeqs = entry?.maxBatchSeqs ?? d.maxBatchSeqs.value
  const maxBatchTokens = entry?.maxBatchTokens ?? d.maxBatchTokens.value
  const cal = gpuCalibration(gpu.name, c)
  let factors = cal.factors
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
  const cost = new RooflineCost(
    {derived, layers: model.layers, hiddenSize: model.hiddenSize, kvHeads: model.kvHeads},
    {denseTflops: gpu.denseBf16Tflops.value, hbmBandwidthGBs: gpu.hbmBandwidthGBs.value, interconnectGBs: gpu.interconnectGBs.value},
    tp,
    factors,
  )
  const util = d.gpuMemoryUtilization.value
  const usable = gpu.memoryGiB.value * 2 ** 30 * util
  const weightsPerGpu = derived.weightBytes / tp
  const act = activationBytes(model, tp, maxBatchTokens, maxBatchSeqs)
  const kvCacheTokens = Math.floor((usable - weightsPerGpu - act) / cost.kvBytesPerTokenPerGpu)
  const id = `${model.name}@${gpu.name}:tp${tp}${opts.engineOverheads === undefined ? '' : `+${opts.engineOverheads}`}`
  if (kvCacheTokens < maxBatchTokens) {
    const gib = (x: number): string => (x / 2 ** 30).toFixed(1)
    throw new DoesNotFitError(
      {field: id},
      `${model.name} does not fit ${gpu.name} at TP ${tp}: ${gib(weightsPerGpu)} GiB of weights + ${gib(act)} GiB of activations per GPU leave room for ${Math.max(0, kvCacheTokens)} KV tokens of ${gib(usable)} GiB usable (${util} of ${gpu.memoryGiB.value} GiB); need at least ${maxBatchTokens} (max batched tokens); try a larger --tp`,
    )
  }
  const {status, statusBasis, band} = interimUncertainty(model.name, gpu.name, cal)
  const shipped = entry ? 'shipped in serving.yaml' : 'not in serving.yaml: derived'
  const note = `${status}: ${statusBasis} (${shipped})${overheadNote}`
  const perGpuUsd = opts.pricePerGpuHourUsd ?? gpu.pricePerHourUsd.value
  const coldStartS = derived.weightBytes / (d.modelLoadGBs.value * 1e9) + d.engineInitS.value
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
    band,
    status,
    statusBasis,
  })
  const details: ProfileDetails = {
    status,
    statusNote: note,
    weightBytesPerGpu: weightsPerGpu,
    kvBytesPerTokenPerGpu: cost.kvBytesPerTokenPerGpu,
    activationBytesPerGpu: act,
    usableBytesPerGpu: usable,
    gpuMemoryUtilization: util,
    factors,
    factorsFrom: cal.method,
    coldStart: {weightBytes: derived.weightBytes, loadGBs: d.modelLoadGBs.value, engineInitS: d.engineInitS.value, sources: [d.modelLoadGBs.source, d.engineInitS.source]},
    price: {
      perGpuUsd,
      source: opts.pricePerGpuHourUsd === undefined ? gpu.pricePerHourUsd.source : 'price override',
    },
  }
  return Object.assign(profile, {details}) as ResolvedProfile
}

/**
 * INTERIM, until profiles are calibrated per (GPU, engine, precision) on the public data: status and
 * uncertainty band from what models/serving.yaml holds today (Splitwise fits of A100-80GB and H100-SXM
 * on llama-2-70b, BLOOM-176B compared). The band is ± the p90 absolute step-time error q, read as
 * measured/predicted ∈ [1/(1+q), 1/(1−q)] (errors are (predicted − measured)/measured), covering
 * nominally 90 % of the rows q was taken from:
 * - measured (this GPU and model have Splitwise rows): q = the GPU's held-out p90 (serving.yaml
 *   calibration.gpus[].heldOut, every 4th configuration held out of the fit);
 * - transferred (factors fitted on another model of this GPU, or on a GPU of the same architecture):
 *   q = 32.55 %, the p90 error of pretending a measured GPU was unmeasured — H100-SXM's 150 Splitwise
 *   rows predicted with A100-80GB's factors (A100-80GB with H100-SXM's: 24.71 %; the larger is kept);
 * - roofline (another architecture's efficiencies on this GPU's peaks): q = 44.01 %, the largest
 *   error of that cross-GPU check — nothing of this GPU was measured, so the coverage is unchecked.
 * Figures measured with compare() of src/fleet/profiles/calibrate.ts on data/calibration/
 * splitwise_perf_model.csv (the helper script is quoted in docs/simulator.md, "Error bands").
 */
export function interimUncertainty(model: string, gpu: string, cal: GpuCalibration): Pick<ServingProfile, 'status' | 'statusBasis' | 'band'> {
  const splitwiseModels = ['llama-2-70b', 'bloom-176b']
  const arch = (name: string): string => (/^(H100|H200|GH200)/i.test(name) ? 'hopper' : /^(A100|A40|A10)/i.test(name) ? 'ampere' : /^(L4|L40)/i.test(name) ? 'ada' : name)
  const band = (q: number, basis: string): ServingProfile['band'] => ({slow: 1 / (1 - q), fast: 1 / (1 + q), coverage: 0.9, basis: `interim: ${basis}`})
  const transfer = band(0.3255, 'p90 error of A100-80GB factors on H100-SXM measurements (a measured GPU treated as unmeasured)')
  if (cal.fittedOn !== undefined && cal.heldOut !== undefined) {
    if (splitwiseModels.includes(model)) {
      return {status: 'measured', statusBasis: `fitted on ${gpu} Splitwise measurements (${cal.fittedOn})`, band: band(cal.heldOut.p90AbsPct / 100, `p90 of ${cal.heldOut.rows} held-out ${gpu} step times, ${cal.heldOut.p90AbsPct} %`)}
    }
    return {status: 'transferred', statusBasis: `factors fitted on llama-2-70b measurements of ${gpu}, carried to ${model}`, band: transfer}
  }
  const from = /with the (\S+) fit carried over/.exec(cal.method)?.[1]
  if (from !== undefined && arch(from) === arch(gpu)) {
    return {status: 'transferred', statusBasis: `no ${gpu} measurements: ${from}'s fitted factors on ${gpu}'s peaks (same architecture)`, band: transfer}
  }
  return {
    status: 'roofline',
    statusBasis: `no ${gpu} measurements: ${from ?? 'another GPU'}'s efficiencies applied to ${gpu}'s peaks (another architecture)`,
    band: band(0.4401, 'largest error of the A100-80GB/H100-SXM cross-check (44.01 %); coverage not checked on this GPU'),
  }
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

/** Every profile shipped in serving.yaml, built. */
export function listServingProfiles(catalog: Catalog = loadCatalog()): ResolvedProfile[] {
  return catalog.serving.profiles.flatMap((p) =>
    p.tensorParallel.map((tp) => buildProfile({model: p.model, gpu: p.gpu, tensorParallel: tp, catalog})),
  )
}

/** Look up a shipped profile by id ("llama-3.1-8b@A100-80GB:tp1"); unknown ids list the valid ones. */
export function getServingProfile(id: string, catalog: Catalog = loadCatalog()): ResolvedProfile {
  const m = /^(.+)@(.+):tp(\d+)$/i.exec(id.trim())
  const all = listServingProfiles(catalog)
  const hit = all.find((p) => norm(p.id) === norm(id))
  if (hit) return hit
  if (m) return buildProfile({model: m[1], gpu: m[2], tensorParallel: Number(m[3]), catalog})
  throw new UnknownNameError('serving profile', id, all.map((p) => p.id))
}
