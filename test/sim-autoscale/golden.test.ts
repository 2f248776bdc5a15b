/**
 * Golden tests of the autoscaling and failure scenarios: each runs as shipped, and its autoscaling
 * section (replica trajectory, scaling events with reasons, failures, node-billed cost) matches the
 * committed one in test/sim-autoscale/golden/. After an intended change, refresh with
 * UPDATE_GOLDEN=1 and review the diff. Also: the same seed gives byte-identical report.json and
 * timeseries.csv.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'
import {expectGolden} from '../helpers/golden.js'
import {renderReportJson, renderSummary, renderTimeSeriesCsv, roundedReport} from '../../src/report/render.js'
import {loadScenarioFile} from '../../src/scenario/load.js'
import {simulate} from '../../src/pipeline/simulate.js'

const SCENARIOS = join(ROOT, 'scenarios')
const GOLDEN = join(ROOT, 'test', 'sim-autoscale', 'golden')

describe('autoscaling and failure scenarios (golden)', () => {
  const files = readdirSync(SCENARIOS)
    .filter((f) => /^(autoscale|failure)-.*\.yaml$/.test(f))
    .sort()

  it('ships the seeds\' HPAs, a node-loss drill, a KEDA scale-to-zero case, the threshold table and a schedule', () => {
    expect(files).toEqual([
      'autoscale-keda-scale-to-zero.yaml',
      'autoscale-schedule-predictive.yaml',
      'autoscale-seed-000-hpa.yaml',
      'autoscale-seed-004-hpa.yaml',
      'autoscale-thresholds-seed-004.yaml',
      'failure-node-loss-drill.yaml',
    ])
  })

  for (const file of files) {
    it(`${file} matches its golden autoscaling section and is deterministic`, async () => {
      const loaded = await loadScenarioFile(join(SCENARIOS, file))
      const once = () => simulate(loaded.scenario, {baseDir: loaded.baseDir, scenarioFile: loaded.file})
      const {report, timeSeries} = await once()
      expect(report.autoscaling).toBeDefined()
      expect(report.tasks.completed + report.tasks.failed).toBe(report.tasks.arrived)
      const r = roundedReport(report)
      const got = `${JSON.stringify({tasks: {arrived: r.tasks.arrived, completed: r.tasks.completed, failed: r.tasks.failed}, ttftS: r.latency.overall.ttftS, cost: r.cost, autoscaling: r.autoscaling}, null, 2)}\n`
      const path = join(GOLDEN, file.replace(/\.yaml$/, '.json'))
      expectGolden(path, got)
      const again = await once()
      expect(renderReportJson(again.report)).toBe(renderReportJson(report))
      expect(renderTimeSeriesCsv(again.timeSeries.columns, again.timeSeries.rows)).toBe(renderTimeSeriesCsv(timeSeries.columns, timeSeries.rows))
      expect(timeSeries.columns).toEqual(expect.arrayContaining(report.autoscaling!.pools.flatMap((p) => [`replicas_ready_${p.name}`, `replicas_desired_${p.name}`, `nodes_${p.name}`])))
      expect(renderSummary(report)).toContain('Autoscaling')
    })
  }
})
