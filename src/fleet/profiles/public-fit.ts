/**
 * Calibration on the public measurements: one set of roofline factors per (GPU, engine, weight
 * precision) with at least MIN_FIT_ROWS `fit` rows, fitted by least squares of log(predicted /
 * measured time) (Nelder–Mead, the three combine forms compared), then validated on what the fit
 * never saw: the `holdout` rows, each TP degree left out, each source left out, and each GPU left
 * out (its factors transferred from another GPU as an unmeasured GPU's would be). The residuals
 * give every profile its uncertainty band.
 */
import {median, quantile} from 'simple-statistics'

import {nelderMead} from '../../util/nelder-mead.js'
import {roundFactors} from './calibrate.js'
import type {Catalog} from './catalog.js'
import type {Engine, KvPrecision, WeightPrecision} from './precision.js'
import {groupKey, type PublicRow} from './public-data.js'
import type {RooflineCost} from './roofline.js'
import {predictRow, rowExclusion, staticBatchS} from './row-model.js'
import {costOf, type ReplicaShape, replicaShape} from './shape.js'
import type {CostFactors, GroupStats, PublicFit, ValidationRow} from './schema.js'
import {transferSource} from './transfer.js'
import {BAND_LEVEL, conformalBand, coveragePct, CV_FOLDS} from './band-coverage.js'
import {boundedFactors, START} from './factor-bounds.js'

export {boundedFactors, START} from './factor-bounds.js'

/** A group needs this many fit rows to be fitted (and its profiles to be `measured`). */
export const MIN_FIT_ROWS = 20
/** Nominal coverage of a band: the 10th to the 90th percentile of time ratios. */
export const BAND_COVERAGE = 0.8

export interface PreparedRow {
  row: PublicRow
  shape: ReplicaShape
  group: string
  excluded?: string
}

/** Build each row's replica shape once (the fit varies only the factors). */
export function prepareRows(catalog: Catalog, rows: readonly PublicRow[]): PreparedRow[] {
  const out: PreparedRow[] = []
  const shapes = new Map<string, ReplicaShape | string>()
  for (const row of rows) {
    if (row.kind !== 'static' && row.kind !== 'offline') continue
    const key = `${row.model}|${row.gpu}|${row.tp}|${row.engine}|${row.weights}|${row.kv}`
    let shape = shapes.get(key)
    if (shape === undefined) {
      const model = catalog.models.find((m) => m.name === row.model)!
      const gpu = catalog.gpus.find((g) => g.name === row.gpu)!
      shape = replicaShape(catalog, model, gpu, row.tp, row.engine, {weights: row.weights, kv: row.kv})
      if (shape.kvCacheTokens <= 0) shape = 'weights do not fit the GPUs at this TP by our memory model'
      shapes.set(key, shape)
    }
    if (typeof shape === 'string') {
      out.push({row, shape: undefined as unknown as ReplicaShape, group: groupKey(row), excluded: shape})
      continue
    }
    out.push({row, shape, group: groupKey(row), excluded: rowExclusion(row, shape) ?? beyondHardware(row, shape)})
  }
  return out
}

const toFactors = boundedFactors

/** The roofline at 100% of every peak with no overheads: nothing measured can beat it. */
const IDEAL: CostFactors = {computeEff: 1, attentionEff: 1, memEff: 1, commEff: 1, stepOverheadS: 0, seqOverheadS: 0, prefillOverheadS: 0, allReduceLatencyS: 0, combine: 'max'}

/** A row faster than the ideal roofline by over 10% (e.g. qwen2-7b 2048/2048 at 49,586 tok/s, batch 1) did not run what it says. */
function beyondHardware(row: PublicRow, shape: ReplicaShape): string | undefined {
  const p = predictRow(row, shape, costOf(shape, IDEAL))
  return p.measTokS > 1.1 * p.predTokS ? 'faster than the GPU peaks allow (above the ideal roofline by >10%): not what the row says it ran' : undefined
}

/** Predictions for rows under one set of factors (a cost per distinct shape). */
function predictAll(rows: readonly PreparedRow[], f: CostFactors): {p: PreparedRow; pred: ReturnType<typeof predictRow>}[] {
  const costs = new Map<ReplicaShape, RooflineCost>()
  return rows.map((p) => {
    let cost = costs.get(p.shape)
    if (!cost) costs.set(p.shape, (cost = costOf(p.shape, f)))
    return {p, pred: predictRow(p.row, p.shape, cost)}
  })
}

