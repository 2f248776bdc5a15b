/**
 * The plan's page and PLAN.md's charts: per phase the chosen fleet, every candidate's cost against
 * its p95 TTFT with the Pareto front and why the rejected ones failed, the seeds' fleets beside it,
 * the HPA's simulated replicas over the forecast day, and the status of each pool's serving profile.
 */
import type {PhasePlan, PlanResult} from './plan.js'
import {autoscaledCostOf, costPerDay} from './render.js'
import {type Evaluated, p95Of} from './search.js'
import type {Chart, Page, Section, Table} from '../report/html/chart.js'
import {type Dataset, dataset} from '../report/html/dataset.js'
import {longSeries} from '../report/html/series.js'
import {distinct} from '../report/html/specs.js'

const usd = (x: number): string => `$${Math.round(x).toLocaleString('en-US')}`
const sec = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x < 1 ? `${(x * 1000).toFixed(0)} ms` : `${x.toFixed(2)} s`)
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'phase'

/** What a candidate's verdict was, as the chart's legend says it. */
function verdictOf(e: Evaluated, p: PhasePlan): string {
  if (e.candidate.origin === 'baseline') return 'seeds\' fleet'
  if (p.search.chosen === e) return 'chosen'
  switch (e.verdict.status) {
    case 'passed':
      return e.availability && !e.availability.pass ? 'rejected: availability' : 'met the SLOs'
    case 'failed':
      return 'rejected: SLO missed'
    case 'estimated':
      return e.verdict.pass ? 'estimated to meet' : 'rejected (estimate)'
    case 'pruned':
      return 'pruned (estimate)'
    default:
      return 'not simulated'
  }
}

function reasonOf(e: Evaluated): string {
  const v = e.verdict
  const parts = ['reason' in v ? v.reason : v.status === 'passed' ? `passed on seeds ${v.outcomes.map((o) => o.seed).join(', ')}` : '']
  if (e.availability && !e.availability.pass) parts.push(e.availability.reason)
  return parts.filter((x) => x !== '').join('; ')
}

const ORDER = ['chosen', 'met the SLOs', 'estimated to meet', 'seeds\' fleet', 'rejected: SLO missed', 'rejected: availability', 'rejected (estimate)', 'pruned (estimate)', 'not simulated']
const COLORS = ['#2e7d32', '#81c784', '#a5d6a7', '#1565c0', '#c62828', '#ef6c00', '#e57373', '#bdbdbd', '#9e9e9e']

export function paretoChart(p: PhasePlan, id: string): Chart {
  const all = [...p.search.evaluated, ...p.search.baselines]
  const front = new Set(p.search.pareto)
  const rows = all
    .map((e) => ({cost: costPerDay(e.candidate), p95: p95Of(e), series: verdictOf(e, p), fleet: e.candidate.label ? `${e.candidate.label}: ${e.candidate.id}` : e.candidate.id, front: front.has(e), reason: reasonOf(e)}))
    .filter((r) => Number.isFinite(r.p95) && r.p95 > 0)
  const d = dataset(['cost', 'p95', 'series', 'fleet', 'front', 'reason'], rows)
  const name = `${id}-candidates`
  const present = ORDER.filter((o) => rows.some((r) => r.series === o))
  const dropped = all.length - rows.length
  return {
    id,
    title: `${p.name}: cost against p95 TTFT`,
    caption: `Every candidate fleet of phase ${p.name} (${rows.length}${dropped > 0 ? `; ${dropped} with no finite latency estimate left out` : ''}): cost per day at peak size against its worst seed's p95 TTFT (simulated) or the analytic estimate (pruned and --fast). The line joins the Pareto front (nothing both cheaper and faster). Hover a point for the fleet and why it was rejected.`,
    spec: {
      width: 640,
      height: 300,
      layer: [
        ...(rows.some((r) => r.front) ? [{data: {name}, transform: [{filter: 'datum.front'}], mark: {type: 'line', color: '#555', strokeDash: [3, 3], interpolate: 'step-after'}, encoding: {x: {field: 'cost', type: 'quantitative'}, y: {field: 'p95', type: 'quantitative'}, order: {field: 'cost'}}}] : []),
        {
          data: {name},
          mark: {type: 'point', filled: true, tooltip: true},
          encoding: {
            x: {field: 'cost', type: 'quantitative', title: 'USD per day (peak fleet all day)', scale: {zero: false}},
            y: {field: 'p95', type: 'quantitative', title: 'p95 TTFT (s, log scale)', scale: {type: 'log'}},
            color: {field: 'series', type: 'nominal', title: null, scale: {domain: present, range: present.map((o) => COLORS[ORDER.indexOf(o)])}},
            shape: {field: 'series', type: 'nominal', scale: {domain: present, range: present.map((o) => (o === 'seeds\' fleet' ? 'diamond' : o === 'chosen' ? 'square' : 'circle'))}},
            size: {condition: {test: "datum.series === 'chosen' || datum.series === \"seeds' fleet\"", value: 110}, value: 35},
            tooltip: [{field: 'fleet'}, {field: 'series', title: 'verdict'}, {field: 'cost', title: 'USD/day', format: ',.0f'}, {field: 'p95', title: 'p95 TTFT (s)', format: '.3~g'}, {field: 'reason'}],
          },
        },
      ],
    },
    data: {[name]: d},
    series: present,
  }
}

