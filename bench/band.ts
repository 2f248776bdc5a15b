/**
 * Uncertainty-band benchmark: what the band costs and what the risk mode changes.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/band.js
 *
 * 1. `simulate` of scenarios/seed-phase1-500-per-day.yaml with --band none and --band edges,
 *    alternating, three times each in this process after one warm-up of each: wall time and ratio.
 * 2. The seeds' three phases (examples/plan-seeds.yaml) planned with risk nominal and pessimistic,
 *    each in a fresh process: the fleet and its peak-size cost per phase, the margin, decision time.
 */
import {spawnSync} from 'node:child_process'
import {performance} from 'node:perf_hooks'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {loadCatalog} from '../src/fleet/profiles/index.js'
import {makePlan} from '../src/planner/plan.js'
import {loadPlanSpecFile, resolveRequest} from '../src/planner/spec.js'
import {loadScenarioFile} from '../src/scenario/load.js'
import {type BandMode, simulateWithBand} from '../src/pipeline/banded-run.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

interface RiskRun {
  risk: string
  decisionS: number
  simulations: number
  phases: Array<{name: string; fleet: string; gpus: string; costPerDayUsd: number; statuses: string}>
}

async function planOnce(risk: 'nominal' | 'pessimistic'): Promise<RiskRun> {
  const {spec, baseDir} = loadPlanSpecFile(join(ROOT, 'examples', 'plan-seeds.yaml'))
  const result = await makePlan(resolveRequest({...spec, risk}, baseDir), {catalog: loadCatalog()})
  return {
    risk,
    decisionS: result.stats.decisionS,
    simulations: result.stats.simulations,
    phases: result.phases.map((p) => {
      const c = p.search.chosen
      return {
        name: p.name,
        fleet: c?.candidate.id ?? 'none',
        gpus: c ? Object.entries(c.candidate.gpuCounts).map(([g, n]) => `${n}x ${g}`).join(' + ') : '',
        costPerDayUsd: c ? c.candidate.costPerHourUsd * 24 : Number.NaN,
        statuses: p.risk.pools.map((b) => `${b.pool} ${b.status}`).join(', '),
      }
    }),
  }
}

async function simulateTimes(): Promise<void> {
  const {scenario, baseDir} = await loadScenarioFile(join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'))
  const catalog = loadCatalog()
  const once = async (band: BandMode): Promise<number> => {
    const t = performance.now()
    await simulateWithBand(scenario, {baseDir, catalog, band})
    return (performance.now() - t) / 1000
  }
  await once('none')
  await once('edges')
  const times: Record<BandMode, number[]> = {none: [], edges: []}
  for (let i = 0; i < 3; i++) for (const b of ['none', 'edges'] as const) times[b].push(await once(b))
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(3)).join(', ')
  process.stdout.write(
    `simulate seed-phase1-500-per-day.yaml: --band none ${fmt(times.none)} s; --band edges ${fmt(times.edges)} s; median ratio ${(median(times.edges) / median(times.none)).toFixed(2)}\n`,
  )
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const one = process.argv.indexOf('--plan')
  if (one >= 0) {
    process.stdout.write(`${JSON.stringify(await planOnce(process.argv[one + 1] as 'nominal' | 'pessimistic'))}\n`)
  } else {
    await simulateTimes()
    const runs: RiskRun[] = []
    for (const risk of ['nominal', 'pessimistic']) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--plan', risk], {encoding: 'utf8'})
      if (r.status !== 0) throw new Error(`plan --risk ${risk} failed: ${r.stderr}`)
      runs.push(JSON.parse(r.stdout) as RiskRun)
    }
    for (const run of runs) process.stdout.write(`plan seeds --risk ${run.risk}: decision ${run.decisionS.toFixed(2)} s, ${run.simulations} simulations\n`)
    const [nom, pes] = runs
    for (const [i, p] of nom.phases.entries()) {
      const q = pes.phases[i]
      process.stdout.write(
        `  ${p.name}: nominal ${p.fleet} (${p.gpus}) $${p.costPerDayUsd.toFixed(0)}/day [${p.statuses}]; pessimistic ${q.fleet} (${q.gpus}) $${q.costPerDayUsd.toFixed(0)}/day [${q.statuses}]; margin $${(q.costPerDayUsd - p.costPerDayUsd).toFixed(0)}/day (${((q.costPerDayUsd / p.costPerDayUsd - 1) * 100).toFixed(0)} %)\n`,
      )
    }
  }
}
