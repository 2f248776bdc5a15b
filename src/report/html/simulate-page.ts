/**
 * The simulation report page: load, queue, replicas and the autoscaler's decisions, utilization and
 * KV use, latency over time and as distributions, failures, cost and the SLO verdict.
 */
import type {ChartData, TimeSeries} from '../../sim/simulate.js'
import {DISTRIBUTION_LEVELS} from '../../sim/simulate.js'
import type {SimulationReport} from '../report.js'
import type {Chart, Page, Section, Table} from './chart.js'
import {type Dataset, dataset} from './dataset.js'
import {col, type Columnar, longSeries, ratePerS, rowCount} from './series.js'
import {distinct, eventRules, targetRule, timeLines} from './specs.js'

export interface SimulationPageInput {
  report: SimulationReport
  timeSeries: TimeSeries
  charts?: ChartData
}

const fmtS = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-'
  if (x < 1) return `${(x * 1000).toFixed(x < 0.01 ? 2 : 1)} ms`
  return x < 120 ? `${x.toFixed(2)} s` : `${(x / 60).toFixed(1)} min`
}
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)} %`)
const usd = (x: number | null): string => (x === null ? '-' : `$${x.toFixed(2)}`)

/** Scaling events and failures as {h, label} marks (time in hours). */
function eventData(r: SimulationReport): Dataset {
  const a = r.autoscaling
  const rows: Record<string, unknown>[] = []
  for (const f of a?.failures ?? []) rows.push({h: f.timeS / 3600, label: `${f.kind} ${f.pool}: ${f.replicasLost} replicas lost, ${f.callsRetried} calls retried, ${f.callsLost} lost`})
  return dataset(['h', 'label'], rows)
}

function loadCharts(ts: Columnar, r: SimulationReport, events: Dataset): Chart[] {
  const ev = {'sim-events': events}
  const layers = events.rows.length > 0 ? [eventRules('sim-events')] : []
  return [
    timeLines({
      id: 'sim-load',
      title: 'Arrivals and completions',
      caption: 'Tasks arriving, completing and dropped (past deadline, queue full, too large) per second, per time-series interval. Purple rules: injected failures.',
      data: longSeries(ts, [
        {label: 'arrivals/s', value: ratePerS(ts, 'arrivals')},
        {label: 'completed/s', value: ratePerS(ts, 'completed')},
        {label: 'dropped/s', value: ratePerS(ts, 'dropped')},
      ]),
      yTitle: 'tasks per second',
      layers,
      extraData: ev,
    }),
    timeLines({
      id: 'sim-queue',
      title: 'Queue depth and calls in flight',
      caption: `Calls waiting in the fleet's priority queue and calls running on replicas, at each sample (peak queue ${r.queue.peakDepth}, time-average ${r.queue.meanDepth.toFixed(2)}).`,
      data: longSeries(ts, [
        {label: 'queue depth', value: col(ts, 'queue_depth')},
        {label: 'in flight', value: col(ts, 'in_flight')},
      ]),
      yTitle: 'calls',
      layers,
      extraData: ev,
    }),
  ]
}

