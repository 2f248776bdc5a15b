/**
 * Sweep benchmarks.
 *
 *   node dist/bench/sweep.js                 1,000-cell sweep at 1 and N workers; a year at 50,000 tasks/day
 *   node dist/bench/sweep.js --quick         200 cells; 2 days of the year case
 *   node dist/bench/sweep.js --cells 1000 --workers 4 --days 365
 *
 * 1. Scaling with cores: a grid of 1,000 small M/M/c scenarios (10 server counts × 10 rates × 10
 *    prices, 20 simulated minutes each), run on 1 worker and on N (default: the machine's cores).
 *    Prints cells/s, the speed-up and the speed-up per core, and checks that the merged results are
 *    byte-identical. On a machine shared with other work the speed-up is what the cores it gets give.
 * 2. A year of the seeds' phase 3 (50,000 agent tasks/day, 18.25M tasks, ~4 calls each) on its fleet
 *    (16 H100 + 32 A100 replicas of llama-3.1-70b TP4), in a fresh child process: CPU seconds and peak
 *    RSS. --days N simulates N days instead and prints the per-task cost and the linear
 *    extrapolation to 365 days, labelled as such.
 */
import {spawnSync} from 'node:child_process'
import {availableParallelism} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import v8 from 'node:v8'

import {loadScenarioFile} from '../src/scenario/load.js'
import {simulate} from '../src/pipeline/simulate.js'
import {runSweep} from '../src/sweep/run.js'
import {parseSweep} from '../src/sweep/spec.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const quick = process.argv.includes('--quick')

function gridSpec(cells: number): string {
  // 10 × 10 × (cells / 100) levels.
  const prices = Math.max(1, Math.round(cells / 100))
  return `apiVersion: fleetcap.dev/v1
kind: Sweep
name: bench-${cells}
base:
  apiVersion: fleetcap.dev/v1
  kind: Scenario
  name: mmc
  duration: 20m
  workload:
    kind: synthetic
    ratePerS: 3
    service: {distribution: exponential, meanS: 1}
  fleet:
    pools:
      - {name: servers, kind: generic, servers: 4, pricePerHourUsd: 2}
  slo: {queueWaitP95S: 2}
design: grid
seed: 1
seedsPerCell: 1
factors:
  - {path: fleet.pools.0.servers, name: servers, values: [${Array.from({length: 10}, (_, i) => i + 4).join(', ')}]}
  - {path: workload.ratePerS, name: rate, values: [${Array.from({length: 10}, (_, i) => (1 + i * 0.3).toFixed(1)).join(', ')}]}
  - {path: fleet.pools.0.pricePerHourUsd, name: price, values: [${Array.from({length: prices}, (_, i) => i + 1).join(', ')}]}
metrics: [costUsd, queueWaitP95S, errorRate, sloPass, utilization]
`
}

async function scaling(): Promise<void> {
  const cells = Number(arg('--cells') ?? (quick ? 200 : 1000))
  const n = Number(arg('--workers') ?? availableParallelism())
  const loaded = await parseSweep(gridSpec(cells), 'bench-spec.yaml')
  const runs: {workers: number; wallS: number; cpuS: number; text: string}[] = []
  for (const workers of [1, n]) {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const r = await runSweep(loaded, {workers})
    const wallS = (performance.now() - t0) / 1000
    const c = process.cpuUsage(cpu0)
    runs.push({workers, wallS, cpuS: (c.user + c.system) / 1e6, text: r.resultsJsonl})
  }
  const [one, many] = runs
  const speedup = one.wallS / many.wallS
  console.log(`sweep: ${cells} cells of M/M/c (20 simulated minutes each), ${availableParallelism()} cores seen by Node`)
  console.log('workers  wall s  cells/s  CPU s (all threads)')
  for (const r of runs) console.log(`${String(r.workers).padStart(7)}  ${r.wallS.toFixed(2).padStart(6)}  ${(cells / r.wallS).toFixed(1).padStart(7)}  ${r.cpuS.toFixed(2).padStart(8)}`)
  console.log(`speed-up ${n} vs 1 worker: ×${speedup.toFixed(2)} = ${(speedup / n).toFixed(2)} of linear per core (target ≥ 0.80 on an unloaded multi-core machine)`)
  console.log(`merged results byte-identical at 1 and ${n} workers: ${one.text === many.text ? 'yes' : 'NO'}`)
  if (one.text !== many.text) process.exitCode = 1
}