/** Measured time over predicted time: > 1 when the model is optimistic. */
const timeRatio = (pred: {predTokS: number; measTokS: number}): number => pred.predTokS / pred.measTokS

export function stats(rows: readonly PreparedRow[], f: CostFactors): GroupStats & {ratios: number[]} {
  const preds = predictAll(rows, f)
  const tput = preds.map((x) => Math.abs(x.pred.predTokS / x.pred.measTokS - 1) * 100)
  const lat = preds.filter((x) => x.pred.predLatS !== undefined).map((x) => Math.abs(x.pred.predLatS! / x.pred.measLatS! - 1) * 100)
  const r2 = (x: number): number => Number(x.toFixed(2))
  const q = (xs: number[], p: number): number => (xs.length === 0 ? 0 : r2(p === 0.5 ? median(xs) : quantile(xs, p)))
  return {
    rows: preds.length,
    throughputMedianAbsPct: q(tput, 0.5),
    throughputP90AbsPct: q(tput, 0.9),
    latencyRows: lat.length,
    latencyMedianAbsPct: q(lat, 0.5),
    latencyP90AbsPct: q(lat, 0.9),
    ratios: preds.map((x) => timeRatio(x.pred)),
  }
}

const plain = (s: GroupStats & {ratios?: number[]}): GroupStats => ({
  rows: s.rows,
  throughputMedianAbsPct: s.throughputMedianAbsPct,
  throughputP90AbsPct: s.throughputP90AbsPct,
  latencyRows: s.latencyRows,
  latencyMedianAbsPct: s.latencyMedianAbsPct,
  latencyP90AbsPct: s.latencyP90AbsPct,
})

/** Least squares of log(predicted/measured time) over the rows, one combine form. */
export function fitGroup(rows: readonly PreparedRow[], combine: CostFactors['combine'], start: readonly number[] = START): {factors: CostFactors; rmsLog: number; x: number[]} {
  const loss = (x: readonly number[]): number => {
    let s = 0
    for (const {pred} of predictAll(rows, toFactors(x, combine))) {
      const e = Math.log(timeRatio(pred))
      s += e * e
    }
    return s
  }
  const budget = {maxEvaluations: Number.POSITIVE_INFINITY, tolerance: 1e-10}
  let r = nelderMead(loss, start, {step: 0.7, maxIterations: 1500, ...budget})
  r = nelderMead(loss, r.x, {step: 0.2, maxIterations: 800, ...budget})
  r = nelderMead(loss, r.x, {step: 0.05, maxIterations: 400, ...budget})
  // Rows of TP 1 alone say nothing about the all-reduce: its terms drift to a bound unchecked.
  // Keep them at the start values so that a transfer to TP > 1 carries a neutral guess.
  const x = [...r.x]
  if (!rows.some((p) => p.row.tp > 1)) {
    x[2] = START[2]
    x[6] = START[6]
  }
  return {factors: roundFactors(toFactors(x, combine)), rmsLog: Math.sqrt(r.fx / Math.max(1, rows.length)), x}
}

/** Each fit row scored by factors refitted without its fold (same combine form): out-of-fold time ratios. */
function outOfFoldRatios(train: readonly PreparedRow[], combine: CostFactors['combine']): number[] {
  const out: number[] = []
  for (let k = 0; k < CV_FOLDS; k++) {
    const rest = train.filter((_, i) => i % CV_FOLDS !== k)
    const fold = train.filter((_, i) => i % CV_FOLDS === k)
    if (fold.length === 0 || rest.length === 0) continue
    out.push(...stats(fold, fitGroup(rest, combine).factors).ratios)
  }
  return out
}

/** The band of a set of time ratios: its 10th and 90th percentiles, clamped to include 1. */
export function bandOf(ratios: readonly number[], basis: string): {slow: number; fast: number; coverage: number; basis: string} {
  const r3 = (x: number): number => Number(x.toFixed(3))
  if (ratios.length === 0) return {slow: 1, fast: 1, coverage: BAND_COVERAGE, basis: `${basis} (no rows)`}
  return {
    slow: r3(Math.max(1, quantile([...ratios], 0.9))),
    fast: r3(Math.min(1, quantile([...ratios], 0.1))),
    coverage: BAND_COVERAGE,
    basis: `${basis}: 10th-90th percentile of measured/predicted time over ${ratios.length} rows`,
  }
}

