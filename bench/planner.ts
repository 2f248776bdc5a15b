/**
 * Planner benchmark: a plan for the seeds' three phases (examples/plan-seeds.yaml: 500, 5,000 and
 * 50,000 tasks/day, default catalog, the seeds' fleets as baselines), with simulation on 0 (this
 * thread), 1 and 2 worker threads (the sweep's pool), and with --fast. Prints decision time, the
 * process's CPU time (worker threads included), candidates pruned and simulated, and simulations per
 * second; the plans are the same at every worker count (test/planner/workers.test.ts).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/planner.js [--workers 0,1,2]
 *
 * Each mode runs in a fresh process (as `fleetcap plan` would), so the times include JIT warm-up.
 */
import {spawnSync} from 'node:child_process'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {loadCatalog} from '../src/fleet/profiles/index.js'
import {makePlan} from '../src/planner/plan.js'
import {loadPlanSpecFile, resolveRequest} from '../src/planner/spec.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface PlannerBenchResult {
  mode: 'simulate' | 'fast'
  workers: number
  decisionS: number
  /** CPU seconds of the process, all threads, over the plan. */
  cpuS: number
  candidatesPruned: number
  candidatesSimulated: number
  simulations: number
  simulationsPerS: number
  simulatedHours: number
  choices: string[]
}

/** One plan of the seeds' phases in this process. */
export async function runPlannerBenchmark(fast: boolean, workers = 0): Promise<PlannerBenchResult> {
  const {spec, baseDir} = loadPlanSpecFile(join(ROOT, 'examples', 'plan-seeds.yaml'))
  const catalog = loadCatalog()
  const cpu0 = process.cpuUsage()
  const result = await makePlan(resolveRequest(spec, baseDir), {fast, catalog, workers})
  const cpu = process.cpuUsage(cpu0)
  return {
    mode: fast ? 'fast' : 'simulate',
    workers: fast ? 0 : workers,
    cpuS: (cpu.user + cpu.system) / 1e6,
    ...result.stats,
    choices: result.phases.map((p) => `${p.name}: ${p.search.chosen?.candidate.id ?? 'none'}`),
  }
}

function inChild(fast: boolean, workers: number): PlannerBenchResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', fast ? 'fast' : 'simulate', String(workers)], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`planner benchmark (${fast ? 'fast' : 'simulate'}) failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as PlannerBenchResult
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const one = process.argv.indexOf('--one')
  if (one >= 0) {
    process.stdout.write(`${JSON.stringify(await runPlannerBenchmark(process.argv[one + 1] === 'fast', Number(process.argv[one + 2] ?? 0)))}\n`)
  } else {
    const w = process.argv.indexOf('--workers')
    const counts = w >= 0 ? process.argv[w + 1].split(',').map(Number) : [0, 1, 2]
    const modes: Array<[boolean, number]> = [...counts.map((n): [boolean, number] => [false, n]), [true, 0]]
    for (const [fast, workers] of modes) {
      const b = inChild(fast, workers)
      process.stdout.write(
        `plan seeds' 3 phases (${b.mode}${fast ? '' : `, ${b.workers} worker${b.workers === 1 ? '' : 's'}`}): decision ${b.decisionS.toFixed(2)} s, CPU ${b.cpuS.toFixed(2)} s; ${b.candidatesPruned} candidates pruned, ${b.candidatesSimulated} simulated; ${b.simulations} simulations (${b.simulatedHours.toFixed(0)} simulated hours), ${b.simulationsPerS.toFixed(1)} simulations/s\n  ${b.choices.join('; ')}\n`,
      )
    }
  }
}
