/**
 * The generated `publicCalibration` section of models/serving.yaml: the fits, every validation
 * (holdout, leave-one-TP/source/GPU-out), the V100 tie and the bands; and its tables (markdown for
 * docs/profiles.md, plain text for `npm run calibrate -- --check`).
 */
import {quantile} from 'simple-statistics'

import type {CalibrationResult} from './calibrate.js'
import {FIT_MODEL} from './calibrate.js'
import type {Catalog} from './catalog.js'
import {loadPublicData} from './public-data.js'
import {BAND_LEVEL, CV_FOLDS} from './band-coverage.js'
import {BAND_COVERAGE, bandOf, fitPublic, MIN_FIT_ROWS, v100Tie} from './public-fit.js'
import type {PublicCalibration} from './schema.js'

export const PUBLIC_DATA_NOTE =
  'data/calibration/public/public_serving_measurements.csv (sources, licenses and methods: SOURCES.md and methods.csv beside it); split=fit rows fitted, split=holdout rows only scored'

export function buildPublicCalibration(catalog: Catalog, csvPath: string, splitwise: CalibrationResult): PublicCalibration {
  const data = loadPublicData(catalog, csvPath)
  const r = fitPublic(catalog, data.rows)
  const excluded: Record<string, number> = {...data.skipped}
  for (const p of r.prepared) if (p.excluded) excluded[p.excluded] = (excluded[p.excluded] ?? 0) + 1
  const tie = v100Tie(catalog, data.rows, r.fits)
  const base = r.fits.find((f) => `${f.gpu} ${f.engine} ${f.weights}` === tie.from)!
  const transferBand = bandOf(r.transferRatios, 'leave-one-GPU-out and unfitted-precision rows (each scored with transferred factors)')
  const r3 = (x: number): number => Number(x.toFixed(3))
  // V100: the A100 band times the spread of the tie's held-out ratios, never narrower than a transfer.
  const tieSlow = base.band.slow * Math.max(1, quantile(tie.residuals, 0.9))
  const tieFast = base.band.fast * Math.min(1, quantile(tie.residuals, 0.1))
  const tieBand = {
    slow: r3(Math.max(tieSlow, transferBand.slow)),
    fast: r3(Math.min(tieFast, transferBand.fast)),
    coverage: BAND_COVERAGE,
    basis: `${tie.from} band (cross-validated) x the 10th-90th percentile of ${tie.residuals.length} held-out V100:A100 ratio residuals, widened to the transfer band where that is wider`,
  }
  const swRatios = splitwise.comparisons.filter((c) => c.set === 'held-out' && c.profile.startsWith(`${FIT_MODEL}@`)).map((c) => c.measuredMs / c.predictedMs)
  return {
    data: PUBLIC_DATA_NOTE,
    method:
      'one set of roofline factors per (GPU, engine, weight/KV precision) with at least minFitRows fit rows: least squares of log(predicted/measured time) by Nelder-Mead, efficiencies and overheads bounded, combine forms max/overlap/sum compared; LIB static batches modelled as one prefill of the batch plus a closed-form decode run, TensorRT-LLM offline rows as the steady state of a saturated continuously-batching replica (row-model.ts)',
    minFitRows: MIN_FIT_ROWS,
    skipped: Object.fromEntries(Object.entries(excluded).sort(([a], [b]) => (a < b ? -1 : 1))),
    fits: r.fits,
    validation: r.validation,
    transferBand,
    rooflineBand: bandOf(r.rooflineRatios, 'every modelled row on start factors (0.65 compute, 0.69 HBM efficiency, BLIS-like overheads)'),
    splitwiseBand: bandOf(swRatios, `held-out Splitwise ${FIT_MODEL} rows (prompt_time and token_time)`),
    v100Tie: {
      from: tie.from,
      timeScale: tie.timeScale,
      pairsFit: tie.pairsFit,
      pairsHoldout: tie.pairsHoldout,
      holdoutRatioMedianAbsPct: tie.holdoutRatioMedianAbsPct,
      band: tieBand,
      method: `infpop V100 and A100-40GB rows paired on (model, TP, batch); prompt ${200} and output 5 tokens assumed (not stated); time scale = median predicted/measured V100:A100 ratio over the fit pairs`,
    },
  }
}

const f1 = (x: number): string => `${x.toFixed(1)}%`

/** Rows of one table: group, left out, rows, throughput median/p90, latency median/p90. */
function rowsOf(pc: PublicCalibration, kinds: string[]): string[][] {
  return pc.validation
    .filter((v) => kinds.includes(v.kind))
    .map((v) => [v.group, v.left, String(v.stats.rows), f1(v.stats.throughputMedianAbsPct), f1(v.stats.throughputP90AbsPct), v.stats.latencyRows === 0 ? '-' : `${f1(v.stats.latencyMedianAbsPct)} / ${f1(v.stats.latencyP90AbsPct)} (${v.stats.latencyRows})`])
}

const HEAD = ['group (GPU engine precision)', 'scored rows', 'rows', 'tput median |err|', 'tput p90', 'per-token latency median / p90 (rows)']

export interface Table {
  title: string
  head: string[]
  rows: string[][]
}

