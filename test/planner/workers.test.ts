/**
 * plan's simulations on the sweep's worker pool: the same plan, byte for byte, at 0, 1 and 2 workers;
 * and the autoscaled day is a plain scenario that `fleetcap simulate` runs to the same figures.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {loadCatalog} from '../../src/fleet/profiles/index.js'
import {hpaDayScenario} from '../../src/planner/hpa-day.js'
import {makePlan} from '../../src/planner/plan.js'
import {parsePlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {ROOT, runCli} from '../helpers/cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-workers-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

/** Every file under a directory, by relative path, with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out.set(relative(dir, p), readFileSync(p))
    }
  }
  walk(dir)
  return out
}

describe('plan --workers', () => {
  it('writes the same files and --json (timings aside) at 0, 1 and 2 workers', () => {
    const args = ['plan', '--phases', '500,20000', '--seeds', '2', '--gpu', 'A100-80GB', '--gpu', 'L40S', '--gpu', 'H100-SXM', '--ttft-p95', '2', '--json']
    const runs = [0, 1, 2].map((w) => {
      const out = join(tmp, `w${w}`)
      const r = runCli([...args, '--workers', String(w), '--out', out])
      expect(r.code, r.stderr).toBe(0)
      const j = JSON.parse(r.stdout) as {stats: Record<string, number>}
      // Wall-clock figures are the only thing the workers may change.
      delete j.stats.decisionS
      delete j.stats.simulationsPerS
      return {files: tree(out), json: JSON.stringify(j)}
    })
    // Several candidates were simulated, so the speculative batches had something to drop.
    expect(JSON.parse(runs[0].json).stats.candidatesSimulated).toBeGreaterThan(3)
    for (const r of runs.slice(1)) {
      expect(r.json).toBe(runs[0].json)
      expect([...r.files.keys()]).toEqual([...runs[0].files.keys()])
      for (const [name, bytes] of runs[0].files) expect(r.files.get(name)?.equals(bytes), name).toBe(true)
    }
  }, 600_000)

  it('simulates the day as a scenario that `fleetcap simulate` runs to the same cost, scaling and SLOs', async () => {
    // Nominal risk: the scenario alone says everything (no step-time factor beside it).
    const request = resolveRequest(parsePlanSpec('phases: [{tasksPerDay: 20000}]\nseeds: 1\nrisk: nominal\ngpus: [{gpu: A100-80GB}, {gpu: H100-SXM}]\nslo: {ttftP95S: 2}\n', 'spec.yaml'), ROOT)
    const plan = await makePlan(request, {catalog: loadCatalog(), workers: 0})
    const phase = plan.phases[0]
    const day = phase.hpaDay
    if (!day || !phase.pools) throw new Error('no autoscaled day')
    const job = hpaDayScenario(phase.pools, phase.tasksPerDay, request, day.seed)
    expect(job.stepTimeFactors).toEqual({})
    expect(job.scenario.fleet.pools.every((p) => p.autoscaler?.hpa !== undefined)).toBe(true)
    const file = join(tmp, 'day.yaml')
    writeFileSync(file, stringify(job.scenario))
    const r = runCli(['simulate', file, '--band', 'none', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as {
      slo: {pass: boolean}
      cost: {costUsd: number}
      run: {endS: number}
      autoscaling: {pools: Array<{name: string; scaleUps: number; scaleDowns: number; replicas: {minDesired: number; maxDesired: number}}>}
    }
    expect(report.slo.pass).toBe(day.pass)
    // report.json's figures are rounded (to 4 significant digits or cents).
    const costPerDay = (report.cost.costUsd * 86_400) / Math.max(86_400, report.run.endS)
    expect(Math.abs(costPerDay - day.costPerDayUsd) / day.costPerDayUsd).toBeLessThan(1e-3)
    expect(report.autoscaling.pools.reduce((a, p) => a + p.scaleUps + p.scaleDowns, 0)).toBe(day.scaleEvents)
    for (const p of report.autoscaling.pools) expect([p.replicas.minDesired, p.replicas.maxDesired]).toEqual(day.replicas[p.name])
  }, 300_000)
})
