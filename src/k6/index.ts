/**
 * The k6 area's public API: render load tests from traces and plan phases, run them as gates, read
 * what k6 measured. apply-to-cluster calls exportPhaseLoadTest + runLoadGate after its rollout gates.
 */
import {writeK6Export} from './export.js'
import {type CallShape, constantLoad} from './load.js'
import {type EndpointOptions, type LoadSlo, renderK6Script} from './script.js'

export {cachedK6Path, findK6, k6InstallCommand, K6_VERSION} from './binary.js'
export {readK6ExportLoad, writeK6Export} from './export.js'
export {constantLoad, expectedIterations, loadFromTasks, peakRatePerS, totalDurationS} from './load.js'
export type {CallShape, LoadProfile, LoadStage, TraceLoadOptions} from './load.js'
export {K6_EXIT, readExportMeta, runK6, runLoadGate} from './run.js'
export type {LoadGateOptions, LoadGateResult, RunK6Options, RunK6Result} from './run.js'
export {DATA_FILE, META_FILE, renderK6Script, SCRIPT_FILE, thresholdsFor} from './script.js'
export type {EndpointOptions, K6Export, K6ExportMeta, LoadSlo, ScriptOptions} from './script.js'
export {LoadSloSchema, readSloFile} from './slo.js'
export {measurementFromSummary, readK6JsonOutput, readK6Summary} from './summary.js'
export type {K6Measurement, Quantiles, ThresholdResult} from './summary.js'

export interface PhaseLoadTestOptions {
  /** Directory for the script (fleetcap-owned: replaced if fleetcap wrote it, refused otherwise). */
  dir: string
  endpoint: EndpointOptions
  /** The phase's planned peak arrival rate, requests per second. */
  ratePerS: number
  durationS: number
  /** Token mix, e.g. from the plan's workload; [[input, output, 0]] per single-call task. */
  tasks: CallShape[][]
  slo: LoadSlo
  /** Latency of one call for sizing the VU pool (default: the p99, else p95 SLO, else 10 s). */
  expectedLatencyS?: number
  maxVUs?: number
}

/**
 * Write the load test of a plan phase: a constant arrival rate at its planned peak, thresholds from
 * its SLOs. Returns the script path to hand to runLoadGate.
 */
export async function exportPhaseLoadTest(o: PhaseLoadTestOptions): Promise<string> {
  const load = constantLoad(o.ratePerS, o.durationS, o.tasks, {phaseRatePerS: o.ratePerS})
  const exp = renderK6Script(load, {
    endpoint: o.endpoint,
    slo: o.slo,
    expectedLatencyS: o.expectedLatencyS ?? o.slo.e2eP99S ?? o.slo.e2eP95S ?? 10,
    maxVUs: o.maxVUs,
  })
  return (await writeK6Export(o.dir, exp)).script
}