function replicaChart(ts: Columnar, r: SimulationReport, events: Dataset): Chart {
  const a = r.autoscaling
  const series: {label: string; value: (i: number) => number}[] = []
  const scaled = new Set(a?.pools.map((p) => p.name) ?? [])
  for (const p of r.pools) {
    if (scaled.has(p.name)) {
      series.push({label: `${p.name} ready`, value: col(ts, `replicas_ready_${p.name}`)})
      series.push({label: `${p.name} desired`, value: col(ts, `replicas_desired_${p.name}`)})
      series.push({label: `${p.name} starting (cold start)`, value: col(ts, `replicas_starting_${p.name}`)})
    } else {
      const n = p.replicas
      series.push({label: `${p.name} replicas`, value: () => n})
    }
    series.push({label: `${p.name} busy`, value: col(ts, `busy_${p.name}`)})
  }
  const decisions = dataset(
    ['h', 'v', 'label'],
    (a?.events ?? []).map((e) => ({h: e.timeS / 3600, v: e.to, label: `${e.pool} ${e.from} → ${e.to} [${e.autoscaler}${e.limitedBy.length > 0 ? `; limited by ${e.limitedBy.join(', ')}` : ''}] ${e.reason}`})),
  )
  const layers: Record<string, unknown>[] = []
  const extra: Record<string, Dataset> = {}
  if (decisions.rows.length > 0) {
    extra['sim-decisions'] = decisions
    layers.push({
      data: {name: 'sim-decisions'},
      mark: {type: 'point', shape: 'triangle-up', filled: true, size: 40, color: '#111', tooltip: true},
      encoding: {x: {field: 'h', type: 'quantitative'}, y: {field: 'v', type: 'quantitative'}, tooltip: [{field: 'label', type: 'nominal', title: 'decision'}, {field: 'h', type: 'quantitative', title: 'time (h)', format: '.3f'}]},
    })
  }
  if (events.rows.length > 0) {
    extra['sim-events'] = events
    layers.push(eventRules('sim-events'))
  }
  return timeLines({
    id: 'sim-replicas',
    title: 'Replicas per pool',
    caption:
      a === undefined
        ? 'Replicas per pool (fixed: no autoscaler) and replicas stepping (busy) at each sample.'
        : `Ready, desired and starting replicas per autoscaled pool (starting = provisioning and cold start), replicas busy at each sample; black triangles: the autoscaler's ${decisions.rows.length} scaling decisions (hover for the reason); purple rules: failures.`,
    data: longSeries(ts, series),
    yTitle: 'replicas',
    layers,
    extraData: extra,
  })
}

function utilizationChart(ts: Columnar, r: SimulationReport): Chart {
  const series: {label: string; value: (i: number) => number}[] = []
  for (const p of r.pools) {
    series.push({label: `${p.name} utilization`, value: col(ts, `utilization_${p.name}`)})
    if (p.kind === 'llm') series.push({label: `${p.name} KV cache`, value: col(ts, `kv_occupancy_${p.name}`)})
  }
  return timeLines({
    id: 'sim-utilization',
    title: 'Utilization and KV-cache use',
    caption: 'Per pool: fraction of replica-time spent stepping (or of slot-time busy) over each interval, and the fraction of the KV cache reserved at each sample.',
    data: longSeries(ts, series),
    yTitle: 'fraction',
    yScale: {domain: [0, 1]},
  })
}

const METRIC_LABEL: Record<string, string> = {ttft: 'TTFT', tpot: 'TPOT', e2e: 'call e2e', queueWaitS: 'queue wait', ttftS: 'TTFT', tpotS: 'TPOT', e2eS: 'call e2e', taskE2eS: 'task e2e'}

function sloTargetFor(r: SimulationReport, metric: string): {value: number; label: string} | undefined {
  const want: Record<string, string[]> = {ttft: ['TTFT p95 (s)', 'TTFT p99 (s)'], ttftS: ['TTFT p95 (s)', 'TTFT p99 (s)'], tpot: ['TPOT p95 (s)'], tpotS: ['TPOT p95 (s)'], taskE2eS: ['task e2e p95 (s)', 'task e2e p99 (s)'], queueWaitS: ['queue wait p95 (s)']}
  const c = r.slo.checks.find((k) => (want[metric] ?? []).includes(k.objective))
  return c ? {value: c.target, label: `SLO ${c.objective.replace(' (s)', '')} ${fmtS(c.target)}`} : undefined
}

function latencyOverTime(charts: ChartData, r: SimulationReport): Chart[] {
  const ls = charts.latencySeries
  if (rowCount(ls) === 0) return []
  const out: Chart[] = []
  for (const m of ['ttft', 'tpot', 'e2e']) {
    const count = col(ls, `${m}_count`)
    let any = false
    for (let i = 0; i < rowCount(ls) && !any; i++) any = count(i) > 0
    if (!any) continue
    const target = sloTargetFor(r, m)
    out.push(
      timeLines({
        id: `sim-latency-${m}`,
        title: `${METRIC_LABEL[m]} over time`,
        caption: `p50, p95 and p99 of the ${METRIC_LABEL[m]} of the calls that finished in each interval (all priorities; gaps: none finished).${target ? ' Red dashed: the SLO target.' : ''}`,
        data: longSeries(ls, [50, 95, 99].map((l) => ({label: `p${l}`, value: col(ls, `${m}_p${l}_s`)}))),
        yTitle: 'seconds',
        layers: target ? [targetRule(target.value, target.label)] : [],
      }),
    )
  }
  return out
}

