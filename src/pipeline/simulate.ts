/**
 * The simulation pipeline: a loaded scenario is built and run by the sim (sim/simulate.ts), then
 * observed by the report stage (report/report.ts). It sits above both, so that the sim never
 * imports the report (docs/architecture.md).
 */
import {buildReport, type SimulationReport} from '../report/report.js'
import type {Scenario} from '../scenario/schema.js'
import {M_E2E, M_TASK_E2E, M_TPOT, M_TTFT, M_WAIT} from '../sim/metrics.js'
import type {FleetModel} from '../sim/fleet-model.js'
import {type ChartData, DISTRIBUTION_LEVELS, runScenario, type SimulateOptions, type TimeSeries} from '../sim/simulate.js'
import {PRIORITIES} from '../workload/types.js'

export interface SimulationResult {
  report: SimulationReport
  timeSeries: TimeSeries
  charts?: ChartData
}

/**
 * Simulate a scenario: build the fleet, stream the workload through it and report what users would
 * see. Deterministic: the same scenario, options and seed give the same report.
 */
export async function simulate(scenario: Scenario, options: SimulateOptions = {}): Promise<SimulationResult> {
  const {model, cluster, sampler, seed, durationS, endS, workload, poolInfo} = await runScenario(scenario, options)
  let report: SimulationReport
  let charts: ChartData | undefined
  try {
    report = buildReport(model, {
      name: scenario.name,
      seed,
      durationS: Number.isFinite(durationS) ? durationS : model.lastArrivalS,
      workload,
      endS,
      slo: scenario.slo,
      poolInfo,
    })
    // Failure windows read the latency histograms: before they are disposed.
    if (cluster !== undefined) report.autoscaling = cluster.report(report, endS)
    if (sampler !== undefined) charts = {latencySeries: sampler.series(), distributions: distributions(model)}
  } finally {
    sampler?.dispose()
    model.latency.dispose()
  }
  return {report, timeSeries: {columns: model.seriesColumns, rows: model.series}, ...(charts ? {charts} : {})}
}

/** Each latency metric's distribution, overall and per priority class that has values. */
function distributions(model: FleetModel): ChartData['distributions'] {
  const out: ChartData['distributions'] = {}
  const metrics: [string, number][] = [['queueWaitS', M_WAIT], ['ttftS', M_TTFT], ['tpotS', M_TPOT], ['e2eS', M_E2E], ['taskE2eS', M_TASK_E2E]]
  for (const [name, m] of metrics) {
    const all = model.latency.percentiles(m, -1, DISTRIBUTION_LEVELS)
    if (all === null) continue
    const byClass: Record<string, number[]> = {all}
    PRIORITIES.forEach((p, c) => {
      const v = model.latency.percentiles(m, c, DISTRIBUTION_LEVELS)
      if (v !== null) byClass[p] = v
    })
    out[name] = byClass
  }
  return out
}