export interface PublicFitResult {
  fits: PublicFit[]
  validation: ValidationRow[]
  transferRatios: number[]
  rooflineRatios: number[]
  prepared: PreparedRow[]
}

const byGroup = (rows: readonly PreparedRow[]): Map<string, PreparedRow[]> => {
  const m = new Map<string, PreparedRow[]>()
  for (const r of rows) {
    if (r.excluded) continue
    let list = m.get(r.group)
    if (!list) m.set(r.group, (list = []))
    list.push(r)
  }
  return m
}

/** Fit every group with enough fit rows; `refit` false reuses nothing (always fits). */
export function fitPublic(catalog: Catalog, rows: readonly PublicRow[]): PublicFitResult {
  const prepared = prepareRows(catalog, rows)
  const groups = byGroup(prepared)
  const fits: PublicFit[] = []
  const validation: ValidationRow[] = []
  const keys = [...groups.keys()].sort()
  for (const key of keys) {
    const all = groups.get(key)!
    const train = all.filter((r) => r.row.split === 'fit')
    if (train.length < MIN_FIT_ROWS) continue
    const hold = all.filter((r) => r.row.split === 'holdout')
    const forms = (['max', 'overlap', 'sum'] as const).map((c) => fitGroup(train, c))
    const best = forms.reduce((a, b) => (b.rmsLog < a.rmsLog ? b : a))
    const h = stats(hold, best.factors)
    // The band comes from out-of-fold residuals of the fit rows; the holdout rows only judge it.
    const oof = outOfFoldRatios(train, best.factors.combine)
    const band = conformalBand(oof, BAND_LEVEL, `${CV_FOLDS}-fold cross-validation residuals of the ${train.length} fit rows of ${key}`)
    const first = all[0].row
    fits.push({
      gpu: first.gpu,
      engine: first.engine,
      weights: first.weights,
      kv: first.kv,
      method: `least squares of log(predicted/measured time), Nelder-Mead; rms log error by form: ${forms.map((f) => `${f.factors.combine} ${f.rmsLog.toFixed(4)}`).join(', ')}; kept ${best.factors.combine}`,
      factors: best.factors,
      fitRows: train.length,
      tps: [...new Set(train.map((r) => r.row.tp))].sort((a, b) => a - b),
      sources: [...new Set(train.map((r) => r.row.sourceId))].sort(),
      train: plain(stats(train, best.factors)),
      holdout: plain(h),
      band,
      bandHoldoutCoverage: {rows: h.ratios.length, pct: coveragePct(h.ratios, band)},
    })
    validation.push({kind: 'holdout', group: key, left: 'holdout rows', stats: plain(h)})
    const offline = hold.filter((r) => r.row.kind === 'offline')
    if (offline.length > 0) validation.push({kind: 'holdout-offline', group: key, left: 'offline max-throughput holdout rows', stats: plain(stats(offline, best.factors))})
    // Leave one TP degree out, then one source out: refit without it, score it (fit and holdout rows).
    for (const [kind, label, of] of [
      ['leave-one-TP-out', 'tp', (r: PreparedRow) => String(r.row.tp)],
      ['leave-one-source-out', 'source', (r: PreparedRow) => r.row.sourceId],
    ] as const) {
      const values = [...new Set(train.map(of))].sort()
      if (values.length < 2) continue
      for (const v of values) {
        const rest = train.filter((r) => of(r) !== v)
        if (rest.length < MIN_FIT_ROWS / 2) continue
        const refit = fitGroup(rest, best.factors.combine)
        validation.push({kind, group: key, left: `${label} ${v}`, stats: plain(stats(all.filter((r) => of(r) === v), refit.factors))})
      }
    }
  }
  // Leave one GPU out: the group scored with the factors it would have been given unmeasured.
  const transferRatios: number[] = []
  for (const f of fits) {
    const src = transferSource(fits, f.gpu, f.engine as Engine, f.weights as WeightPrecision, f.kv as KvPrecision, f.gpu)
    if (!src) continue
    const s = stats(groups.get(groupKey(f))!, src.factors)
    transferRatios.push(...s.ratios)
    validation.push({kind: 'leave-one-GPU-out', group: groupKey(f), left: `${f.gpu} (factors from ${groupKey(src)})`, stats: plain(s)})
  }
  // Groups too small to fit: scored with the factors a profile of theirs is given (a transfer test).
  for (const [key, all] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (fits.some((f) => groupKey(f) === key)) continue
    const r0 = all[0].row
    const src = transferSource(fits, r0.gpu, r0.engine, r0.weights, r0.kv)
    if (!src) continue
    const s = stats(all, src.factors)
    // An FP8 KV cache without FP8 hardware is refused by the profile builder: reported, not pooled.
    const refused = r0.kv === 'fp8' && !catalog.gpus.find((g) => g.name === r0.gpu)?.denseFp8Tflops
    if (!refused) transferRatios.push(...s.ratios)
    validation.push({kind: refused ? 'not-modelled' : 'unfitted-group', group: key, left: `${refused ? 'refused (fp8 KV without FP8 hardware): ' : ''}all ${all.length} rows (factors from ${groupKey(src)})`, stats: plain(s)})
  }
  // The unfitted roofline: start factors on every modelled row.
  const startFactors = toFactors(START, 'max')
  const rooflineRatios = stats([...groups.values()].flat(), startFactors).ratios
  return {fits, validation, transferRatios, rooflineRatios, prepared}
}