function distributionCharts(charts: ChartData, r: SimulationReport): Chart[] {
  const out: Chart[] = []
  for (const [metric, byClass] of Object.entries(charts.distributions)) {
    const rows: Record<string, unknown>[] = []
    // With one priority class only, its curve is the overall one: draw it once.
    const classes = Object.entries(byClass).filter(([c], _, all) => all.length > 2 || c === 'all')
    for (const [cls, values] of classes) {
      values.forEach((v, i) => {
        // A log axis cannot show 0 (calls that never waited): they sit at the curve's left end.
        if (v > 0) rows.push({series: cls, v, p: DISTRIBUTION_LEVELS[i]})
      })
    }
    if (rows.length === 0) continue
    const name = `sim-dist-${metric}`
    const d = dataset(['series', 'v', 'p'], rows)
    const target = sloTargetFor(r, metric)
    const layers: Record<string, unknown>[] = [
      {
        data: {name},
        mark: {type: 'line', point: {size: 12}, tooltip: true},
        encoding: {
          x: {field: 'v', type: 'quantitative', title: `${METRIC_LABEL[metric]} (s, log scale)`, scale: {type: 'log'}},
          y: {field: 'p', type: 'quantitative', title: 'percentile'},
          color: {field: 'series', type: 'nominal', title: 'priority', sort: null},
          tooltip: [{field: 'series', title: 'class'}, {field: 'p', title: 'percentile'}, {field: 'v', title: 'seconds', format: '.4~g'}],
        },
      },
    ]
    if (target) layers.push({data: {values: [{x: target.value}]}, mark: {type: 'rule', strokeDash: [6, 4], color: '#c62828'}, encoding: {x: {field: 'x', type: 'quantitative'}}})
    out.push({
      id: name,
      title: `${METRIC_LABEL[metric]}: distribution`,
      caption: `Cumulative distribution (percentile against value) of ${METRIC_LABEL[metric]} over the run, all calls and per priority class that had any${target ? '; red dashed: the SLO target' : ''}. From the run's HdrHistograms (3 significant digits).`,
      spec: {layer: layers},
      data: {[name]: d},
      series: distinct(d, 'series'),
    })
  }
  return out
}

/** Cumulative cost over time: replicas existing (autoscaled pools: desired, else fixed) × price. */
function costChart(ts: Columnar, r: SimulationReport): Chart {
  const t = col(ts, 'time_s')
  const scaled = new Set(r.autoscaling?.pools.map((p) => p.name) ?? [])
  const n = rowCount(ts)
  const cumulative = r.pools.map((p) => {
    const ready = col(ts, `replicas_ready_${p.name}`)
    const starting = col(ts, `replicas_starting_${p.name}`)
    const draining = col(ts, `replicas_draining_${p.name}`)
    const acc = new Float64Array(n)
    let sum = 0
    for (let i = 0; i < n; i++) {
      const dt = t(i) - (i > 0 ? t(i - 1) : 0)
      const reps = scaled.has(p.name) ? ready(i) + starting(i) + draining(i) : p.replicas
      sum += (reps * p.pricePerReplicaHourUsd * dt) / 3600
      acc[i] = sum
    }
    return {label: p.name, value: (i: number) => acc[i]}
  })
  return timeLines({
    id: 'sim-cost',
    title: 'Cost over time',
    caption: `Cumulative USD per pool from the replicas that existed at each sample × their price (report total ${usd(r.cost.costUsd)}, ${r.cost.gpuHours.toFixed(1)} GPU-hours${r.autoscaling ? '; the report bills autoscaled pools from node provisioning, so it can be a little higher' : ''}).`,
    data: longSeries(ts, cumulative),
    yTitle: 'USD (cumulative)',
    mark: 'line',
  })
}