/** The HPA's replicas per pool over the forecast day (and the calls in flight), from the day's simulation. */
export function hpaDayChart(p: PhasePlan, id: string): Chart | undefined {
  const t = p.hpaDay?.trajectory
  if (t === undefined || t.timeS.length === 0) return undefined
  const pools = Object.keys(t.replicas)
  const columns = ['time_s', 'in_flight', ...pools.flatMap((x) => [`replicas_${x}`, `desired_${x}`])]
  const rows: number[] = []
  t.timeS.forEach((time, i) => {
    rows.push(time, t.inFlight[i])
    for (const x of pools) rows.push(t.replicas[x][i], t.desired[x][i])
  })
  const ts = {columns, rows}
  const w = columns.length
  const colOf = (name: string) => {
    const j = columns.indexOf(name)
    return (i: number) => rows[i * w + j]
  }
  const data = longSeries(ts, [...pools.flatMap((x) => [{label: `${x} replicas`, value: colOf(`replicas_${x}`)}, {label: `${x} desired`, value: colOf(`desired_${x}`)}])])
  const load: Dataset = longSeries(ts, [{label: 'calls in flight', value: colOf('in_flight')}])
  const name = `${id}-series`
  const loadName = `${id}-load`
  return {
    id,
    title: `${p.name}: the HPA over the forecast day`,
    caption: `The chosen fleet with its HorizontalPodAutoscaler, simulated over a whole day of phase ${p.name}'s load (seed ${p.hpaDay?.seed}): replicas that existed and the HPA's desired count at every 15 s sync (left axis), and the fleet's calls in flight (grey, right axis). ${p.hpaDay?.scaleEvents ?? 0} scaling actions; SLOs ${p.hpaDay?.pass ? 'met' : `missed (${p.hpaDay?.misses.join(', ')})`}; ${usd(p.hpaDay?.costPerDayUsd ?? 0)}/day.`,
    spec: {
      width: 640,
      height: 220,
      layer: [
        {data: {name: loadName}, mark: {type: 'area', color: '#ccc', opacity: 0.6}, encoding: {x: {field: 'h', type: 'quantitative', title: 'hour of day'}, y: {field: 'v', type: 'quantitative', title: 'calls in flight', axis: {orient: 'right', grid: false}}}},
        {data: {name}, mark: {type: 'line', interpolate: 'step-after', tooltip: true}, encoding: {x: {field: 'h', type: 'quantitative'}, y: {field: 'v', type: 'quantitative', title: 'replicas'}, color: {field: 'series', type: 'nominal', title: null, sort: null, legend: {orient: 'top'}}}},
      ],
      resolve: {scale: {y: 'independent'}},
    },
    data: {[loadName]: load, [name]: data},
    series: distinct(data, 'series'),
  }
}