export function publicTables(pc: PublicCalibration): Table[] {
  const fits: Table = {
    title: `Fits (groups with >= ${pc.minFitRows} fit rows) and their holdout errors; band = step-time multipliers (fast-slow)`,
    head: ['group', 'fit rows', 'form', 'computeEff', 'memEff', 'train median', 'holdout rows', 'holdout tput median', 'holdout tput p90', 'holdout latency median / p90', 'band', 'holdout rows in band'],
    rows: pc.fits.map((f) => [
      `${f.gpu} ${f.engine} ${f.kv === 'fp16' ? f.weights : `${f.weights}/${f.kv}`}`,
      String(f.fitRows),
      f.factors.combine,
      String(f.factors.computeEff),
      String(f.factors.memEff),
      f1(f.train.throughputMedianAbsPct),
      String(f.holdout.rows),
      f1(f.holdout.throughputMedianAbsPct),
      f1(f.holdout.throughputP90AbsPct),
      f.holdout.latencyRows === 0 ? '-' : `${f1(f.holdout.latencyMedianAbsPct)} / ${f1(f.holdout.latencyP90AbsPct)}`,
      `${f.band.fast}-${f.band.slow}`,
      f.bandHoldoutCoverage?.pct == null ? '-' : `${f.bandHoldoutCoverage.pct}%`,
    ]),
  }
  const cov = pc.fits.filter((f) => f.bandHoldoutCoverage?.pct != null)
  const inside = cov.reduce((s, f) => s + (f.bandHoldoutCoverage!.pct! * f.bandHoldoutCoverage!.rows) / 100, 0)
  const rows = cov.reduce((s, f) => s + f.bandHoldoutCoverage!.rows, 0)
  const worst = cov.reduce((a, f) => Math.min(a, f.bandHoldoutCoverage!.pct!), 100)
  const coverage: Table = {
    title: `Band coverage out of sample: each band from ${CV_FOLDS}-fold cross-validation residuals of its fit rows (split-conformal, ${Math.round(BAND_LEVEL * 100)}%), judged on holdout rows it never saw`,
    head: ['groups with holdout rows', 'holdout rows', 'inside their band', 'lowest group'],
    rows: [[String(cov.length), String(rows), rows === 0 ? '-' : `${((100 * inside) / rows).toFixed(1)}%`, `${worst}%`]],
  }
  return [
    fits,
    coverage,
    {title: 'Offline max-throughput holdout rows (TensorRT-LLM perf-overview, analytic steady state)', head: HEAD, rows: rowsOf(pc, ['holdout-offline'])},
    {title: 'Leave one TP degree out (refit without it, score its rows)', head: HEAD, rows: rowsOf(pc, ['leave-one-TP-out'])},
    {title: 'Leave one GPU out (score a measured GPU with the factors it would get unmeasured)', head: HEAD, rows: rowsOf(pc, ['leave-one-GPU-out'])},
    {title: 'Leave one source out (refit without it, score its rows)', head: HEAD, rows: rowsOf(pc, ['leave-one-source-out'])},
    {title: 'Groups too small to fit, scored with the factors their profiles get', head: HEAD, rows: rowsOf(pc, ['unfitted-group', 'not-modelled'])},
    {
      title: 'Bands (step-time multipliers: fast edge, slow edge; nominal coverage 80%)',
      head: ['band', 'fast', 'slow', 'basis'],
      rows: [
        ['transferred', String(pc.transferBand.fast), String(pc.transferBand.slow), pc.transferBand.basis],
        ['roofline', String(pc.rooflineBand.fast), String(pc.rooflineBand.slow), pc.rooflineBand.basis],
        ['vllm-splitwise-2023 measured', String(pc.splitwiseBand.fast), String(pc.splitwiseBand.slow), pc.splitwiseBand.basis],
        ['V100 (tied to A100-40GB)', String(pc.v100Tie.band.fast), String(pc.v100Tie.band.slow), pc.v100Tie.band.basis],
      ],
    },
    {
      title: 'V100 tie',
      head: ['from', 'time scale', 'fit pairs', 'holdout pairs', 'holdout ratio median |err|'],
      rows: [[pc.v100Tie.from, String(pc.v100Tie.timeScale), String(pc.v100Tie.pairsFit), String(pc.v100Tie.pairsHoldout), f1(pc.v100Tie.holdoutRatioMedianAbsPct)]],
    },
  ]
}

export function markdownTables(tables: readonly Table[]): string {
  const out: string[] = []
  for (const t of tables) {
    out.push(`**${t.title}**`, '', `| ${t.head.join(' | ')} |`, `| ${t.head.map(() => '---').join(' | ')} |`)
    for (const r of t.rows) out.push(`| ${r.join(' | ')} |`)
    out.push('')
  }
  return out.join('\n').trimEnd()
}

export function textTables(tables: readonly Table[]): string {
  const out: string[] = []
  for (const t of tables) {
    const cells = [t.head, ...t.rows]
    const width = t.head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
    out.push(t.title)
    for (const r of cells) out.push(`  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i]))).join('  ')}`.trimEnd())
    out.push('')
  }
  return out.join('\n')
}
