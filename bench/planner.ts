/**
 * Planner benchmark: a plan for the seeds' three phases (examples/plan-seeds.yaml: 500, 5,000 and
 * 50,000 tasks/day, default catalog, the seeds' fleets as baselines), with simulation and with
 * --fast. Prints decision time, candidates pruned and simulated, and simulations per second.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/planner.js
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
  decisionS: number
  candidatesPruned: number
  candidatesSimulated: number
  simulations: number
  simulationsPerS: number
  simulatedHours: number
  choices: string[]
}

/** One plan of the seeds' phases in this process. */
export async function runPlannerBenchmark(fast: boolean): Promise<PlannerBenchResult> {
  const {spec, baseDir} = loadPlanSpecFile(join(ROOT, 'examples', 'plan-seeds.yaml'))
  const catalog = loadCatalog()
  const result = await makePlan(resolveRequest(spec, baseDir), {fast, catalog})
  return {
    mode: fast ? 'fast' : 'simulate',
    ...result.stats,
    choices: result.phases.map((p) => `${p.name}: ${p.search.chosen?.candidate.id ?? 'none'}`),
  }
}

function inChild(fast: boolean): PlannerBenchResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', fast ? 'fast' : 'simulate'], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`planner benchmark (${fast ? 'fast' : 'simulate'}) failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as PlannerBenchResult
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const one = process.argv.indexOf('--one')
  if (one >= 0) {
    process.stdout.write(`${JSON.stringify(await runPlannerBenchmark(process.argv[one + 1] === 'fast'))}\n`)
  } else {
    for (const fast of [false, true]) {
      const b = inChild(fast)
      process.stdout.write(
        `plan seeds' 3 phases (${b.mode}): decision ${b.decisionS.toFixed(2)} s; ${b.candidatesPruned} candidates pruned, ${b.candidatesSimulated} simulated; ${b.simulations} simulations (${b.simulatedHours.toFixed(0)} simulated hours), ${b.simulationsPerS.toFixed(1)} simulations/s\n  ${b.choices.join('; ')}\n`,
      )
    }
  }
}