function phaseSection(p: PhasePlan): Section {
  const c = p.search.chosen
  const tables: Table[] = []
  const paragraphs: string[] = []
  if (c && p.pools) {
    paragraphs.push(`Chosen: ${c.candidate.id}, ${usd(autoscaledCostOf(p))}/day autoscaled (${usd(costPerDay(c.candidate))}/day at peak size all day); worst seed's TTFT p95 ${sec(p.worst?.ttftP95S ?? c.candidate.estimate.ttftP95S)}, task p95 ${sec(p.worst?.taskP95S ?? c.candidate.estimate.taskE2eP95S)}.`)
    tables.push({
      caption: 'Chosen fleet',
      headers: ['pool', 'GPU', 'TP', 'replicas at peak', 'min–max (HPA)', 'utilization', 'profile status', 'what the profile rests on'],
      rows: p.pools.map((pp) => [pp.pool.name, pp.pool.profile.gpu, String(pp.pool.profile.tensorParallel), String(pp.pool.replicas), `${pp.autoscale.settings.minReplicas}–${pp.autoscale.settings.maxReplicas}`, `${(Math.min(1, pp.utilization) * 100).toFixed(1)} %`, pp.pool.profile.status ?? '-', pp.pool.profile.details?.statusNote ?? '-']),
      rowClass: p.pools.map(() => 'chosen'),
    })
  } else paragraphs.push(`Nothing met the SLOs in phase ${p.name}${p.search.closest ? `; closest ${p.search.closest.candidate.id}: ${reasonOf(p.search.closest)}` : ''}.`)
  if (p.search.baselines.length > 0) {
    tables.push({
      caption: 'The seeds\' fleets beside it (same load, same SLOs, same seeds)',
      headers: ['fleet', 'GPUs', '$/day', 'p95 TTFT', 'SLO', 'why'],
      rows: p.search.baselines.map((b) => [b.candidate.label ?? b.candidate.id, b.candidate.id, usd(costPerDay(b.candidate)), sec(p95Of(b)), b.verdict.status === 'passed' || (b.verdict.status === 'estimated' && b.verdict.pass) ? 'met' : 'NOT met', reasonOf(b)]),
      rowClass: p.search.baselines.map((b) => (b.verdict.status === 'passed' || (b.verdict.status === 'estimated' && b.verdict.pass) ? 'pass' : 'fail')),
    })
  }
  const rejected = p.search.evaluated.filter((e) => e !== c && (e.verdict.status === 'failed' || (e.verdict.status === 'estimated' && !e.verdict.pass) || (e.verdict.status === 'passed' && e.availability?.pass === false))).sort((a, b) => a.candidate.costPerHourUsd - b.candidate.costPerHourUsd)
  if (rejected.length > 0) {
    tables.push({caption: `Rejected after simulation or estimate, cheapest first (${rejected.length}; ${p.search.pruned} more pruned analytically; fleets dearer than the choice were not simulated)`, headers: ['fleet', '$/day', 'p95 TTFT', 'why'], rows: rejected.slice(0, 40).map((e) => [e.candidate.id, usd(costPerDay(e.candidate)), sec(p95Of(e)), reasonOf(e)])})
  }
  const id = slug(p.name)
  const charts: Chart[] = [paretoChart(p, `plan-${id}-pareto`)]
  const hpa = hpaDayChart(p, `plan-${id}-hpa-day`)
  if (hpa) charts.push(hpa)
  return {heading: `Phase ${p.name}: ${p.tasksPerDay.toLocaleString('en-US')} tasks/day${p.date ? ` from ${p.date}` : ''}`, paragraphs, tables, charts}
}

/** The plan's page. */
export function planPage(result: PlanResult): Page {
  const req = result.request
  return {
    kind: 'Capacity plan',
    title: req.name,
    subtitle: [
      `Model ${req.model}; SLOs: ${Object.entries(req.slo).map(([k, v]) => `${k} ${v}`).join(', ')}; headroom ${Math.round(req.headroom * 100)} %.`,
      result.fast ? 'Method: analytic only (--fast): nothing below was simulated; latencies are estimates.' : `Method: every fleet simulated over the ${req.peakWindowS / 3600} h around the daily peak on seeds ${result.seeds.join(', ')}.`,
      `Inputs digest ${result.digest}.`,
    ],
    sections: result.phases.map((p) => phaseSection(p)),
  }
}

/** PLAN.md's charts: file name (under charts/) → chart, per phase the Pareto chart and the HPA day. */
export function planMdCharts(result: PlanResult): {file: string; phase: string; chart: Chart}[] {
  const out: {file: string; phase: string; chart: Chart}[] = []
  for (const p of result.phases) {
    const id = slug(p.name)
    out.push({file: `charts/${id}-pareto.svg`, phase: p.name, chart: paretoChart(p, `plan-${id}-pareto`)})
    const hpa = hpaDayChart(p, `plan-${id}-hpa-day`)
    if (hpa) out.push({file: `charts/${id}-hpa-day.svg`, phase: p.name, chart: hpa})
  }
  return out
}
