/**
 * The roofline factors of a (GPU, engine, precision), what stands behind them (measured,
 * transferred, roofline) and their uncertainty band, from models/serving.yaml: the public-data fits
 * (`publicCalibration`) for vllm and tensorrt-llm, the Splitwise fit (`calibration`) for
 * vllm-splitwise-2023.
 */
import {join} from 'node:path'

import {InputError} from '../../errors.js'
import type {ProfileBand, ProfileStatus} from '../types.js'
import type {Catalog} from './catalog.js'
import {type Engine, isDefaultPrecision, type Precision, precisionLabel} from './precision.js'
import {boundedFactors, START} from './factor-bounds.js'
import type {CostFactors, GpuSpec} from './schema.js'
import {groupKey, transferSource} from './transfer.js'

export interface FactorResolution {
  factors: CostFactors
  status: ProfileStatus
  statusBasis: string
  band: ProfileBand
  /** How the factors were obtained (fit method or carry-over). */
  factorsFrom: string
}

const pct = (x: number): string => `${x.toFixed(1)}%`

export function resolveFactors(c: Catalog, gpu: GpuSpec, engine: Engine, precision: Precision): FactorResolution {
  const pc = c.serving.publicCalibration
  if (!pc) throw new InputError({file: join(c.dir, 'serving.yaml'), field: 'publicCalibration'}, 'no publicCalibration section: run npm run calibrate')
  const label = `${gpu.name} ${engine} ${precisionLabel(precision)}`
  if (engine === 'vllm-splitwise-2023') {
    const cal = c.serving.calibration.gpus.find((g) => g.gpu === gpu.name)
    if (!cal) throw new InputError({file: join(c.dir, 'serving.yaml'), field: 'calibration.gpus'}, `no Splitwise calibration entry for GPU ${gpu.name}: run npm run calibrate`)
    if (cal.fittedOn && isDefaultPrecision(precision)) {
      return {factors: cal.factors, status: 'measured', statusBasis: `${cal.fittedOn}; held-out median |err| ${pct(cal.heldOut?.medianAbsPct ?? 0)}`, band: pc.splitwiseBand, factorsFrom: cal.method}
    }
    const why = cal.fittedOn ? `the fp16 Splitwise fit of ${gpu.name} carried to ${precisionLabel(precision)} (no measurements at this precision)` : `${cal.method}${isDefaultPrecision(precision) ? '' : `, at ${precisionLabel(precision)}`}`
    return {factors: cal.factors, status: 'transferred', statusBasis: why, band: pc.transferBand, factorsFrom: cal.method}
  }
  const exact = pc.fits.find((f) => f.gpu === gpu.name && f.engine === engine && f.weights === precision.weights && f.kv === precision.kv)
  if (exact) {
    return {
      factors: exact.factors,
      status: 'measured',
      statusBasis: `fitted on ${exact.fitRows} public rows of ${groupKey(exact)} (${exact.sources.join(', ')}); holdout: ${exact.holdout.rows} rows, throughput median |err| ${pct(exact.holdout.throughputMedianAbsPct)}, p90 ${pct(exact.holdout.throughputP90AbsPct)}`,
      band: exact.band,
      factorsFrom: exact.method,
    }
  }
  const src = transferSource(pc.fits, gpu.name, engine, precision.weights, precision.kv)
  if (!src) {
    return {factors: boundedFactors(START, 'max'), status: 'roofline', statusBasis: `no ${engine} fit on any GPU: the roofline on start factors (0.65 compute, 0.69 HBM efficiency)`, band: pc.rooflineBand, factorsFrom: 'start factors'}
  }
  const tie = pc.v100Tie
  if (gpu.name === 'V100-32GB' && groupKey(src) === tie.from) {
    return {
      factors: {...src.factors, timeScale: tie.timeScale},
      status: 'transferred',
      statusBasis: `${label} has no long-output measurements: the ${tie.from} fit (${src.fitRows} rows) on V100 peaks, tied by ${tie.pairsFit} same-harness V100:A100 throughput ratios (infpop) with step time x${tie.timeScale}; ${tie.pairsHoldout} held-out ratios: median |err| ${pct(tie.holdoutRatioMedianAbsPct)}`,
      band: tie.band,
      factorsFrom: `${src.method}; ${tie.method}`,
    }
  }
  // The all-reduce runs over this GPU's own node links: where another engine's fit on this GPU
  // measured TP > 1, its link efficiency replaces the carried one (e.g. A100-80GB NVSwitch nodes
  // against the A100-40GB harness whose TP scaling was poor). The per-all-reduce latency stays the
  // carried engine's: offline-only fits cannot see it (it matters at small batches only).
  const own = src.gpu === gpu.name ? undefined : pc.fits.filter((f) => f.gpu === gpu.name && f.tps.some((t) => t > 1)).sort((a, b) => b.fitRows - a.fitRows)[0]
  const factors = own ? {...src.factors, commEff: own.factors.commEff} : src.factors
  return {
    factors,
    status: 'transferred',
    statusBasis: `no fitted rows for ${label}: factors of ${groupKey(src)} (${src.fitRows} rows) carried over${own ? `, all-reduce link efficiency from ${groupKey(own)}` : ''}; band from leave-one-GPU-out residuals`,
    band: pc.transferBand,
    factorsFrom: src.method,
  }
}
