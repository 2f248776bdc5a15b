import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {backtest, type BacktestResult, type BackendChoice, initBackend, loadSeriesCsv, type ModelChoice, parseMask, readM4} from '../src/forecast/index.js'

/**
 * Forecasting benchmark (the figures of docs/forecast.md):
 * 1. M4 hourly, all 414 series, the last 48 points of each training series held out: MASE and sMAPE
 *    of textbook seasonal naive, ETS, the global neural model (hybrid: ETS + network; `--no-hybrid`: alone),
 *    the ETS–network combination and auto (which may pick the network or the combination only if it
 *    beats ETS on validation windows); the network's training time on the chosen backend (WASM by
 *    default), in CPU seconds.
 * 2. The scoring time of an ETS backtest of the 414 series in one process (CPU seconds).
 * 3. NAB NYC taxi, 28 rolling one-day windows, NAB's anomaly windows masked: coverage of the 80%
 *    [P10, P90] and 90% [P5, P95] intervals.
 * bench/run.ts may call `runForecastBench`; `node dist/bench/forecast.js [--backend=wasm] [--json]
 * [--max-steps=N] [--hidden-units=N] [--members=N] [--no-hybrid] [--scaling=mase|log] [--limit=N]` runs it alone.
 */
export interface ForecastBenchOptions {
  /** Folder with m4_hourly_train.csv and nab_nyc_taxi_30min.csv (default data/traces). */
  traces?: string
  backend?: BackendChoice
  /** Limit the M4 series (default all 414). */
  m4Limit?: number
  /** Training steps per member (default 400: early stopping kept steps 200–300 on M4). */
  maxSteps?: number
  hiddenUnits?: number
  /** Networks in the ensemble (default 6, the configuration docs/forecast.md reports: 8 scored no better). */
  members?: number
  /** false: the network forecasts alone instead of correcting ETS (default: the library's, hybrid). */
  hybrid?: boolean
  /** Window normalisation of the network (default: the library's, mase). */
  scaling?: 'mase' | 'log'
  log?: (line: string) => void
}

export const NAB_TAXI_MASKS = ['2014-10-30T15:30/2014-11-03T22:30', '2014-11-25T12:00/2014-11-29T19:00', '2014-12-23T11:30/2014-12-27T18:30', '2014-12-29T21:30/2015-01-03T04:30', '2015-01-24T20:30/2015-01-29T03:30']

interface Row {
  model: string
  mase: number
  smape: number
  coverage80: number
  coverage90: number
  producedBy: Record<string, number>
}

export interface ForecastBenchResult {
  m4: {series: number; rows: Row[]; neural: {trainCpuS: number; trainWallS: number; steps: number; bestStep: number; backend: string; skipped: string[]}; wallS: number; cpuS: number}
  etsScoring: {series: number; cpuS: number; wallS: number; budgetCpuS: number}
  taxi: {windows: number; rows: Row[]}
}

function rows(r: BacktestResult): Row[] {
  return r.scores.map((s) => ({model: String(s.model), mase: s.mase, smape: s.smape, coverage80: s.coverage80, coverage90: s.coverage90, producedBy: s.producedBy}))
}