function sloSection(r: SimulationReport): Section {
  const checks = r.slo.checks
  const table: Table = {
    caption: `SLO verdict: ${checks.length === 0 ? 'no SLOs set' : r.slo.pass ? 'PASS' : 'FAIL'}`,
    headers: ['objective', 'target', 'actual', 'within target', 'result'],
    rows: checks.map((k) => [k.objective, k.objective === 'error rate' ? pct(k.target) : fmtS(k.target), k.objective === 'error rate' ? pct(k.actual) : fmtS(k.actual), k.attainment === null ? '-' : pct(k.attainment), k.pass ? 'PASS' : 'FAIL']),
    rowClass: checks.map((k) => (k.pass ? 'pass' : 'fail')),
  }
  const tables = [table]
  const band = (r as unknown as {band?: unknown}).band
  if (band !== undefined && band !== null && typeof band === 'object') tables.push(bandTable(band as Record<string, unknown>))
  const charts: Chart[] = []
  if (checks.length > 0) {
    const name = 'sim-slo-data'
    const d = dataset(['objective', 'ratio', 'result'], checks.map((k) => ({objective: k.objective, ratio: k.actual === null ? null : k.target > 0 ? k.actual / k.target : null, result: k.pass ? 'PASS' : 'FAIL'})))
    charts.push({
      id: 'sim-slo',
      title: 'SLO: actual against target',
      caption: 'Each objective\'s actual value divided by its target: at or left of the line (1.0) the objective is met.',
      spec: {
        height: {step: 22},
        layer: [
          {data: {name}, mark: {type: 'bar', tooltip: true}, encoding: {y: {field: 'objective', type: 'nominal', title: null, sort: null}, x: {field: 'ratio', type: 'quantitative', title: 'actual ÷ target'}, color: {field: 'result', type: 'nominal', scale: {domain: ['PASS', 'FAIL'], range: ['#2e7d32', '#c62828']}, title: null}}},
          {data: {values: [{x: 1}]}, mark: {type: 'rule', color: '#111'}, encoding: {x: {field: 'x', type: 'quantitative'}}},
        ],
      },
      data: {[name]: d},
      series: ['PASS', 'FAIL'],
    })
  }
  return {heading: 'SLO verdict', tables, charts}
}

/** The report's error band (when it has one): each field as a row, nested objects flattened. */
function bandTable(band: Record<string, unknown>): Table {
  const rows: string[][] = []
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x)
    else rows.push([prefix, typeof v === 'number' ? String(Number(v.toPrecision(4))) : JSON.stringify(v)])
  }
  walk('', band)
  return {caption: 'Error band of the prediction (report.band)', headers: ['field', 'value'], rows}
}

function summaryTable(r: SimulationReport): Table {
  const t = r.tasks
  const o = r.latency.overall
  return {
    caption: 'Summary',
    headers: ['figure', 'value'],
    rows: [
      ['tasks arrived / completed / failed', `${t.arrived} / ${t.completed} / ${t.failed}`],
      ['error rate', pct(t.errorRate)],
      ['TTFT p50 / p95 / p99', `${fmtS(o.ttftS?.p50S)} / ${fmtS(o.ttftS?.p95S)} / ${fmtS(o.ttftS?.p99S)}`],
      ['TPOT p50 / p95 / p99', `${fmtS(o.tpotS?.p50S)} / ${fmtS(o.tpotS?.p95S)} / ${fmtS(o.tpotS?.p99S)}`],
      ['task e2e p50 / p95 / p99', `${fmtS(o.taskE2eS?.p50S)} / ${fmtS(o.taskE2eS?.p95S)} / ${fmtS(o.taskE2eS?.p99S)}`],
      ['throughput', `${r.throughput.tasksPerS.toFixed(3)} tasks/s, ${r.throughput.callsPerS.toFixed(3)} calls/s`],
      ['cost', `${usd(r.cost.costUsd)}, ${r.cost.gpuHours.toFixed(1)} GPU-hours, ${usd(r.cost.costPer1000TasksUsd)} per 1,000 tasks`],
    ],
  }
}

function poolsTable(r: SimulationReport): Table {
  return {
    caption: 'Pools',
    headers: ['pool', 'gpu', 'model', 'replicas (end)', 'util', 'KV', 'batch', 'calls', 'GPU-h', 'cost'],
    rows: r.pools.map((p) => [p.name, p.gpu ?? '-', p.model ?? '-', String(p.replicas), pct(p.utilization), pct(p.kvOccupancy), p.meanInFlightPerReplica.toFixed(1), String(p.callsServed), p.gpuHours.toFixed(1), usd(p.costUsd)]),
  }
}

/** Preemptions per LLM pool (paged KV: the newest sequence is recomputed when the cache is full). */
function preemptionsLine(r: SimulationReport): string {
  const llm = r.pools.filter((p) => p.preemptions !== undefined)
  if (llm.length === 0) return 'Preemptions: no LLM pools in this run.'
  const parts = llm.map((p) => `${p.name} ${p.preemptions?.count ?? 0} (${p.preemptions?.recomputedTokens ?? 0} tokens recomputed)`)
  return `Preemptions by pool: ${parts.join(', ')}. With paged KV (the default) a call is preempted and recomputed when the cache is full; with kvAllocation: reserve it never is (docs/simulator.md).`
}

