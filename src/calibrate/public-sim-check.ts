/**
 * The public measurements that are served queues, reproduced by driving the real simulator
 * (src/sim, its public `simulate`) with the fitted profile: so whatever the simulator's scheduler
 * does (KV admission, batching limits) is what is checked.
 *   - offline max-throughput rows: OFFLINE_REQUESTS identical requests queued at t=0;
 *   - the TensorRT-LLM online table: 500 requests arriving as a Poisson process at the stated rate
 *     (the seeded generator), all at t=0 for "INF".
 */
import {RandomStreams} from '../engine/random.js'
import {parseScenario} from '../scenario/load.js'
import {simulate} from '../pipeline/simulate.js'
import type {Task, TaskStream} from '../workload/types.js'
import type {Catalog} from '../fleet/profiles/catalog.js'
import {buildProfile} from '../fleet/profiles/catalog.js'
import type {Table} from '../fleet/profiles/public-calibration.js'
import {loadPublicData, type PublicRow} from '../fleet/profiles/public-data.js'

/** gptManagerBenchmark's 2,000 requests (methods.csv TRT-GMB); trtllm-bench used 1,000-30,000. */
export const OFFLINE_REQUESTS = 2000
const ONLINE_REQUESTS = 500

const SCENARIO = `apiVersion: fleetcap.dev/v1
kind: Scenario
name: calibration-check
seed: 1
duration: 1s
workload: {kind: synthetic, tasksPerDay: 1, tokens: {input: 100, output: 10}}
fleet:
  pools:
    - {name: p, gpu: H100-SXM, model: llama-3.1-8b, replicas: 1}
`

function tasksOf(arrivals: readonly number[], isl: number, osl: number): TaskStream {
  return (async function* () {
    const chunk: Task[] = arrivals.map((t, id) => ({id, arrivalS: t, taskType: 'default', priority: 'normal', calls: [{inputTokens: isl, outputTokens: osl, delayS: 0}]}))
    yield chunk
  })()
}

export interface SimOutcome {
  outputTokS: number
  ttftMeanMs?: number
  itlMeanMs?: number
}

/** Serve `arrivals` of identical (isl, osl) requests on one replica of the profile. */
export async function simulateRequests(catalog: Catalog, row: PublicRow, arrivals: readonly number[]): Promise<SimOutcome> {
  const profile = buildProfile({model: row.model, gpu: row.gpu, tensorParallel: row.tp, engine: row.engine, precision: {weights: row.weights, kv: row.kv}, catalog})
  const scenario = parseScenario(SCENARIO.replace('duration: 1s', `duration: ${Math.max(1, Math.ceil(arrivals[arrivals.length - 1] + 1))}s`), 'calibration-check')
  const {report} = await simulate(scenario, {seed: 1, tasks: tasksOf(arrivals, row.isl, row.osl), resolveProfile: () => profile, catalog})
  const first = arrivals[0]
  const lat = report.latency.overall
  return {
    outputTokS: report.calls.outputTokens / (report.run.endS - first),
    ttftMeanMs: lat.ttftS ? lat.ttftS.meanS * 1000 : undefined,
    itlMeanMs: lat.tpotS ? lat.tpotS.meanS * 1000 : undefined,
  }
}