function printRows(log: (line: string) => void, rs: Row[]): void {
  log(`  ${'model'.padEnd(16)}${'MASE'.padStart(8)}${'sMAPE%'.padStart(9)}${'cov80'.padStart(8)}${'cov90'.padStart(8)}  produced by`)
  for (const r of rs) {
    log(`  ${r.model.padEnd(16)}${r.mase.toFixed(3).padStart(8)}${r.smape.toFixed(2).padStart(9)}${(100 * r.coverage80).toFixed(1).padStart(8)}${(100 * r.coverage90).toFixed(1).padStart(8)}  ${Object.entries(r.producedBy).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  }
}

export async function runForecastBench(options: ForecastBenchOptions = {}): Promise<ForecastBenchResult> {
  const traces = options.traces ?? resolve(process.cwd(), 'data', 'traces')
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`))
  const backend = await initBackend(options.backend ?? 'wasm')
  const skipped = backend.attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`)
  const m4 = await readM4(resolve(traces, 'm4_hourly_train.csv'), {limit: options.m4Limit})

  const models: ModelChoice[] = ['seasonal-naive', 'ets', 'nbeats', 'ets-nbeats', 'auto']
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const bt = await backtest(m4, {models, candidates: ['ets', 'nbeats', 'ets-nbeats'], holdout: 48, seed: 1, neural: {maxSteps: options.maxSteps ?? 400, hiddenUnits: options.hiddenUnits ?? 128, members: options.members ?? 6, hybrid: options.hybrid, scaling: options.scaling}})
  const m4Wall = (performance.now() - t0) / 1000
  const m4Cpu = cpuSeconds(c0)
  const n = bt.neural!
  log(`forecast bench: M4 hourly, ${m4.length} series, last 48 held out (${m4Wall.toFixed(0)} s wall, ${m4Cpu.toFixed(0)} CPU-s in all)`)
  printRows(log, rows(bt))
  log(`  neural model: ${n.members} member(s), ${n.hiddenUnits} units, input ${n.inputSize}, ${n.baseline === 'ets' ? 'hybrid (ETS + network)' : 'alone'}, scaling ${n.scaling}; ${n.steps} steps (best ${n.bestStep}), ${n.trainingWindows} training windows, trained in ${(Number(n.trainCpuMs) / 1000).toFixed(1)} CPU-s (${(Number(n.trainMs) / 1000).toFixed(1)} s wall) on ${backend.used}`)
  const etsMase = bt.scores.find((s) => s.model === 'ets')!.mase
  log(`  MASE ÷ ETS's: ${bt.scores.map((s) => `${s.model} ${(s.mase / etsMase).toFixed(3)}`).join(', ')}; best ${bt.best} (targets: MASE ≤ 0.80, sMAPE ≤ 9.5)`)
  log(`  training CPU-s ÷ the 600 CPU-s budget: ${(Number(n.trainCpuMs) / 1000 / 600).toFixed(2)}`)
  for (const s of skipped) log(`  backend skipped: ${s}`)
  for (const p of bt.autoPicks ?? []) log(`  auto picked ${p.model}: validation MASE ${JSON.stringify(p.scores)}`)

  const t1 = performance.now()
  const c1 = process.cpuUsage()
  await backtest(m4, {models: ['ets'], holdout: 48})
  const etsCpu = cpuSeconds(c1)
  const etsWall = (performance.now() - t1) / 1000
  log(`forecast bench: ETS backtest of ${m4.length} series in one process: ${etsCpu.toFixed(1)} CPU-s (${etsWall.toFixed(1)} s wall; budget 15 CPU-s)`)

  const masks = NAB_TAXI_MASKS.map((m) => parseMask(m))
  const {series: taxi} = await loadSeriesCsv(resolve(traces, 'nab_nyc_taxi_30min.csv'), {masks})
  const tb = await backtest([taxi], {models: ['seasonal-naive', 'ets', 'auto'], holdout: 48, origins: 28})
  log(`forecast bench: NAB taxi, 28 one-day windows, anomaly windows masked (${tb.scores[0].windows} scored)`)
  printRows(log, rows(tb))

  return {
    m4: {series: m4.length, rows: rows(bt), neural: {trainCpuS: Number(n.trainCpuMs) / 1000, trainWallS: Number(n.trainMs) / 1000, steps: Number(n.steps), bestStep: Number(n.bestStep), backend: backend.used, skipped}, wallS: Number(m4Wall.toFixed(1)), cpuS: Number(m4Cpu.toFixed(1))},
    etsScoring: {series: m4.length, cpuS: Number(etsCpu.toFixed(2)), wallS: Number(etsWall.toFixed(2)), budgetCpuS: 15},
    taxi: {windows: tb.scores[0].windows, rows: rows(tb)},
  }
}

/** CPU seconds (user + system) of this process since `from`: wall time on a shared machine includes others' work. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1e6
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  const num = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)))
  const result = await runForecastBench({backend: (arg('backend') ?? 'wasm') as BackendChoice, maxSteps: num('max-steps'), hiddenUnits: num('hidden-units'), members: num('members'), hybrid: process.argv.includes('--no-hybrid') ? false : undefined, scaling: arg('scaling') as 'mase' | 'log' | undefined, m4Limit: num('limit')})
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
