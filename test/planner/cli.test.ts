import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadPlan} from '../../src/plan/load.js'
import {ROOT} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-cli-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))
const example = (name: string) => join(ROOT, 'examples', name)

/** The first line of stderr that is not a Node warning. */
const firstError = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('Error: '))

describe('fleetcap plan (in process)', () => {
  it('plans the phases given on the command line and writes plan.yaml, manifests and PLAN.md', async () => {
    const out = join(tmp, 'p')
    const r = await runCommand(['plan', '--phases', '500,5000', '--seeds', '1', '--gpu', 'A100-80GB=16', '--gpu', 'H100-SXM', '--out', out])
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
  }, 120_000)

  it("--json prints the plan document and the run's figures", async () => {
    const r = await runCommand(['plan', '--phases', '5000', '--fast', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.plan.kind).toBe('CapacityPlan')
    expect(j.plan.status.method).toMatch(/analytic/)
    expect(j.stats.simulations).toBe(0)
    // No SLO given: the plan's defaults, in the one vocabulary.
    expect(j.plan.spec.slo).toEqual({ttftP95S: 5, errorRateMax: 0.001})
  })

  it('exits 3 with the closest candidate when nothing meets the SLOs, writing nothing', async () => {
    const out = join(tmp, 'none')
    const r = await runCommand(['plan', '--spec', example('plan-impossible.yaml'), '--out', out])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/closest a100-80gb-tp\d+x\d+: seed 1: TTFT p95 \(s\) [\d.]+ > 0\.05/)
    expect(r.stderr).toContain('nothing written')
    expect(() => readdirSync(out)).toThrow()
    // Under --json: one document on stdout, the error and the plan that was searched.
    const j = await runCommand(['plan', '--spec', example('plan-impossible.yaml'), '--fast', '--json'])
    expect(j.code).toBe(3)
    const doc = JSON.parse(j.stdout) as {error: {exit: number; message: string}; result: {plan: {kind: string}}}
    expect(doc.error).toMatchObject({exit: 3, message: expect.stringMatching(/^no fleet meets the SLOs/)})
    expect(doc.result.plan.kind).toBe('CapacityPlan')
  }, 120_000)

  it('SLO flags (durations, sloFlags names) are merged over the spec file\'s slo block', async () => {
    const r = await runCommand(['plan', '--spec', example('plan-seeds.yaml'), '--fast', '--json', '--ttft-p95', '3s', '--e2e-p99', '2m', '--queue-wait-p95', '500ms'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as {plan: {spec: {slo: Record<string, number>}}}
    // plan-seeds.yaml: ttftP95S 5, errorRateMax 0.001; the flags win where they are given.
    expect(j.plan.spec.slo).toEqual({ttftP95S: 3, e2eP99S: 120, queueWaitP95S: 0.5, errorRateMax: 0.001})
  })

  it('old names still work, with a deprecation warning: --error-rate, --history', async () => {
    const r = await runCommand(['plan', '--phases', '500', '--fast', '--json', '--error-rate', '0.01'])
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as {plan: {spec: {slo: unknown}}}).plan.spec.slo).toEqual({errorRateMax: 0.01})
    // oclif warns on stderr (not under --json, whose stdout stays one document).
    const text = await runCommand(['plan', '--phases', '500', '--fast', '--error-rate', '0.01'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stderr).toMatch(/"--error-rate" flag has been deprecated\. Use\s.*"--error-rate-max"/s)
    const h = await runCommand(['plan', '--history', join(tmp, 'no-such.csv'), '--fast'])
    expect(h.stderr).toMatch(/"--history" flag has been deprecated\. Use\s.*"--series"/s)
    // It reads the file as --series does: the missing file is the error.
    expect(h.code).toBe(2)
    expect(firstError(h.stderr)).toMatch(/no-such\.csv: file not found$/)
  })

  it('bad input: one line naming the flag, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--phases', '500,abc'], 'Error: --phases[1]: not a positive number of tasks/day: "abc"'],
      [['--phases', '2026-13=500'], 'Error: --phases[0]: not a date (YYYY-MM-DD): "2026-13"'],
      [['--phases', '500', '--quantile', '1'], 'Error: --quantile: must be less than 1 (got 1)'],
      [['--phases', '500', '--quantile', '0'], 'Error: --quantile: must be more than 0 (got 0)'],
      [['--phases', '500', '--budget', '-5'], 'Error: --budget: must be more than 0 (got -5)'],
      [['--phases', '500', '--headroom', 'lots'], 'Error: --headroom: "lots" is not a number'],
      [['--phases', '500', '--ttft-p95', 'soon'], 'Error: --ttft-p95: "soon" is not a duration (e.g. 500ms, 90s, 15m, 2h, 1d, 1h30m; a bare number is seconds)'],
      [['--phases', '500', '--error-rate-max', '2'], 'Error: --error-rate-max: must be at most 1 (got 2)'],
      [['--series', 'x.csv', '--horizon', '0'], 'Error: --horizon: must be more than 0 s (got 0)'],
      [['--phases', '500', '--gpu', 'A100-80GB=many'], 'Error: --gpu: not a number of GPUs: "many" in "A100-80GB=many"'],
    ]
    for (const [args, line] of cases) {
      const r = await runCommand(['plan', '--fast', ...args])
      expect(r.code, args.join(' ')).toBe(2)
      expect(firstError(r.stderr), args.join(' ')).toBe(line)
    }
    const g = await runCommand(['plan', '--phases', '500', '--gpu', 'Z9000', '--fast'])
    expect(g.code).toBe(2)
    expect(g.stderr).toContain('unknown GPU "Z9000"')
  })
})