function year(): void {
  const days = Number(arg('--days') ?? (quick ? 2 : 365))
  // --semi-space-mib N caps V8's young generation (what a sweep worker thread gets); default: Node's own sizing.
  const semi = arg('--semi-space-mib')
  const flags = semi === undefined ? [] : [`--max-semi-space-size=${semi}`]
  const r = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--year-child', String(days)], {encoding: 'utf8', maxBuffer: 1 << 24})
  if (r.status !== 0) {
    console.log(`year case failed: ${r.stderr}`)
    process.exitCode = 1
    return
  }
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as {days: number; tasks: number; calls: number; cpuS: number; wallS: number; peakRssMiB: number; oldSpaceMiB: number; newSpaceMiB: number; largeObjectMiB: number}
  console.log(`\nphase 3 fleet at 50,000 tasks/day with agent chains, ${m.days} simulated day${m.days === 1 ? '' : 's'} (fresh process${semi === undefined ? '' : `, --max-semi-space-size=${semi}`})`)
  console.log(`tasks ${m.tasks.toLocaleString('en-US')}, calls ${m.calls.toLocaleString('en-US')}: CPU ${m.cpuS.toFixed(1)} s, wall ${m.wallS.toFixed(1)} s, peak RSS ${m.peakRssMiB.toFixed(0)} MiB`)
  console.log(`V8 heap at the end: old space ${m.oldSpaceMiB.toFixed(1)} MiB (the simulator's live state), young generation ${m.newSpaceMiB.toFixed(1)} MiB reserved, large objects ${m.largeObjectMiB.toFixed(1)} MiB (the time series)`)
  const perTaskUs = (m.cpuS / m.tasks) * 1e6
  console.log(`CPU per task: ${perTaskUs.toFixed(1)} µs (${((m.cpuS / m.calls) * 1e6).toFixed(1)} µs per call)`)
  if (m.days < 365) {
    const yearTasks = 50_000 * 365
    console.log(`EXTRAPOLATED (linear in tasks, not measured): a year = ${yearTasks.toLocaleString('en-US')} tasks ≈ ${((perTaskUs * yearTasks) / 1e6 / 60).toFixed(1)} CPU-minutes (target ≤ 5); peak RSS is not extrapolated (it grew with simulated days here): run --days 365 to measure it`)
  } else {
    console.log(`a year: ${(m.cpuS / 60).toFixed(2)} CPU-minutes (target ≤ 5), peak RSS ${m.peakRssMiB.toFixed(0)} MiB (target ≤ 500)`)
  }
}

function space(name: string): v8.HeapSpaceInfo {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === name) as v8.HeapSpaceInfo
}

async function yearChild(days: number): Promise<void> {
  const loaded = await loadScenarioFile(join(ROOT, 'scenarios', 'seed-phase3-50000-per-day.yaml'))
  const scenario = {...loaded.scenario, duration: days * 86_400, durationS: undefined}
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const {report} = await simulate(scenario, {baseDir: loaded.baseDir})
  const wallS = (performance.now() - t0) / 1000
  const c = process.cpuUsage(cpu0)
  console.log(
    JSON.stringify({
      days,
      tasks: report.tasks.arrived,
      calls: report.calls.completed,
      cpuS: (c.user + c.system) / 1e6,
      wallS,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      oldSpaceMiB: space('old_space').space_used_size / 2 ** 20,
      newSpaceMiB: space('new_space').space_size / 2 ** 20,
      largeObjectMiB: space('large_object_space').space_used_size / 2 ** 20,
    }),
  )
}

const child = arg('--year-child')
if (child !== undefined) await yearChild(Number(child))
else {
  if (!process.argv.includes('--year-only')) await scaling()
  if (!process.argv.includes('--scaling-only')) year()
}
