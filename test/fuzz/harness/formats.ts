/**
 * The input formats fleetcap reads, each with its real loader (run in-process, as the commands run
 * it), seed files from the repository, and the generators that turn seeds into bad input.
 */
import {cpSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import fc from 'fast-check'
import {parse as parseYaml, stringify as stringifyYaml} from 'yaml'

import {RandomStreams} from '../../../src/engine/random.js'
import {loadSeriesCsv} from '../../../src/forecast/io.js'
import {readK6JsonOutput, readK6Summary} from '../../../src/k6/summary.js'
import {loadPlan} from '../../../src/plan/load.js'
import {parsePlanSpec} from '../../../src/planner/spec.js'
import {parseScenario} from '../../../src/scenario/load.js'
import {createWorkload} from '../../../src/workload/create.js'
import {HEADER_ALIASES} from '../../../src/workload/formats.js'
import {readTrace} from '../../../src/workload/read-trace.js'
import {csvTable, textMutation, treeMutation} from './mutate.js'

/** The repository root: the nearest folder above this file with fleetcap's package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as {name?: string}).name === 'fleetcap') return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('fleetcap repository root not found')
    dir = up
  }
}

export interface FuzzFormat {
  name: string
  /** File name the input is written to (its extension matters to the loader). */
  fileName: string
  /** Inputs: mutations of the seeds, and generated documents. */
  arbitrary: fc.Arbitrary<string>
  /** Run the real loader on `path` (already written). Resolves when loaded; throws when refused. */
  load(path: string, work: string): Promise<void>
  /** Prepare the work folder once (a plan directory to mutate into). */
  prepare?(work: string): void
  /** The CLI arguments that read `path`, for the spawned sample (exit 0, 2 or 3 expected). */
  cli(path: string, work: string): string[]
}

const head = (text: string, lines: number): string => `${text.split('\n').slice(0, lines).join('\n')}\n`

