import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {backtest, type BackendChoice, initBackend, loadSeriesCsv, readM4, train} from '../src/forecast/index.js'
import {CLASSICAL_MODELS} from '../src/forecast/types.js'
import {dataDir} from '../src/fleet/profiles/paths.js'

/**
 * Forecasting benchmark: (1) a backtest of every M4 hourly series (last 48 points held out) with the
 * classical models, (2) training the neural model on the NAB NYC taxi series on a chosen backend
 * (WASM by default: the budget is stated for it). Wall-clock times, with the backend used.
 * bench/run.ts calls `runForecastBench`; `node dist/bench/forecast.js` runs it alone.
 */
export interface ForecastBenchOptions {
  /** Folder with m4_hourly_train.csv and nab_nyc_taxi_30min.csv (default the vendored data/traces). */
  traces?: string
  backend?: BackendChoice
  /** Limit the M4 series (default all 414). */
  m4Limit?: number
  log?: (line: string) => void
}

export interface ForecastBenchResult {
  m4: {series: number; seconds: number; cpuSeconds: number; perModel: Record<string, {seconds: number; mase: number; coverage90: number}>; budgetS: number}
  neural: {series: string; points: number; windows: number; epochs: number; trainSeconds: number; cpuSeconds: number; backend: string; skipped: string[]; budgetS: number}
}

export async function runForecastBench(options: ForecastBenchOptions = {}): Promise<ForecastBenchResult> {
  const traces = options.traces ?? join(dataDir(), 'traces')
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`))

  const m4 = await readM4(resolve(traces, 'm4_hourly_train.csv'), {limit: options.m4Limit})
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const bt = await backtest(m4, {models: CLASSICAL_MODELS, holdout: 48})
  const m4Seconds = (performance.now() - t0) / 1000
  const m4Cpu = cpuSeconds(c0)
  const perModel: ForecastBenchResult['m4']['perModel'] = {}
  for (const s of bt.scores) perModel[s.model] = {seconds: s.seconds, mase: s.mase, coverage90: s.coverage90}
  log(`forecast bench: M4 hourly backtest, ${m4.length} series × ${CLASSICAL_MODELS.join(', ')}: ${m4Seconds.toFixed(1)} s wall, ${m4Cpu.toFixed(1)} s CPU (budget 30 s)`)
  for (const [m, r] of Object.entries(perModel)) log(`  ${m.padEnd(15)} ${r.seconds.toFixed(1).padStart(6)} s  MASE ${r.mase.toFixed(3)}  cov[P5,P95] ${(100 * r.coverage90).toFixed(1)}%`)

  const backend = await initBackend(options.backend ?? 'wasm')
  const skipped = backend.attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`)
  const {series} = await loadSeriesCsv(resolve(traces, 'nab_nyc_taxi_30min.csv'))
  const t1 = performance.now()
  const c1 = process.cpuUsage()
  const trained = await train(series, {model: 'nbeats', horizon: 48, quantiles: [0.5, 0.9, 0.99], seed: 1})
  const trainSeconds = (performance.now() - t1) / 1000
  const trainCpu = cpuSeconds(c1)
  const p = trained.forecast.params
  log(`forecast bench: N-BEATS training on NAB taxi (${series.values.length} points, ${p.windows} windows, ${p.epochs} epochs) on ${backend.used}: ${trainSeconds.toFixed(1)} s wall, ${trainCpu.toFixed(1)} s CPU (budget 60 s on wasm)`)
  for (const s of skipped) log(`  skipped ${s}`)
  return {
    m4: {series: m4.length, seconds: Number(m4Seconds.toFixed(2)), cpuSeconds: Number(m4Cpu.toFixed(2)), perModel, budgetS: 30},
    neural: {series: series.name, points: series.values.length, windows: Number(p.windows), epochs: Number(p.epochs), trainSeconds: Number(trainSeconds.toFixed(2)), cpuSeconds: Number(trainCpu.toFixed(2)), backend: backend.used, skipped, budgetS: 60},
  }
}

/** CPU seconds (user + system) of this process since `from`: wall time on a shared machine includes others' work. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1e6
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const backend = (process.argv.find((a) => a.startsWith('--backend='))?.split('=')[1] ?? 'wasm') as BackendChoice
  const result = await runForecastBench({backend})
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
