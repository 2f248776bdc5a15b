/**
 * The k6 area's public API: render load tests from traces and plan phases, run them as gates, read
 * what k6 measured. apply-to-cluster calls exportPhaseLoadTest + runLoadGate after its rollout gates.
 */
import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import {writeK6Export} from './export.js'
import {type CallShape, constantLoad, verifiedLoad, type VerifiedWorkload} from './load.js'
import {runLoadGate} from './run.js'
import {type EndpointOptions, type LoadSlo, renderK6Script} from './script.js'

export {cachedK6Path, findK6, k6InstallCommand, K6_VERSION} from './binary.js'
export {readK6ExportLoad, writeK6Export} from './export.js'
export {constantLoad, expectedIterations, loadFromTasks, peakRatePerS, totalDurationS, verifiedLoad} from './load.js'
export type {CallShape, LoadProfile, LoadStage, TraceLoadOptions, VerifiedWorkload} from './load.js'
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
  /** The phase's planned peak arrival rate, requests (tasks) per second; with `verified`, its mean task rate. */
  ratePerS: number
  /** The workload the plan verified the phase on: replayed instead of a constant rate of `tasks`. */
  verified?: VerifiedWorkload
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
  const load = o.verified ? verifiedLoad(o.verified, o.tasks, o.durationS) : constantLoad(o.ratePerS, o.durationS, o.tasks, {phaseRatePerS: o.ratePerS})
  const exp = renderK6Script(load, {
    endpoint: o.endpoint,
    slo: o.slo,
    expectedLatencyS: o.expectedLatencyS ?? o.slo.e2eP99S ?? o.slo.e2eP95S ?? 10,
    maxVUs: o.maxVUs,
  })
  return (await writeK6Export(o.dir, exp)).script
}

export interface PhaseLoadGateOptions extends PhaseLoadTestOptions {
  k6Binary?: string
  signal?: AbortSignal
  onOutput?: (line: string) => void
}

/** What a phase's load gate keeps with the apply record: small, plain, JSON-ready. */
export interface PhaseLoadGateRecord extends Record<string, unknown> {
  passed: boolean
  reason: string
  ratePerS: number
  /** LLM calls per second the plan verified the phase at (with a recorded workload). */
  plannedCallsPerS?: number
  durationS: number
  summaryFile: string
  /** SHA-256 of the summary file, so the record names exactly the measurement it came from. */
  summarySha256?: string
  requests?: number
  droppedIterations: number
  errorRate?: number
  latencyP95Ms?: number
  latencyP99Ms?: number
  ttftP95Ms?: number
  tpotP95Ms?: number
  failedThresholds: string[]
}

/**
 * apply-to-cluster's load gate for one phase: write the phase's load test into `dir`, run it, and
 * return pass/fail with a one-line reason and the record to keep with the phase.
 */
export async function runPhaseLoadGate(o: PhaseLoadGateOptions): Promise<{passed: boolean; reason: string; record: PhaseLoadGateRecord; summaryPath: string}> {
  const script = await exportPhaseLoadTest(o)
  const r = await runLoadGate({script, k6Binary: o.k6Binary, signal: o.signal, onOutput: o.onOutput})
  const m = r.summary
  let summarySha256: string | undefined
  try {
    summarySha256 = createHash('sha256').update(await readFile(r.summaryPath)).digest('hex')
  } catch {
    summarySha256 = undefined
  }
  const record: PhaseLoadGateRecord = {
    passed: r.passed,
    reason: r.reason,
    ratePerS: o.ratePerS,
    ...(o.verified ? {plannedCallsPerS: o.verified.callsPerS} : {}),
    durationS: o.durationS,
    summaryFile: r.summaryPath,
    summarySha256,
    requests: m?.requests,
    droppedIterations: r.droppedIterations,
    errorRate: m?.errorRate,
    latencyP95Ms: m?.latencyMs?.p95,
    latencyP99Ms: m?.latencyMs?.p99,
    ttftP95Ms: m?.ttftMs?.p95,
    tpotP95Ms: m?.tpotMs?.p95,
    failedThresholds: r.failedThresholds,
  }
  return {passed: r.passed, reason: r.reason, record, summaryPath: r.summaryPath}
}