export function fuzzFormats(): FuzzFormat[] {
  const root = repoRoot()
  const read = (...p: string[]): string => readFileSync(join(root, ...p), 'utf8')
  const yaml = (v: unknown): string => stringifyYaml(v, {lineWidth: 0, aliasDuplicateObjects: false})
  const json = (v: unknown): string => JSON.stringify(v)

  const scenarioNames = ['seed-phase1-500-per-day', 'seed-phase2-5000-per-day', 'agents-prefix-cache', 'mmc-erlang-c', 'hetero-a100-v100', 'autoscale-seed-004-hpa', 'failure-node-loss-drill', 'azure-conv-replay']
  const scenarios = scenarioNames.map((n) => read('scenarios', `${n}.yaml`))
  const planSpecs = [read('examples', 'plan-seeds.yaml'), read('examples', 'plan-impossible.yaml')]
  const csvTraces = [head(read('data', 'traces', 'AzureLLMInferenceTrace_conv.csv'), 30), head(read('test', 'fixtures', 'traces', 'burstgpt-sample.csv'), 30), 'arrival_s,input_tokens,output_tokens,task_type,priority,model,task_id,call_index,delay_s,service_s,deadline_s,prefix_tokens\n0.5,100,20,chat,high,,0,0,0,,,\n0.5,150,30,chat,high,,0,1,2,,,100\n1.2,80,10,batch,low,m,1,0,0,,30,\n']
  const jsonlTraces = [head(read('data', 'traces', 'mooncake_conversation_trace.jsonl'), 20)]
  const series = [head(read('data', 'traces', 'nab_nyc_taxi_30min.csv'), 120), `${Array.from({length: 80}, (_, i) => `${1_700_000_000 + i * 3600},${10 + (i % 24)}`).join('\n')}\n`]
  const summaries = [read('test', 'fixtures', 'k6', 'summary.json'), read('test', 'fixtures', 'k6', 'summary-export.json')]
  const k6Lines = [head(read('test', 'fixtures', 'k6', 'k6-out.json'), 60)]
  const planYaml = read('test', 'fixtures', 'plans', 'two-phase', 'plan.yaml')
  const timeNames = HEADER_ALIASES.time
  const headerNames = [...new Set([...Object.values(HEADER_ALIASES).flat(), 'TIMESTAMP', 'ContextTokens', 'GeneratedTokens', 'generated_tokens', 'Request tokens', 'Response tokens', 'Log Type', 'Model'])]

  const drain = async (path: string, options: Parameters<typeof readTrace>[1]): Promise<void> => {
    let n = 0
    for await (const chunk of readTrace(path, options).tasks()) n += chunk.length
    void n
  }

  return [
    {
      name: 'scenario',
      fileName: 'scenario.yaml',
      arbitrary: fc.oneof(textMutation(scenarios), treeMutation(scenarios.map((s) => parseYaml(s) as unknown), yaml)),
      async load(path) {
        const scenario = parseScenario(readFileSync(path, 'utf8'), path)
        // The workload is built and its first tasks drawn, as simulate does before it runs.
        const duration = Math.min(scenario.durationS ?? scenario.duration ?? 3600, 3600)
        const workload = createWorkload(scenario.workload, {baseDir: join(root, 'scenarios'), rng: new RandomStreams(scenario.seed ?? 1), durationS: duration, chunkSize: 256})
        for await (const chunk of workload) {
          void chunk
          break
        }
      },
      cli: (path) => ['simulate', path],
    },
    {
      name: 'plan-request',
      fileName: 'request.yaml',
      arbitrary: fc.oneof(textMutation(planSpecs), treeMutation(planSpecs.map((s) => parseYaml(s) as unknown), yaml)),
      async load(path) {
        parsePlanSpec(readFileSync(path, 'utf8'), path)
      },
      cli: (path) => ['plan', '--spec', path, '--fast'],
    },
    {
      name: 'trace-csv',
      fileName: 'trace.csv',
      arbitrary: fc.oneof(textMutation(csvTraces), csvTable([...headerNames, ...timeNames])),
      async load(path) {
        await drain(path, {requireSize: true})
        await drain(path, {skipInvalid: true, reorderWindowS: 5})
      },
      cli: (path) => ['trace', 'inspect', path],
    },
    {
      name: 'trace-jsonl',
      fileName: 'trace.jsonl',
      arbitrary: fc.oneof(
        textMutation(jsonlTraces),
        treeMutation(jsonlTraces[0].trim().split('\n').map((l) => JSON.parse(l) as unknown), json).map((line) => `${line}\n${jsonlTraces[0]}`),
      ),
      async load(path) {
        await drain(path, {requireSize: true})
      },
      cli: (path) => ['trace', 'inspect', path],
    },
    {
      name: 'series',
      fileName: 'series.csv',
      arbitrary: fc.oneof(textMutation(series), csvTable(['timestamp', 'value', 'time', 'ts'])),
      async load(path) {
        await loadSeriesCsv(path, {gaps: 'fill'})
        await loadSeriesCsv(path, {gaps: 'refuse'})
      },
      cli: (path) => ['forecast', 'run', '--series', path, '--model', 'seasonal-naive', '--horizon', '4'],
    },
    {
      name: 'k6-summary',
      fileName: 'summary.json',
      arbitrary: fc.oneof(textMutation(summaries), treeMutation(summaries.map((s) => JSON.parse(s) as unknown), json)),
      async load(path) {
        await readK6Summary(path)
      },
      cli: (path, work) => ['calibrate', '--k6-summary', path, '--profile', 'llama-3.1-8b@A100-80GB:tp1', '--replicas', '1', '--load', join(work, 'load')],
    },
    {
      name: 'k6-json',
      fileName: 'samples.json',
      arbitrary: fc.oneof(
        textMutation(k6Lines),
        treeMutation(k6Lines[0].trim().split('\n').slice(0, 8).map((l) => JSON.parse(l) as unknown), json).map((line) => `${k6Lines[0]}${line}\n`),
      ),
      async load(path) {
        await readK6JsonOutput(path)
      },
      cli: (path, work) => ['calibrate', '--k6-json', path, '--profile', 'llama-3.1-8b@A100-80GB:tp1', '--replicas', '1', '--load', join(work, 'load')],
    },
    {
      name: 'plan',
      fileName: join('plan', 'plan.yaml'),
      arbitrary: fc.oneof(textMutation([planYaml]), treeMutation([parseYaml(planYaml) as unknown], yaml)),
      prepare(work) {
        mkdirSync(work, {recursive: true})
        cpSync(join(root, 'test', 'fixtures', 'plans', 'two-phase'), join(work, 'plan'), {recursive: true})
      },
      async load(path) {
        loadPlan(dirname(path))
      },
      cli: (path) => ['apply-to-cluster', dirname(path), '--dry-run', '--kubeconfig', join(dirname(path), 'no-such-kubeconfig')],
    },
  ]
}

/** Write one input where its format's loader reads it. */
export function writeInput(format: FuzzFormat, work: string, text: string): string {
  const path = resolve(work, format.fileName)
  writeFileSync(path, text)
  return path
}
