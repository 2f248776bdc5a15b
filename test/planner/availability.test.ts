import {join} from 'node:path'

import {parse} from 'yaml'
import {beforeAll, describe, expect, it} from 'vitest'

import {loadCatalog} from '../../src/fleet/profiles/index.js'
import {makePlan, type PlanResult} from '../../src/planner/plan.js'
import {disruptionBudget} from '../../src/planner/manifests.js'
import {planFiles, renderPlanMd} from '../../src/planner/render.js'
import {loadPlanSpecFile, parsePlanSpec, type PlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {createExecutor} from '../../src/planner/executor.js'
import {simulateCandidate} from '../../src/planner/verify.js'
import {ROOT} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'

const catalog = loadCatalog()
const seeds = loadPlanSpecFile(join(ROOT, 'examples', 'plan-seeds.yaml'))
const plan = (spec: PlanSpec, fast = false) => makePlan(resolveRequest(spec, seeds.baseDir), {catalog, fast})
const replicas = (ids: Array<{replicas: number}>) => ids.reduce((a, p) => a + p.replicas, 0)

let ha: PlanResult
let old: PlanResult

beforeAll(async () => {
  // At the profiles' fitted step times (risk nominal), where the figures below were measured; the
  // policy acts the same under either risk mode (test/planner/risk.test.ts covers the modes).
  ha = await plan({...seeds.spec, risk: 'nominal'})
  old = await plan({...seeds.spec, risk: 'nominal', availability: {minReplicas: 1, survive: 'none'}})
}, 120_000)

describe('the availability floor (default: minReplicas 2, survive one-replica-loss)', () => {
  it('never chooses a single replica, and the HPA floor keeps two', () => {
    expect(ha.request.availability).toEqual({minReplicas: 2, survive: 'one-replica-loss'})
    for (const p of ha.phases) {
      const c = p.search.chosen
      if (!c || !p.pools) throw new Error(`no choice for ${p.name}`)
      expect(replicas(c.candidate.pools), p.name).toBeGreaterThanOrEqual(2)
      expect(p.pools.reduce((a, pp) => a + pp.autoscale.settings.minReplicas, 0), p.name).toBeGreaterThanOrEqual(2)
      expect(c.availability?.pass).toBe(true)
      // Verified by simulation on every seed, the largest replica removed.
      expect(c.availability?.outcomes?.map((o) => o.seed)).toEqual(ha.seeds)
    }
    // The cheapest single replicas are named as rejected by the floor.
    expect(ha.phases[0].search.evaluated.some((e) => e.verdict.status === 'pruned' && e.verdict.reason === 'availability: 1 replica < minReplicas 2')).toBe(true)
  })

  it('the chosen fleet minus its largest replica meets the SLOs when simulated again', async () => {
    const p = ha.phases[1]
    const c = p.search.chosen
    if (!c) throw new Error('no choice')
    const lost = c.availability?.lost
    const pools = c.candidate.pools.map((x) => (x.name === lost ? {...x, replicas: x.replicas - 1} : x)).filter((x) => x.replicas > 0)
    const o = await simulateCandidate({...c.candidate, id: `${c.candidate.id}-n-1`, pools}, 2, {request: ha.request, load: p.load, catalog, executor: createExecutor(0), counter: {simulations: 0, simulatedS: 0}})
    expect(o.pass, o.misses.join('; ')).toBe(true)
    expect(o.ttftP95S).toBe(c.availability?.outcomes?.find((x) => x.seed === 2)?.ttftP95S)
  })

  it('--min-replicas 1 --survive none reproduces the single-replica choice', () => {
    // Without the floor, the small phases are served by one replica (whichever profile is cheapest);
    // with it, never.
    const single = old.phases.slice(0, 2).map((p) => p.search.chosen?.candidate)
    expect(single.map((c) => (c ? replicas(c.pools) : 0))).toEqual([1, 1])
    for (const c of single) expect(ha.phases.map((p) => p.search.chosen?.candidate.id)).not.toContain(c?.id)
    // The policy costs money only where it binds: never less than the old choice.
    for (const [i, p] of ha.phases.entries()) expect(p.search.chosen?.candidate.costPerHourUsd).toBeGreaterThanOrEqual(old.phases[i].search.chosen?.candidate.costPerHourUsd ?? Infinity)
  })

  it('prunes a fleet whose remainder cannot carry the peak (N+1 capacity) with its arithmetic', () => {
    const p3 = ha.phases[2].search.evaluated
    const n1 = p3.find((e) => e.verdict.status === 'pruned' && e.verdict.reason.startsWith('N+1:'))
    const reason = n1 && 'reason' in n1.verdict ? n1.verdict.reason : ''
    const m = /^N\+1: with one [a-z0-9-]+ replica lost, ([\d.]+) calls\/s capacity < ([\d.]+) calls\/s at the peak \(utilization [\d.]+\)$/.exec(reason)
    expect(m, reason).not.toBeNull()
    // The arithmetic holds, and it is a fleet the floor of two replicas alone would have let through.
    expect(Number(m?.[1])).toBeLessThan(Number(m?.[2]))
    expect(replicas(n1?.candidate.pools ?? [])).toBeGreaterThanOrEqual(2)
  })

  it('rejects, by simulation, a fleet that passes at full size but not with one replica lost', async () => {
    const req = resolveRequest(parsePlanSpec('phases: [{tasksPerDay: 50000}]\nslo: {ttftP95S: 1}\nseeds: 2\n'), ROOT)
    const result = await makePlan(req, {catalog})
    const failedN1 = result.phases[0].search.evaluated.filter((e) => e.verdict.status === 'failed' && e.verdict.reason.startsWith('N+1:'))
    expect(failedN1.length).toBeGreaterThan(0)
    for (const e of failedN1) {
      if (e.verdict.status !== 'failed') continue
      // Every full-size simulation passed; the reduced fleet's did not.
      expect(e.verdict.outcomes.every((o) => o.pass)).toBe(true)
      expect(e.availability?.outcomes?.some((o) => !o.pass)).toBe(true)
      expect(e.verdict.reason).toMatch(/^N\+1: seed \d: TTFT p95 \(s\) [\d.]+ > 1 with one [a-z0-9-]+ replica lost$/)
    }
    expect(renderPlanMd(result)).toMatch(/\| N\+1: seed \d: TTFT p95 \(s\) [\d.]+ > 1 with one [a-z0-9-]+ replica lost \|/)
  }, 180_000)

  it('judges the seeds\' fleets under the same policy', () => {
    const [b1, b2, b3] = ha.phases.map((p) => p.search.baselines[0])
    // Seed 000's phase 1 is one 4× A100 replica: meets the SLOs, breaks the floor.
    expect(b1.verdict.status).toBe('passed')
    expect(b1.availability).toMatchObject({pass: false, reason: 'availability: 1 replica < minReplicas 2'})
    for (const b of [b2, b3]) {
      expect(b.availability?.pass, b.availability?.reason).toBe(true)
      expect(b.availability?.outcomes?.length).toBe(ha.seeds.length)
    }
    const md = renderPlanMd(ha)
    expect(md).toContain('| meets the availability policy |')
    expect(md).toContain('**no**: availability: 1 replica < minReplicas 2')
  })

  it('records the policy in plan.yaml and PLAN.md, and no PodDisruptionBudget allows zero ready replicas', () => {
    const files = planFiles(ha, catalog)
    const doc = parse(files['plan.yaml'])
    expect(doc.status.availability).toEqual({minReplicas: 2, survive: 'one-replica-loss'})
    for (const p of doc.status.phases) expect(p.choice.availability.met).toBe(true)
    expect(files['PLAN.md']).toMatch(/- Availability: at least 2 replicas in total at every size/)
    expect(files['PLAN.md']).toMatch(/Availability \(minReplicas 2, survive one-replica-loss\): met — N\+1: meets every SLO with one [a-z0-9-]+ replica lost/)
    const pdbs = Object.entries(files).filter(([f]) => f.includes('/poddisruptionbudget-'))
    expect(pdbs.length).toBeGreaterThan(0)
    for (const [f, text] of pdbs) {
      const phase = f.split('/')[1]
      const pdb = parse(text)
      const min = parse(files[`manifests/${phase}/deployment-${pdb.metadata.name}.yaml`]).spec.replicas ?? parse(files[`manifests/${phase}/horizontalpodautoscaler-${pdb.metadata.name}.yaml`] ?? '{}')?.spec?.minReplicas
      expect(min, f).toBeGreaterThanOrEqual(2)
      expect(pdb.spec).toMatchObject({maxUnavailable: 1})
    }
    // With one replica the budget keeps it: a drain waits for a replacement.
    expect(disruptionBudget(1)).toEqual({minAvailable: 1})
    expect(disruptionBudget(2)).toEqual({maxUnavailable: 1})
    const oldPdb = Object.entries(planFiles(old, catalog)).find(([f]) => f.startsWith('manifests/phase-1/poddisruptionbudget-'))
    expect(parse(oldPdb?.[1] ?? '').spec).toMatchObject({minAvailable: 1})
  })

  it('with --fast, judges N+1 on the analytic estimate', async () => {
    const r = await plan(seeds.spec, true)
    for (const p of r.phases) {
      expect(replicas(p.search.chosen?.candidate.pools ?? [])).toBeGreaterThanOrEqual(2)
      expect(p.search.chosen?.availability).toMatchObject({pass: true, estimated: true})
    }
  })

  it('refuses a bad policy with its field', () => {
    expect(() => parsePlanSpec('phases: [{tasksPerDay: 5}]\navailability:\n  survive: maybe\n', 'req.yaml')).toThrow(/req\.yaml:3: availability\.survive/)
    expect(() => parsePlanSpec('phases: [{tasksPerDay: 5}]\navailability: {minReplicas: 0}\n', 'req.yaml')).toThrow(/availability\.minReplicas/)
  })
})

describe('fleetcap plan --min-replicas / --survive', () => {
  it('the flags set the policy', async () => {
    const r = await runCommand(['plan', '--spec', join(ROOT, 'examples', 'plan-seeds.yaml'), '--fast', '--json', '--min-replicas', '3', '--survive', 'none'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.plan.status.availability).toEqual({minReplicas: 3, survive: 'none'})
    for (const p of j.plan.spec.phases) expect(p.pools.reduce((a: number, x: {minReplicas: number}) => a + x.minReplicas, 0)).toBeGreaterThanOrEqual(3)
    const bad = await runCommand(['plan', '--phases', '500', '--fast', '--min-replicas', '0'])
    expect(bad.code).toBe(2)
  }, 180_000)
})