function failuresSection(r: SimulationReport): Section {
  const a = r.autoscaling
  const fails = a?.failures ?? []
  const paragraphs = [
    fails.length === 0 ? 'No failures were injected in this run.' : `${fails.length} failure(s) injected; ${a?.callsRetried ?? 0} calls retried after a loss, ${a?.callsLost ?? 0} lost.`,
    preemptionsLine(r),
  ]
  const charts: Chart[] = []
  if (fails.length > 0) {
    const name = 'sim-failures-data'
    const d = dataset(['pool', 'kind', 'from', 'to', 'recover', 'label'], fails.map((f) => ({pool: f.pool, kind: f.kind, from: f.timeS / 3600, to: (f.timeToRecoverS === null ? r.run.endS : f.timeS + f.timeToRecoverS) / 3600, label: `${f.kind}: ${f.replicasLost} lost, ${f.callsRetried} retried, ${f.callsLost} calls lost; recovered ${f.timeToRecoverS === null ? 'never' : fmtS(f.timeToRecoverS)}; TTFT p95 meanwhile ${fmtS(f.impact.ttftP95S)}`})))
    charts.push({
      id: 'sim-failures',
      title: 'Failures and recovery',
      caption: 'Each injected failure from its start until its pool had as many ready replicas as before (hover for the calls retried and lost and the TTFT meanwhile).',
      spec: {
        height: {step: 26},
        data: {name},
        mark: {type: 'bar', tooltip: true},
        encoding: {
          y: {field: 'pool', type: 'nominal', title: null},
          x: {field: 'from', type: 'quantitative', title: 'time (h)', scale: {domain: [0, r.run.endS / 3600]}},
          x2: {field: 'to'},
          color: {field: 'kind', type: 'nominal', title: null, sort: null},
          tooltip: [{field: 'label', title: 'failure'}],
        },
      },
      data: {[name]: d},
      series: distinct(d, 'kind'),
    })
  }
  const tables: Table[] = fails.length === 0 ? [] : [{
    caption: 'Failures',
    headers: ['time', 'kind', 'pool', 'hit', 'replicas lost', 'calls retried', 'calls lost', 'time to recover', 'TTFT p95 meanwhile'],
    rows: fails.map((f) => [fmtS(f.timeS), f.kind, f.pool, String(f.targets), String(f.replicasLost), String(f.callsRetried), String(f.callsLost), f.timeToRecoverS === null ? 'not recovered' : fmtS(f.timeToRecoverS), fmtS(f.impact.ttftP95S)]),
  }]
  return {heading: 'Failures and preemptions', paragraphs, tables, charts}
}

/** The page of a simulation run. */
export function simulationPage(input: SimulationPageInput): Page {
  const r = input.report
  const ts = input.timeSeries
  const events = eventData(r)
  const s = r.scenario
  const sections: Section[] = [
    {heading: 'Summary', tables: [summaryTable(r), poolsTable(r)]},
    {heading: 'Load and queue', charts: loadCharts(ts, r, events)},
    {heading: 'Replicas and autoscaling', charts: [replicaChart(ts, r, events)]},
    {heading: 'Utilization and KV cache', charts: [utilizationChart(ts, r)]},
  ]
  if (input.charts) {
    const over = latencyOverTime(input.charts, r)
    const dist = distributionCharts(input.charts, r)
    sections.push({heading: 'Latency over time', charts: over, paragraphs: over.length === 0 ? ['No calls finished.'] : []})
    sections.push({heading: 'Latency distributions', charts: dist})
  }
  sections.push(failuresSection(r), {heading: 'Cost', charts: [costChart(ts, r)]}, sloSection(r))
  return {
    kind: 'Simulation',
    title: s.name,
    subtitle: [
      `Seed ${s.seed}; ${s.durationS} s of arrivals (${s.workload}); last call done at ${Math.round(r.run.endS)} s; ${r.run.events} events.`,
      `Time series: ${rowCount(ts)} samples (long series are downsampled for the charts, min and max of each bucket kept); latency quantiles from HdrHistograms (3 significant digits).`,
    ],
    sections,
  }
}
