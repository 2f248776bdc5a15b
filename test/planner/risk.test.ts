import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parse} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadCatalog} from '../../src/fleet/profiles/index.js'
import {makePlan, type PlanResult} from '../../src/planner/plan.js'
import {marginCost} from '../../src/planner/render-risk.js'
import {planFiles, writePlan} from '../../src/planner/render.js'
import {nominalProfile} from '../../src/planner/risk.js'
import {parsePlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {runCommand} from '../helpers/run-command.js'

const catalog = loadCatalog()
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-risk-'))

// Two phases of the seeds' workload on two GPU types with no vLLM fp16 measurements of their own:
// A100-80GB carries A100-40GB's fit, V100-32GB the same fit tied by same-harness ratios (both
// transferred). Neither has FP8 tensor cores: vLLM runs fp8 weight-only (FP8 Marlin) on the A100
// (sm80) and not at all on the V100 (sm70), so fp8 is planned on A100-80GB alone.
const spec = (risk: string): string => `
name: risk-test
model: llama-3.1-70b
phases:
  - {name: small, tasksPerDay: 5000}
  - {name: large, tasksPerDay: 50000}
gpus: [{gpu: V100-32GB}, {gpu: A100-80GB}]
tensorParallel: [4, 8]
seeds: 1
peakWindowS: 1800
risk: ${risk}
compare: {precision: [fp16, fp8]}
`
const plan = (risk: string) => makePlan(resolveRequest(parsePlanSpec(spec(risk), 'risk.yaml'), tmp), {catalog})

let nominal: PlanResult
let pessimistic: PlanResult

beforeAll(async () => {
  nominal = await plan('nominal')
  pessimistic = await plan('pessimistic')
}, 300_000)

afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('plan --risk', () => {
  it('sizes every pessimistic candidate at the slow edge and every nominal one as fitted', () => {
    for (const p of pessimistic.phases) {
      for (const pool of p.search.chosen?.candidate.pools ?? []) {
        const base = nominalProfile(pool.profile)
        expect(pool.profile.stepTimeS(1000, 8, 20_000)).toBeCloseTo(base.band.slow * base.stepTimeS(1000, 8, 20_000), 12)
      }
    }
    for (const p of nominal.phases) for (const pool of p.search.chosen?.candidate.pools ?? []) expect(nominalProfile(pool.profile)).toBe(pool.profile)
  })

  it('the pessimistic plan costs at least the nominal one in every phase, and the margin is the difference of the two plans', () => {
    expect(nominal.ok && pessimistic.ok).toBe(true)
    for (const [i, p] of pessimistic.phases.entries()) {
      const n = nominal.phases[i]
      const pessCost = (p.search.chosen?.candidate.costPerHourUsd ?? 0) * 24
      const nomCost = (n.search.chosen?.candidate.costPerHourUsd ?? 0) * 24
      expect(pessCost).toBeGreaterThanOrEqual(nomCost)
      // Each plan made the other mode's plan too, and it is the one the other run chose.
      expect(p.risk.other.fleet).toBe(n.search.chosen?.candidate.id)
      expect(n.risk.other.fleet).toBe(p.search.chosen?.candidate.id)
      expect(marginCost(p)).toBeCloseTo(pessCost - nomCost, 6)
      expect(marginCost(n)).toBeCloseTo(pessCost - nomCost, 6)
    }
    // The band's slow edge is what the pessimistic plan was verified at: the choice meets the SLOs there.
    for (const p of pessimistic.phases) expect(p.risk.band.find((b) => b.edge === 'slow')?.sloMet).toBe(true)
  })

  it('each phase\'s band brackets its nominal figures', () => {
    for (const p of [...nominal.phases, ...pessimistic.phases]) {
      const [f, n, s] = (['fast', 'nominal', 'slow'] as const).map((e) => p.risk.band.find((b) => b.edge === e))
      expect(p.risk.bandMethod).toBe('simulated')
      expect(s?.ttftP95S).toBeGreaterThanOrEqual(n?.ttftP95S ?? Number.POSITIVE_INFINITY)
      expect(n?.ttftP95S).toBeGreaterThanOrEqual(f?.ttftP95S ?? Number.POSITIVE_INFINITY)
    }
  })

  it('PLAN.md gives per phase the band, the pools on transferred or roofline profiles, the margin and what to measure', () => {
    const md = planFiles(pessimistic, catalog)['PLAN.md']
    expect(md).toContain('## Uncertainty, risk and margin')
    expect(md).toContain('Risk mode **pessimistic**')
    for (const p of pessimistic.phases) {
      const c = p.search.chosen
      if (!c) throw new Error('no choice')
      const row = md.split('\n').find((l) => l.startsWith(`| ${p.name} | ${c.candidate.id} |`))
      expect(row, p.name).toBeDefined()
      // Every chosen pool here is transferred or roofline (no measurements of its GPU and engine): named with its status.
      for (const pool of c.candidate.pools) {
        expect(['transferred', 'roofline']).toContain(pool.profile.status)
        expect(row).toContain(`${pool.name} (${pool.profile.status})`)
        expect(md).toContain(`fleetcap calibrate --k6-json measure/${p.name}-${pool.name}/samples.json --load measure/${p.name}-${pool.name} --profile ${nominalProfile(pool.profile).id}`)
        expect(md).toContain(`fleetcap k6 run measure/${p.name}-${pool.name}`)
      }
      const margin = marginCost(p)
      expect(row).toContain(margin === null ? 'n/a' : `$${margin >= 100 ? Math.round(margin).toLocaleString('en-US') : margin.toFixed(2)}`)
    }
    expect(md).toMatch(/\| band\.slow \| [\d.]+ s \| [\d.]+ s \| \d+ % \|/)
  })

  it('compares precisions: fp16 is the choice; fp8 is planned on A100-80GB only, V100 (sm70) excluded with why', () => {
    for (const p of pessimistic.phases) {
      expect(p.precisions.map((x) => x.precision)).toEqual(['fp16', 'fp8'])
      expect(p.precisions[0].fleet).toBe(p.search.chosen?.candidate.id)
      expect(p.precisions[1].gpus).toEqual(['A100-80GB'])
      expect(p.precisions[1].fleet).toMatch(/^a100-80gb-tp\d+x\d+$/)
      expect(p.precisions[1].excluded?.map((e) => e.gpu)).toEqual(['V100-32GB'])
      expect(p.precisions[1].excluded?.[0].reason).toMatch(/fp8 weights on V100-32GB \(Volta, sm70\) with vllm: not supported/)
    }
    const md = planFiles(pessimistic, catalog)['PLAN.md']
    expect(md).toContain('### By precision')
    // The prices behind the two GPUs come from two providers: PLAN.md says which, when, and that they are not one list.
    expect(md).toContain('Prices per GPU-hour: A100-80GB $2.21 (CoreWeave, 2024-02-07); V100-32GB $0.55 (Lambda, not stated (skypilot-catalog v7 snapshot)).')
    expect(md).toContain('These come from 2 providers and dates (CoreWeave, Lambda), not one price list')
    expect(md).toMatch(/- Not planned at fp8: V100-32GB — .*sm70/)
  })

  it('plan.yaml records the risk mode and each pool\'s profile status', async () => {
    const dir = join(tmp, 'pess')
    await writePlan(dir, pessimistic, catalog)
    const doc = parse(readFileSync(join(dir, 'plan.yaml'), 'utf8'))
    expect(doc.status.risk.mode).toBe('pessimistic')
    for (const ph of doc.status.phases) {
      expect(ph.risk.mode).toBe('pessimistic')
      for (const pool of ph.risk.pools) {
        expect(['measured', 'transferred', 'roofline']).toContain(pool.status)
        expect(pool.band.slow).toBeGreaterThan(1)
        expect(pool.sizedWithStepTimes).toBeCloseTo(pool.band.slow, 3)
      }
      expect(ph.risk.band.edges.map((e: {edge: string}) => e.edge)).toEqual(['fast', 'nominal', 'slow'])
    }
    // Same request, same bytes.
    const again = await plan('pessimistic')
    expect(planFiles(again, catalog)).toEqual(planFiles(pessimistic, catalog))
  }, 300_000)

  it('the CLI takes --risk, and --json gives each phase\'s risk typed (--fast: the band is analytic)', async () => {
    const r = await runCommand(['plan', '--phases', '5000', '--gpu', 'V100-32GB', '--gpu', 'A100-80GB', '--seeds', '1', '--fast', '--risk', 'nominal', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.plan.status.risk.mode).toBe('nominal')
    expect(j.risk[0].mode).toBe('nominal')
    expect(j.risk[0].other.mode).toBe('pessimistic')
    expect(j.risk[0].marginCostPerDayUsd).toBeGreaterThanOrEqual(0)
    const [f, n, sl] = j.risk[0].band.edges
    expect([f.edge, n.edge, sl.edge]).toEqual(['fast', 'nominal', 'slow'])
    expect(sl.ttftP95S).toBeGreaterThanOrEqual(n.ttftP95S)
    expect(n.ttftP95S).toBeGreaterThanOrEqual(f.ttftP95S)
    expect(j.risk[0].band.method).toMatch(/analytic/)
    const bad = await runCommand(['plan', '--phases', '5000', '--fast', '--risk', 'reckless'])
    expect(bad.code).toBe(2)
  }, 120_000)
})