const f1 = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`
const err = (pred: number, meas: number): number => (100 * (pred - meas)) / meas

/** Online table: one line per (GPU, model, rate). */
export async function onlineCheck(catalog: Catalog, rows: readonly PublicRow[]): Promise<Table> {
  const out: string[][] = []
  const ok = {tput: 0, ttft: 0, itl: 0}
  for (const row of rows.filter((r) => r.kind === 'online')) {
    const rng = new RandomStreams(1).stream(`online-${row.rowId}`)
    const rate = row.rateQps
    const arrivals: number[] = []
    let t = 0
    for (let i = 0; i < ONLINE_REQUESTS; i++) {
      if (rate !== undefined && Number.isFinite(rate)) t += rng.exponential(rate)
      arrivals.push(t)
    }
    const s = await simulateRequests(catalog, row, arrivals)
    if (Math.abs(err(s.outputTokS, row.outputTokS!)) <= 15) ok.tput++
    if (row.ttftMs !== undefined && s.ttftMeanMs !== undefined && Math.abs(err(s.ttftMeanMs, row.ttftMs)) <= 20) ok.ttft++
    if (row.itlMs !== undefined && s.itlMeanMs !== undefined && Math.abs(err(s.itlMeanMs, row.itlMs)) <= 20) ok.itl++
    out.push([
      `${row.gpu} ${row.model} tp${row.tp} ${row.isl}/${row.osl}`,
      rate === undefined || !Number.isFinite(rate) ? 'INF' : String(rate),
      `${row.outputTokS} / ${s.outputTokS.toFixed(0)} (${f1(err(s.outputTokS, row.outputTokS!))})`,
      row.ttftMs === undefined || s.ttftMeanMs === undefined ? '-' : `${row.ttftMs} / ${s.ttftMeanMs.toFixed(0)} (${f1(err(s.ttftMeanMs, row.ttftMs))})`,
      row.itlMs === undefined || s.itlMeanMs === undefined ? '-' : `${row.itlMs} / ${s.itlMeanMs.toFixed(1)} (${f1(err(s.itlMeanMs, row.itlMs))})`,
    ])
  }
  return {
    title: `TensorRT-LLM online table (v0.14, Triton, ${ONLINE_REQUESTS} requests at a fixed rate) through the simulator: measured / simulated (error); of ${out.length} cells, throughput within 15%: ${ok.tput}, TTFT within 20%: ${ok.ttft}, ITL within 20%: ${ok.itl}`,
    head: ['GPU model TP ISL/OSL', 'req/s', 'output tok/s', 'mean TTFT ms', 'mean ITL ms'],
    rows: out,
  }
}

/** Offline holdout rows of llama models through the simulator, against the analytic steady state. */
export async function offlineCheck(catalog: Catalog, rows: readonly PublicRow[]): Promise<Table[]> {
  const out: string[][] = []
  // Per (source, group): rows, within 15%, simulated too fast (> +15%), too slow (< -15%).
  const bySource = new Map<string, [number, number, number, number]>()
  const picked = rows.filter((r) => r.kind === 'offline' && r.split === 'holdout' && r.model.startsWith('llama-3.1') && catalog.serving.publicCalibration?.fits.some((f) => f.gpu === r.gpu && f.engine === r.engine && f.weights === r.weights && f.kv === r.kv))
  const errs: number[] = []
  for (const row of picked) {
    let s: SimOutcome
    try {
      s = await simulateRequests(catalog, row, new Array<number>(OFFLINE_REQUESTS).fill(0))
    } catch {
      continue
    }
    const e = err(s.outputTokS, row.outputTokS!)
    errs.push(Math.abs(e))
    const key = `${row.sourceId} ${row.gpu} ${row.engine} ${row.weights}`
    const tally = bySource.get(key) ?? [0, 0, 0, 0]
    tally[0]++
    tally[Math.abs(e) <= 15 ? 1 : e > 0 ? 2 : 3]++
    bySource.set(key, tally)
    out.push([`${row.sourceId} ${row.gpu} ${row.engine} ${row.weights} ${row.model} tp${row.tp}`, `${row.isl}/${row.osl}`, String(row.outputTokS), s.outputTokS.toFixed(0), f1(e)])
  }
  errs.sort((a, b) => a - b)
  const within = errs.filter((e) => e <= 15).length
  return [
    {
      title: `Offline max-throughput holdout rows (Llama-3.1) through the simulator by source and group: ${within} of ${errs.length} within 15%; where the rest miss, and in which direction`,
      head: ['source GPU engine weights', 'rows', 'within 15%', 'simulated > +15%', 'simulated < -15%'],
      rows: [...bySource.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, t]) => [k, ...t.map(String)]),
    },
    {
      title: `Offline max-throughput holdout rows (Llama-3.1) through the simulator, ${OFFLINE_REQUESTS} requests at t=0: ${within} of ${errs.length} within 15%`,
      head: ['source group model TP', 'ISL/OSL', 'measured tok/s', 'simulated tok/s', 'error'],
      rows: out,
    },
  ]
}

export async function simCheckTables(catalog: Catalog, csvPath: string): Promise<Table[]> {
  const {rows} = loadPublicData(catalog, csvPath)
  return [...(await offlineCheck(catalog, rows)), await onlineCheck(catalog, rows)]
}
