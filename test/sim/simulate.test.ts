import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import type {ServingProfile} from '../../src/fleet/types.js'
import {renderReportJson, renderSummary, renderTimeSeriesCsv} from '../../src/report/render.js'
import {parseScenario} from '../../src/scenario/load.js'
import {simulate} from '../../src/pipeline/simulate.js'
import type {Priority} from '../../src/workload/types.js'
import {linearCost, poissonTasks} from './helpers.js'

const scenarioYaml = `
apiVersion: fleetcap.dev/v1
kind: Scenario
name: unit
seed: 3
durationS: 600
workload: {kind: synthetic, ratePerS: 1, tokens: {input: 100, output: 10}}
fleet:
  pools:
    - {name: big, gpu: A100-80GB, model: test-model, replicas: 2}
    - {name: small, gpu: V100-32GB, model: test-model, replicas: 2, taskTypes: [chat]}
routing: {policy: score}
queue: {deadlines: {low: 30s}}
slo: {e2eP95S: 5, ttftP95S: 1, errorRateMax: 0.001}
report: {sampleIntervalS: 30}
`

const profile = (gpu: string, speed: number): ServingProfile => ({
  ...linearCost({a: 0.01 / speed, b: 0.00005 / speed, d: 0.0002 / speed, e: 1e-7 / speed, kv: 100_000, seqs: 64, tokens: 2048}),
  id: `test-model@${gpu}:tp1`,
  model: 'test-model',
  gpu,
  tensorParallel: 1,
  gpusPerReplica: 1,
  status: 'roofline',
  statusBasis: 'a test profile: linear step costs',
  band: {slow: 1, fast: 1, coverage: 0, basis: 'none'},
  coldStartS: 60,
  pricePerHourUsd: speed * 2,
})

async function run(seed: number) {
  const scenario = parseScenario(scenarioYaml, 'unit.yaml')
  const rng = new RandomStreams(seed)
  const tok = rng.stream('tokens')
  const pr = rng.stream('prio')
  const prios: Priority[] = ['critical', 'high', 'normal', 'low']
  return simulate(scenario, {
    seed,
    resolveProfile: (p) => profile(p.gpu, p.gpu.startsWith('A100') ? 2 : 1),
    tasks: poissonTasks({
      rng: rng.stream('arrivals'),
      ratePerS: 4,
      count: 2000,
      call: () => ({inputTokens: 100 + tok.int(2000), outputTokens: 10 + tok.int(300)}),
      priority: () => prios[pr.int(4)],
      taskType: () => (pr.next() < 0.5 ? 'chat' : 'code'),
    }),
  })
}

describe('simulate()', () => {
  it('gives a byte-identical report for the same seed and a different one for another seed', async () => {
    const a = await run(1)
    const b = await run(1)
    const c = await run(2)
    expect(renderReportJson(a.report)).toBe(renderReportJson(b.report))
    expect(renderTimeSeriesCsv(a.timeSeries.columns, a.timeSeries.rows)).toBe(renderTimeSeriesCsv(b.timeSeries.columns, b.timeSeries.rows))
    expect(renderReportJson(a.report)).not.toBe(renderReportJson(c.report))
  })

  it('reports counts, pools, cost and SLO checks that add up', async () => {
    const {report, timeSeries} = await run(1)
    expect(report.tasks.arrived).toBe(report.tasks.completed + report.tasks.failed)
    expect(report.pools.map((p) => p.name)).toEqual(['big', 'small'])
    expect(report.pools.reduce((s, p) => s + p.callsServed, 0)).toBe(report.calls.completed)
    // Cost = replicas × price × hours of the run.
    const hours = report.run.endS / 3600
    expect(report.cost.costUsd).toBeCloseTo(2 * 4 * hours + 2 * 2 * hours, 6)
    expect(report.cost.gpuHours).toBeCloseTo(4 * hours, 6)
    expect(report.slo.checks.map((c) => c.objective)).toEqual(['task e2e p95 (s)', 'TTFT p95 (s)', 'error rate'])
    for (const p of report.pools) expect(p.utilization).toBeGreaterThan(0)
    expect(timeSeries.columns).toContain('utilization_big')
    expect(timeSeries.rows.length / timeSeries.columns.length).toBeGreaterThanOrEqual(600 / 30)
    expect(renderSummary(report)).toMatch(/SLO: (PASS|FAIL)/)
  })
})

describe("simulate(): a pool's scheduler settings", () => {
  const yaml = (scheduler: string, extra = ''): string => `
apiVersion: fleetcap.dev/v1
kind: Scenario
name: sched
seed: 5
durationS: 120
workload: {kind: synthetic, ratePerS: 6, tokens: {input: 600, output: 400}}
fleet:
  pools:
    - {name: gpu, gpu: A100-80GB, model: test-model, replicas: 1${extra}, scheduler: ${scheduler}}
report: {sampleIntervalS: 10}
`
  const small = (gpu: string): ServingProfile => ({...profile(gpu, 1), kvCacheTokens: 8000})
  const go = (scheduler: string, extra = '') => simulate(parseScenario(yaml(scheduler, extra), 'sched.yaml'), {resolveProfile: (p) => small(p.gpu)})

  it('paged (default) preempts on a small cache and says so; reserve does not; the limits apply', async () => {
    const paged = await go('{blockTokens: 16, maxNumSeqs: 24}')
    const reserve = await go('{kvAllocation: reserve}')
    expect(paged.report.pools[0].preemptions!.count).toBeGreaterThan(0)
    expect(reserve.report.pools[0].preemptions!.count).toBe(0)
    expect(renderSummary(paged.report)).toMatch(/Preemptions, pool gpu: [\d,]+ sequences evicted/)
    expect(paged.timeSeries.columns).toContain('preemptions_gpu')
    const inFlight = paged.timeSeries.columns.indexOf('in_flight')
    const cols = paged.timeSeries.columns.length
    for (let i = inFlight; i < paged.timeSeries.rows.length; i += cols) expect(paged.timeSeries.rows[i]).toBeLessThanOrEqual(24)
    expect(renderReportJson((await go('{blockTokens: 16, maxNumSeqs: 24}')).report)).toBe(renderReportJson(paged.report))
  })

  it('refuses a limit given twice (maxBatchSeqs beside scheduler.maxNumSeqs)', async () => {
    await expect(go('{maxNumSeqs: 8}', ', maxBatchSeqs: 8')).rejects.toThrow(/maxNumSeqs or maxBatchSeqs/)
  })
})
