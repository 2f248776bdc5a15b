/**
 * What autoscaling costs the simulator: wall time of a run with its pools' autoscalers (metrics
 * scraped every 15 s, HPA syncs, node pool, failures) over the same run without them
 * (`withoutAutoscaling`). Target: under 30 % more.
 *
 *   node dist/bench/autoscale.js            all cases, a table on stdout
 *   node dist/bench/autoscale.js --quick    smaller sizes
 *   node dist/bench/autoscale.js --repeats 5
 *
 * Two kinds of case. "pinned": the benchmark's LLM workload on 200 replicas with an HPA (cpu,
 * memory and queue metrics) whose bounds are pinned at 200, so both runs simulate the same fleet
 * and the difference is the controllers' own work. "scenario": a shipped scenario with and without
 * its autoscaler; there the fleets differ (that is the point of autoscaling), so the ratio mixes the
 * controllers' cost with the different amount of simulated work.
 */
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {dirname} from 'node:path'

import {RandomStreams} from '../src/engine/random.js'
import {loadCatalog} from '../src/fleet/profiles/index.js'
import {loadScenarioFile, parseScenario} from '../src/scenario/load.js'
import {simulate} from '../src/pipeline/simulate.js'
import type {SimulateOptions} from '../src/sim/simulate.js'
import type {Scenario} from '../src/scenario/schema.js'
import {llmTasks} from './generators.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')

export interface AutoscaleBenchRow {
  case: string
  /** Median wall seconds over the repeats, with and without autoscaling. */
  withS: number
  withoutS: number
  ratio: number
  /** Median CPU seconds (user + system) of the same runs: steadier than wall time on a shared machine. */
  cpuWithS: number
  cpuWithoutS: number
  cpuRatio: number
  /** Engine events of each run (work measure). */
  eventsWith: number
  eventsWithout: number
  note: string
}

function pinnedScenario(ratePerS: number, durationS: number): Scenario {
  return parseScenario(
    `apiVersion: fleetcap.dev/v1
kind: Scenario
name: bench-pinned-hpa
durationS: ${durationS}
workload: {kind: synthetic, ratePerS: ${ratePerS}, tokens: {input: {dist: lognormal, mean: 1000, cv: 0.5}, output: {dist: lognormal, mean: 130, cv: 0.8}}}
fleet:
  pools:
    - name: a100
      gpu: A100-80GB
      model: llama-3.1-8b
      replicas: 200
      capacity: {gpusPerNode: 8}
      autoscaler:
        hpa:
          apiVersion: autoscaling/v2
          kind: HorizontalPodAutoscaler
          metadata: {name: bench}
          spec:
            scaleTargetRef: {kind: Deployment, name: a100}
            minReplicas: 200
            maxReplicas: 200
            metrics:
            - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}
            - {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}}
            - {type: Pods, pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100}}}
report: {sampleIntervalS: 60}
`,
    'bench-pinned-hpa.yaml',
  )
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

interface Timing {
  withS: number
  withoutS: number
  cpuWithS: number
  cpuWithoutS: number
  eventsWith: number
  eventsWithout: number
}

async function timeRuns(scenario: Scenario, options: () => SimulateOptions, repeats: number): Promise<Timing> {
  const w: number[] = []
  const wo: number[] = []
  const cw: number[] = []
  const cwo: number[] = []
  let eventsWith = 0
  let eventsWithout = 0
  for (let i = 0; i < repeats; i++) {
    // Alternate which goes first so warm-up and machine noise fall on both.
    for (const auto of i % 2 === 0 ? [true, false] : [false, true]) {
      const opts = {...options(), withoutAutoscaling: !auto}
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      const r = await simulate(scenario, opts)
      const cu = process.cpuUsage(c0)
      const s = (performance.now() - t0) / 1000
      const cpu = (cu.user + cu.system) / 1e6
      if (auto) {
        w.push(s)
        cw.push(cpu)
        eventsWith = r.report.run.events
      } else {
        wo.push(s)
        cwo.push(cpu)
        eventsWithout = r.report.run.events
      }
    }
  }
  return {withS: median(w), withoutS: median(wo), cpuWithS: median(cw), cpuWithoutS: median(cwo), eventsWith, eventsWithout}
}

/** Run the autoscaling benchmark cases; `quick` uses smaller sizes. */
export async function benchAutoscaling(options: {quick?: boolean; repeats?: number} = {}): Promise<AutoscaleBenchRow[]> {
  const repeats = options.repeats ?? 3
  const catalog = loadCatalog()
  const rows: AutoscaleBenchRow[] = []
  const pinned: [number, number, string][] = options.quick
    ? [[1000, 100, 'the LLM benchmark\'s 5 requests/s per replica'], [100, 600, '0.5 requests/s per replica (more syncs per request)']]
    : [[1000, 1000, 'the LLM benchmark\'s 5 requests/s per replica'], [100, 3600, '0.5 requests/s per replica (more syncs per request)']]
  for (const [rate, durationS, what] of pinned) {
    const scenario = pinnedScenario(rate, durationS)
    const n = rate * durationS
    const t = await timeRuns(
      scenario,
      () => {
        const s = new RandomStreams(7)
        return {catalog, tasks: llmTasks(s.stream('arrivals'), s.stream('tokens'), rate, n)}
      },
      repeats,
    )
    rows.push({case: `pinned HPA, 200 replicas, ${n.toLocaleString('en-US')} requests over ${durationS} s`, ...t, ratio: t.withS / t.withoutS, cpuRatio: t.cpuWithS / t.cpuWithoutS, note: `same fleet; ${what}`})
  }
  // (Not the KEDA case: without its autoscaler that pool has no replica at all.)
  const files = options.quick ? ['failure-node-loss-drill.yaml'] : ['autoscale-seed-000-hpa.yaml', 'autoscale-seed-004-hpa.yaml', 'failure-node-loss-drill.yaml']
  for (const file of files) {
    const loaded = await loadScenarioFile(join(ROOT, 'scenarios', file))
    const t = await timeRuns(loaded.scenario, () => ({catalog, baseDir: loaded.baseDir, scenarioFile: loaded.file}), repeats)
    rows.push({case: `scenario ${file}`, ...t, ratio: t.withS / t.withoutS, cpuRatio: t.cpuWithS / t.cpuWithoutS, note: 'the fleets differ: with vs without its autoscaler/failures'})
  }
  return rows
}

function renderRows(rows: AutoscaleBenchRow[]): string {
  const pct = (x: number) => `${x.toFixed(3)} (${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}%)`
  const head = ['case', 'wall with / without (s)', 'wall ratio', 'CPU with / without (s)', 'CPU ratio', 'events with / without', 'note']
  const body = rows.map((r) => [
    r.case,
    `${r.withS.toFixed(3)} / ${r.withoutS.toFixed(3)}`,
    pct(r.ratio),
    `${r.cpuWithS.toFixed(3)} / ${r.cpuWithoutS.toFixed(3)}`,
    pct(r.cpuRatio),
    `${r.eventsWith.toLocaleString('en-US')} / ${r.eventsWithout.toLocaleString('en-US')}`,
    r.note,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick')
  const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1]) || 3
  const rows = await benchAutoscaling({quick, repeats})
  process.stdout.write(`Autoscaling overhead (median of ${repeats} runs each; Node ${process.versions.node})\n${renderRows(rows)}\n`)
}
