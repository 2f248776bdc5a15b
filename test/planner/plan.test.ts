import {mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parse} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseHpaObject} from '../../src/autoscale/hpa-schema.js'
import {ExitCode, FleetcapError} from '../../src/errors.js'
import {loadCatalog} from '../../src/fleet/profiles/index.js'
import {loadPlan} from '../../src/plan/load.js'
import {createExecutor} from '../../src/planner/executor.js'
import {makePlan, type PlanResult} from '../../src/planner/plan.js'
import {planFiles, renderPlanMd, writePlan} from '../../src/planner/render.js'
import {loadPlanSpecFile, parsePlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {simulateCandidate} from '../../src/planner/verify.js'
import {ROOT} from '../helpers/cli.js'

const catalog = loadCatalog()
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-'))
let seedsPlan: PlanResult

beforeAll(async () => {
  const {spec, baseDir} = loadPlanSpecFile(join(ROOT, 'examples', 'plan-seeds.yaml'))
  seedsPlan = await makePlan(resolveRequest(spec, baseDir), {catalog})
}, 120_000)

afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('a plan for the seeds\' three phases', () => {
  it('finds a fleet for every phase and writes a plan that src/plan/load.ts accepts', async () => {
    expect(seedsPlan.ok).toBe(true)
    const dir = join(tmp, 'seeds')
    await writePlan(dir, seedsPlan, catalog)
    const loaded = loadPlan(dir)
    expect(loaded.document.spec.phases.map((p) => p.name)).toEqual(['phase-1', 'phase-2', 'phase-3'])
    expect(loaded.document.spec.phases.map((p) => p.trigger)).toEqual([{tasksPerDay: 500}, {tasksPerDay: 5000}, {tasksPerDay: 50000}])
    for (const [i, phase] of loaded.phases.entries()) {
      const chosen = seedsPlan.phases[i].search.chosen
      expect(chosen?.verdict.status).toBe('passed')
      // plan.yaml's pools are the chosen fleet's pools, and every pool has its Deployment.
      expect(phase.pools.map((p) => p.name).sort()).toEqual(chosen?.candidate.pools.map((p) => p.name).sort())
      for (const pool of phase.pools) {
        expect(pool.minReplicas).toBeGreaterThanOrEqual(1)
        const replicas = chosen?.candidate.pools.find((p) => p.name === pool.name)?.replicas ?? 0
        expect(pool.maxReplicas).toBeGreaterThanOrEqual(replicas)
        expect(phase.objects.some((o) => o.object.kind === 'Deployment' && o.object.metadata.name === pool.name)).toBe(true)
        expect(phase.objects.some((o) => o.object.kind === 'PodDisruptionBudget' && o.object.metadata.name === pool.name)).toBe(true)
        expect(pool.expected.p95S).toBeGreaterThan(0)
        expect(pool.expected.costPerDayUsd).toBeGreaterThan(0)
      }
    }
    expect(readFileSync(join(dir, 'PLAN.md'), 'utf8')).toContain('## The seeds\' fleets beside fleetcap\'s')
  })

  it('PLAN.md shows every phase\'s band, the profile status behind each pool, and fp16 against fp8 on H100', () => {
    const md = renderPlanMd(seedsPlan)
    for (const p of seedsPlan.phases) {
      expect(p.risk.band.map((b) => b.edge)).toEqual(['fast', 'nominal', 'slow'])
      const row = md.split('\n').find((l) => l.startsWith(`| ${p.name} | ${p.search.chosen?.candidate.id} |`))
      expect(row).toMatch(/\| [\d.]+ s \([\d.]+ s – [\d.]+ s\) \|/)
      for (const b of p.risk.pools) expect(md).toContain(`**${b.pool}** (${b.profile}): **${b.status}** — ${b.statusBasis}`)
      // fp16 against fp8 on H100-SXM (compare.gpus): each precision planned on its own profiles.
      expect(p.precisions.map((x) => [x.precision, x.gpus])).toEqual([
        ['fp16', ['H100-SXM']],
        ['fp8', ['H100-SXM']],
      ])
      expect(p.precisions[0].fleet).toMatch(/^h100-sxm-tp\d+x\d+$/)
      expect(p.precisions[1].fleet).toMatch(/^h100-sxm-tp\d+x\d+$/)
      // Half the weight bytes: fp8 never needs a dearer fleet than fp16 for the same load and SLOs.
      expect(p.precisions[1].costPerDayUsd).toBeLessThanOrEqual(p.precisions[0].costPerDayUsd ?? 0)
    }
    expect(md).toContain('| phase | fp16 | fp8 |')
  })

  it('each chosen fleet meets the SLOs when simulated again, on every seed', async () => {
    const executor = createExecutor(0)
    for (const phase of seedsPlan.phases) {
      const chosen = phase.search.chosen
      if (!chosen) throw new Error(`no choice for ${phase.name}`)
      for (const seed of seedsPlan.seeds) {
        const o = await simulateCandidate(chosen.candidate, seed, {request: seedsPlan.request, load: phase.load, catalog, executor, counter: {simulations: 0, simulatedS: 0}})
        expect(o.pass, `${phase.name} seed ${seed}: ${o.misses.join('; ')}`).toBe(true)
        expect(o.ttftP95S).toBeLessThanOrEqual(5)
      }
    }
  })

  it('rejects every cheaper candidate with a reason', () => {
    for (const phase of seedsPlan.phases) {
      const chosen = phase.search.chosen
      if (!chosen) throw new Error('no choice')
      const cheaper = phase.search.evaluated.filter((e) => e.candidate.costPerHourUsd < chosen.candidate.costPerHourUsd)
      for (const e of cheaper) {
        expect(['pruned', 'failed']).toContain(e.verdict.status)
        expect('reason' in e.verdict && e.verdict.reason.length > 0).toBe(true)
      }
    }
    // Fewer replicas than the capacity bound are pruned with the arithmetic.
    const p3 = seedsPlan.phases[2].search.evaluated
    expect(p3.some((e) => e.verdict.status === 'pruned' && /^capacity: \d+ replica\(s\) complete at most [\d.]+ calls\/s < [\d.]+ calls\/s/.test(e.verdict.reason))).toBe(true)
  })

  it('with a tighter SLO, cheaper fleets fail in simulation and say which seed and objective', async () => {
    const req = resolveRequest(parsePlanSpec('phases: [{tasksPerDay: 50000}]\nslo: {ttftP95S: 1}\nseeds: 2\n'), ROOT)
    const result = await makePlan(req, {catalog})
    const phase = result.phases[0]
    const chosen = phase.search.chosen
    if (!chosen) throw new Error('no choice')
    const failed = phase.search.evaluated.filter((e) => e.verdict.status === 'failed')
    expect(failed.length).toBeGreaterThan(0)
    for (const e of failed) {
      expect(e.candidate.costPerHourUsd).toBeLessThanOrEqual(chosen.candidate.costPerHourUsd)
      // Missed at full size, or (N+1) with its largest replica lost.
      expect('reason' in e.verdict ? e.verdict.reason : '').toMatch(/^(seed \d: TTFT p95 \(s\) [\d.]+ > 1|N\+1: seed \d: TTFT p95 \(s\) [\d.]+ > 1 with one [a-z0-9-]+ replica lost)/)
    }
    for (const o of chosen.verdict.status === 'passed' ? chosen.verdict.outcomes : []) expect(o.ttftP95S).toBeLessThanOrEqual(3)
    expect(renderPlanMd(result)).toContain('### Why cheaper fleets were rejected')
  }, 60_000)

  it('judges the seeds\' own fleets under the same load and SLOs, and fleetcap\'s choice costs less', () => {
    for (const phase of seedsPlan.phases) {
      expect(phase.search.baselines).toHaveLength(1)
      const b = phase.search.baselines[0]
      expect(['passed', 'failed']).toContain(b.verdict.status)
      expect(phase.search.chosen?.candidate.costPerHourUsd).toBeLessThanOrEqual(b.candidate.costPerHourUsd)
    }
    // Seed 000's fleets: 4× A100; 16× A100 + 32× V100; 64× H100 + 128× A100.
    expect(seedsPlan.phases.map((p) => p.search.baselines[0].candidate.gpuCounts)).toEqual([
      {'A100-80GB': 4},
      {'A100-80GB': 16, 'V100-32GB': 32},
      {'H100-SXM': 64, 'A100-80GB': 128},
    ])
    const md = planFiles(seedsPlan, catalog)['PLAN.md']
    for (const label of ['4x A100', '16x A100 + 32x V100', '64x H100 + 128x A100']) expect(md).toContain(label)
  })

  it('simulates each phase\'s day with its autoscalers in the loop, and keeps an HPA only where it saves money', () => {
    for (const phase of seedsPlan.phases) {
      const day = phase.hpaDay
      if (!day || !phase.pools) throw new Error(`no autoscaled day for ${phase.name}`)
      expect(day.pass, `${phase.name}: ${day.misses.join('; ')}`).toBe(true)
      const staticCost = phase.pools.reduce((a, pp) => a + pp.pool.replicas * pp.pool.profile.pricePerHourUsd * 24, 0)
      expect(day.costPerDayUsd).toBeLessThanOrEqual(staticCost * 1.001)
      for (const pp of phase.pools) {
        const [lo, hi] = day.replicas[pp.pool.name]
        expect(lo).toBeGreaterThanOrEqual(pp.autoscale.settings.minReplicas)
        expect(hi).toBeLessThanOrEqual(pp.autoscale.settings.maxReplicas)
        if (pp.autoscale.settings.minReplicas === pp.autoscale.settings.maxReplicas) expect(pp.autoscale.notes.join(' ')).toMatch(/held at|cost/)
      }
    }
    // At 50,000 tasks/day the daily curve is worth following: the HPA moves and costs less than the peak size.
    const p3 = seedsPlan.phases[2]
    expect(p3.pools?.some((pp) => pp.autoscale.settings.maxReplicas > pp.autoscale.settings.minReplicas)).toBe(true)
    expect(p3.hpaDay?.scaleEvents).toBeGreaterThan(0)
  })

  it('keeps a Pareto front that falls in latency as cost rises', () => {
    for (const phase of seedsPlan.phases) {
      const front = phase.search.pareto
      expect(front.length).toBeGreaterThan(0)
      for (let i = 1; i < front.length; i++) expect(front[i].candidate.costPerHourUsd).toBeGreaterThanOrEqual(front[i - 1].candidate.costPerHourUsd)
    }
  })
})

describe('manifests', () => {
  it('are valid autoscaling/v2, apps/v1 and policy/v1 objects with GPU requests and node affinity', () => {
    const files = planFiles(seedsPlan, catalog)
    const deployments = Object.entries(files).filter(([f]) => f.includes('/deployment-'))
    expect(deployments.length).toBeGreaterThan(0)
    for (const [file, text] of deployments) {
      const d = parse(text)
      const pool = seedsPlan.phases.flatMap((p) => p.pools ?? []).find((p) => p.pool.name === d.metadata.name)
      if (!pool) throw new Error(`no pool for ${file}`)
      const c = d.spec.template.spec.containers[0]
      expect(c.resources.requests['nvidia.com/gpu']).toBe(String(pool.pool.profile.tensorParallel))
      expect(c.readinessProbe.httpGet.path).toBe('/health')
      const term = d.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
      expect(term.matchExpressions[0]).toEqual({key: 'nvidia.com/gpu.product', operator: 'In', values: [catalog.gpus.find((g) => g.name === pool.pool.profile.gpu)?.productLabel]})
      expect(d.metadata.namespace).toBe('inference')
    }
    const hpas = Object.entries(files).filter(([f]) => f.includes('/horizontalpodautoscaler-'))
    expect(hpas.length).toBeGreaterThan(0)
    for (const [file, text] of hpas) {
      // The autoscale module's validator applies the API server's rules (bounds, policies, windows).
      const spec = parseHpaObject(parse(text), {file})
      expect(spec.behavior?.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(460)
      expect(spec.metrics[0].reads).toBe('inflight_requests')
    }
  })

  it('keeps the pod template identical across phases for the same pool (no restart at a phase change)', () => {
    const files = planFiles(seedsPlan, catalog)
    const templates = new Map<string, string>()
    for (const [file, text] of Object.entries(files)) {
      if (!file.includes('/deployment-')) continue
      const d = parse(text)
      const t = JSON.stringify(d.spec.template)
      const prev = templates.get(d.metadata.name)
      if (prev) expect(t).toBe(prev)
      templates.set(d.metadata.name, t)
    }
  })

  it('writes KEDA ScaledObjects instead of HPAs when asked', async () => {
    const req = resolveRequest(parsePlanSpec('phases: [{tasksPerDay: 5000}]\nseeds: 1\nmanifests: {keda: true}\n'), ROOT)
    const result = await makePlan(req, {catalog, fast: true})
    const files = planFiles(result, catalog)
    const keda = Object.entries(files).filter(([f]) => f.includes('/scaledobject-'))
    const hpa = Object.keys(files).filter((f) => f.includes('/horizontalpodautoscaler-'))
    const autoscaled = result.phases[0].pools?.filter((p) => p.autoscale.settings.maxReplicas > p.autoscale.settings.minReplicas) ?? []
    expect(keda).toHaveLength(autoscaled.length)
    expect(hpa).toHaveLength(0)
    for (const [, text] of keda) {
      const o = parse(text)
      expect(o.apiVersion).toBe('keda.sh/v1alpha1')
      expect(o.spec.triggers[0].type).toBe('prometheus')
      expect(typeof o.spec.triggers[0].metadata.threshold).toBe('string')
    }
  })
})

describe('determinism', () => {
  it('gives byte-identical files for the same request', async () => {
    const text = 'phases: [{tasksPerDay: 500}, {tasksPerDay: 5000}]\nseeds: 2\n'
    const a = planFiles(await makePlan(resolveRequest(parsePlanSpec(text), ROOT), {catalog}), catalog)
    const b = planFiles(await makePlan(resolveRequest(parsePlanSpec(text), ROOT), {catalog}), catalog)
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort())
    for (const k of Object.keys(a)) expect(b[k], k).toBe(a[k])
    expect(a['plan.yaml']).toMatch(/createdFrom: sha256:[0-9a-f]{64}/)
  }, 60_000)
})

describe('when nothing meets the SLOs', () => {
  it('reports the closest candidate with what it misses, and writes nothing', async () => {
    const {spec, baseDir} = loadPlanSpecFile(join(ROOT, 'examples', 'plan-impossible.yaml'))
    const result = await makePlan(resolveRequest(spec, baseDir), {catalog})
    expect(result.ok).toBe(false)
    const closest = result.phases[0].search.closest
    expect(closest?.verdict.status).toBe('failed')
    expect(closest && 'reason' in closest.verdict ? closest.verdict.reason : '').toMatch(/TTFT p95 \(s\) [\d.]+ > 0\.05/)
    // The GPU limit (8 A100s) pruned the larger fleets.
    expect(result.phases[0].search.evaluated.some((e) => e.verdict.status === 'pruned' && e.verdict.reason.startsWith('limit:'))).toBe(true)
    const dir = join(tmp, 'impossible')
    await expect(writePlan(dir, result, catalog)).rejects.toSatisfy((e: unknown) => e instanceof FleetcapError && e.exit === ExitCode.SLO_NOT_MET)
    expect(() => readdirSync(dir)).toThrow()
  })
})

describe('a budget nothing fits', () => {
  it('names the cheapest fleet the budget ruled out as the closest', async () => {
    const req = resolveRequest(parsePlanSpec('phases: [{tasksPerDay: 50000}]\nbudgetPerDayUsd: 100\nseeds: 1\n'), ROOT)
    const result = await makePlan(req, {catalog})
    expect(result.ok).toBe(false)
    expect(result.stats.simulations).toBe(0)
    const closest = result.phases[0].search.closest
    expect(closest && 'reason' in closest.verdict ? closest.verdict.reason : '').toMatch(/^budget: \$[\d.]+\/day > \$100\/day$/)
  })
})

describe('--out', () => {
  it('refuses a user\'s non-empty directory and leaves it as it was', async () => {
    const dir = join(tmp, 'users')
    mkdirSync(dir)
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    await expect(writePlan(dir, seedsPlan, catalog)).rejects.toThrow(/not empty/)
    expect(readdirSync(dir)).toEqual(['notes.txt'])
  })
})

describe('the request', () => {
  it('names the line and field of a typo', () => {
    expect(() => parsePlanSpec('phases:\n  - tasksPerDay: 500\nheadrom: 0.2\n', 'req.yaml')).toThrow(/req\.yaml:3.*headrom/)
    expect(() => parsePlanSpec('phases:\n  - tasksPerDay: -5\n', 'req.yaml')).toThrow(/req\.yaml:2: phases\[0\]\.tasksPerDay/)
  })

  it('refuses an unknown GPU with the known names', async () => {
    const req = resolveRequest(parsePlanSpec('phases: [{tasksPerDay: 500}]\ngpus: [{gpu: B300}]\n'), ROOT)
    await expect(makePlan(req, {catalog, fast: true})).rejects.toThrow(/unknown GPU "B300"; known: V100-32GB/)
  })
})
