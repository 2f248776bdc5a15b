import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadPlan} from '../../src/plan/load.js'
import {runCli} from '../helpers/cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-cli-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('fleetcap plan, end to end', () => {
  it('plans the phases given on the command line and writes plan.yaml, manifests and PLAN.md', () => {
    const out = join(tmp, 'p')
    const r = runCli(['plan', '--phases', '500,5000', '--seeds', '1', '--gpu', 'A100-80GB=16', '--gpu', 'H100-SXM', '--out', out])
    expect(r.stderr).not.toContain('Error')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/phase-1 {2}500 tasks\/day {2}(a100-80gb|h100-sxm)-tp\d+x\d+/)
    expect(r.stderr).toMatch(/decision [\d.]+ s; \d+ candidates pruned, \d+ simulated \(\d+ simulations, [\d.]+\/s\)/)
    expect(readdirSync(out).sort()).toEqual(['.fleetcap-output', 'PLAN.md', 'charts', 'index.html', 'manifests', 'plan.yaml', 'workload'])
    const plan = loadPlan(out)
    const gpus = plan.document.spec.phases.flatMap((ph) => ph.pools.map((p) => p.gpu))
    expect(gpus.length).toBeGreaterThan(0)
    for (const g of gpus) expect(['A100-80GB', 'H100-SXM']).toContain(g)
    expect(plan.document.spec.phases).toHaveLength(2)
  }, 60_000)

  it('--json prints the plan document and the run\'s figures', () => {
    const r = runCli(['plan', '--phases', '5000', '--fast', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.plan.kind).toBe('CapacityPlan')
    expect(j.plan.status.method).toMatch(/analytic/)
    expect(j.stats.simulations).toBe(0)
  }, 60_000)

  it('exits 3 with the closest candidate when nothing meets the SLOs, writing nothing', () => {
    const out = join(tmp, 'none')
    const r = runCli(['plan', '--spec', 'examples/plan-impossible.yaml', '--out', out])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/closest a100-80gb-tp\d+x\d+: seed 1: TTFT p95 \(s\) [\d.]+ > 0\.05/)
    expect(r.stderr).toContain('nothing written')
    expect(() => readdirSync(out)).toThrow()
    // Under --json: one document on stdout, the error and the plan that was searched.
    const j = runCli(['plan', '--spec', 'examples/plan-impossible.yaml', '--fast', '--json'])
    expect(j.code).toBe(3)
    const doc = JSON.parse(j.stdout) as {error: {exit: number; message: string}; result: {plan: {kind: string}}}
    expect(doc.error).toMatchObject({exit: 3, message: expect.stringMatching(/^no fleet meets the SLOs/)})
    expect(doc.result.plan.kind).toBe('CapacityPlan')
  }, 60_000)

  it('bad input: one line naming the flag, exit 2', () => {
    const r = runCli(['plan', '--phases', '500,abc'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')[0]).toBe('Error: --phases[1]: not a positive number of tasks/day: "abc"')
    const g = runCli(['plan', '--phases', '500', '--gpu', 'Z9000', '--fast'])
    expect(g.code).toBe(2)
    expect(g.stderr).toContain('unknown GPU "Z9000"')
  }, 60_000)
})
