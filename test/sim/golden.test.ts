/**
 * Golden tests: every shipped scenario runs as it is, and its report summary matches the committed
 * one in test/golden/. After an intended change, refresh with UPDATE_GOLDEN=1 and review the diff.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'
import {expectGolden} from '../helpers/golden.js'
import {renderReportJson, roundedReport} from '../../src/report/render.js'
import type {SimulationReport} from '../../src/report/report.js'
import {loadScenarioFile} from '../../src/scenario/load.js'
import {simulate} from '../../src/pipeline/simulate.js'

const SCENARIOS = join(ROOT, 'scenarios')
const GOLDEN = join(ROOT, 'test', 'golden')

/** What a golden file keeps: the headline figures, not every per-class quantile. */
function summary(report: SimulationReport): unknown {
  const r = roundedReport(report)
  return {
    scenario: r.scenario,
    run: r.run,
    tasks: {arrived: r.tasks.arrived, completed: r.tasks.completed, failed: r.tasks.failed, errorRate: r.tasks.errorRate},
    calls: r.calls,
    latency: r.latency.overall,
    throughput: r.throughput,
    queue: r.queue,
    pools: r.pools,
    cost: r.cost,
    slo: r.slo,
  }
}

describe('shipped scenarios (golden)', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort()

  it('ships the scenarios the README promises', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'seed-phase1-500-per-day.yaml',
        'seed-phase2-5000-per-day.yaml',
        'seed-phase3-50000-per-day.yaml',
        'azure-conv-replay.yaml',
        'hetero-a100-v100.yaml',
      ]),
    )
  })

  for (const file of files) {
    it(`${file} runs and matches its golden summary`, async () => {
      const loaded = await loadScenarioFile(join(SCENARIOS, file))
      const {report} = await simulate(loaded.scenario, {baseDir: loaded.baseDir})
      expect(report.tasks.arrived).toBeGreaterThan(0)
      expect(report.tasks.completed + report.tasks.failed).toBe(report.tasks.arrived)
      const got = `${JSON.stringify(summary(report), null, 2)}\n`
      const path = join(GOLDEN, file.replace(/\.yaml$/, '.json'))
      expectGolden(path, got)
      // The report itself renders deterministically.
      expect(renderReportJson(report)).toBe(renderReportJson((await simulate(loaded.scenario, {baseDir: loaded.baseDir})).report))
    })
  }
})