/** Assumed lengths of the infpop rows (not stated): HumanEval-infilling prompts, max_tokens 5. */
export const INFPOP_ASSUMED = {isl: 200, osl: 5}

export interface V100Tie {
  from: string
  timeScale: number
  pairsFit: number
  pairsHoldout: number
  holdoutRatioMedianAbsPct: number
  residuals: number[]
}

/**
 * V100 has no long-output measurements: its factors are A100-40GB's vLLM fit, tied by the infpop
 * harness's V100:A100 throughput ratios on the same (model, TP, batch). The scale is the median of
 * predicted/measured ratio over the fit pairs; the holdout pairs score it.
 */
export function v100Tie(catalog: Catalog, rows: readonly PublicRow[], fits: readonly PublicFit[]): V100Tie {
  const base = fits.find((f) => f.gpu === 'A100-40GB' && f.engine === 'vllm' && f.weights === 'fp16' && f.kv === 'fp16')
  if (!base) throw new Error('no A100-40GB vLLM fp16 fit to tie V100 to')
  const ratioRows = rows.filter((r) => r.kind === 'ratio')
  const key = (r: PublicRow): string => `${r.model}|${r.tp}|${r.batch}`
  const a100 = new Map(ratioRows.filter((r) => r.gpu === 'A100-40GB').map((r) => [key(r), r]))
  const pairs: {split: string; measured: number; predicted: number}[] = []
  for (const v of ratioRows.filter((r) => r.gpu === 'V100-32GB')) {
    const a = a100.get(key(v))
    if (!a) continue
    const model = catalog.models.find((m) => m.name === v.model)!
    const tput = (gpuName: string): number | undefined => {
      const gpu = catalog.gpus.find((g) => g.name === gpuName)!
      const shape = replicaShape(catalog, model, gpu, v.tp, 'vllm', {weights: 'fp16', kv: 'fp16'})
      if (shape.kvCacheTokens < v.batch * (INFPOP_ASSUMED.isl + INFPOP_ASSUMED.osl)) return undefined
      return (v.batch * INFPOP_ASSUMED.osl) / staticBatchS(costOf(shape, base.factors), INFPOP_ASSUMED.isl, INFPOP_ASSUMED.osl, v.batch)
    }
    const pv = tput('V100-32GB')
    const pa = tput('A100-40GB')
    if (pv === undefined || pa === undefined) continue
    pairs.push({split: v.split, measured: v.outputTokS! / a.outputTokS!, predicted: pv / pa})
  }
  const fitPairs = pairs.filter((p) => p.split === 'fit')
  const timeScale = Number(median(fitPairs.map((p) => p.predicted / p.measured)).toFixed(4))
  const hold = pairs.filter((p) => p.split === 'holdout')
  // Residual as a time ratio: measured V100 time / predicted (after the tie), relative to A100.
  const residuals = hold.map((p) => p.predicted / timeScale / p.measured)
  return {
    from: groupKey(base),
    timeScale,
    pairsFit: fitPairs.length,
    pairsHoldout: hold.length,
    holdoutRatioMedianAbsPct: hold.length === 0 ? 0 : Number(median(residuals.map((r) => Math.abs(r - 1) * 100)).toFixed(2)),
    residuals,
  }
}
