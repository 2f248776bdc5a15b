/**
 * `fleetcap sweep` behind its flags: a strategy comparison, a sweep on this machine (a shard of one,
 * resumable), the Indexed Job it would run as, a run on a cluster, or one pod of such a run. The
 * command class (commands/sweep.ts) only hands over its argument, its flags and its output.
 */
import type {Interfaces} from '@oclif/core'
import cliProgress from 'cli-progress'

import {InputError} from '../errors.js'
import {KubeClient} from '../k8s/client.js'
import {loadScenarioFile} from '../scenario/load.js'
import {writeOutputDir} from '../util/atomic-write.js'
import {canonicalJson} from './canonical.js'
import type {sweepFlags} from './cli-flags.js'
import {runPodShard, type PodResult} from './cluster/pod.js'
import {runOnCluster} from './cluster/submit.js'
import {indexedJobManifest} from './indexed-job.js'
import {renderStrategies, renderSweepSummary} from './render.js'
import {defaultWorkers, runSweep} from './run.js'
import {type LoadedSweep, loadSweepFile} from './spec.js'
import {compareStrategies, type StrategyComparison} from './strategies.js'
import type {SweepSummary} from './summary.js'

export type SweepFlags = Interfaces.InferredFlags<typeof sweepFlags>

/** Where the command's output goes; `exit` ends the command without a --json result. */
export interface SweepIo {
  note: (line: string) => void
  json: boolean
  exit: (code: number) => never
}

export type SweepCommandResult = {summary: SweepSummary; cells: number; computed: number; resumed: number; workers: number} | StrategyComparison | PodResult

export async function runSweepCommand(spec: string | undefined, f: SweepFlags, io: SweepIo): Promise<SweepCommandResult> {
  if (f.worker !== undefined) return runPod(f, f.worker, io)
  if (spec === undefined) throw new InputError({field: 'SPEC'}, 'missing: give a sweep spec file')
  const specFile = spec
  if (f.strategies) {
    const scenario = await loadScenarioFile(specFile)
    let comparison
    try {
      comparison = await compareStrategies(scenario.scenario, {baseDir: scenario.baseDir, kedaQueuePerReplica: f['keda-queue-per-replica']})
    } catch (error) {
      throw scenario.locate(error)
    }
    const text = renderStrategies(comparison)
    if (f.out) await writeOutputDir(f.out, {'strategies.json': `${JSON.stringify(JSON.parse(canonicalJson(comparison)), null, 2)}\n`, 'strategies.txt': text})
    if (!io.json) process.stdout.write(text)
    return comparison
  }
  const loaded = await loadSweepFile(specFile)
  if (f['on-cluster']) return runClusterSweep(f, loaded, io)
  if (f['emit-job'] !== undefined) {
    const name = `sweep-${loaded.spec.name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, 50)}`
    const shards = f['emit-job']
    process.stdout.write(indexedJobManifest({name, image: f.image, shards, parallelism: shards, specConfigMap: `${name}-spec`, resultsClaim: `${name}-results`}))
    return io.exit(0)
  }
  let shard: {index: number; count: number} | undefined
  const count = f['shard-count']
  if (count !== undefined) {
    const fromEnv = process.env.JOB_COMPLETION_INDEX
    const index = f['shard-index'] ?? (fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : undefined)
    if (index === undefined) throw new InputError({field: '--shard-index'}, 'give --shard-index, or run in an Indexed Job (JOB_COMPLETION_INDEX)')
    if (index >= count) throw new InputError({field: '--shard-index'}, `${index} is not below --shard-count ${count}`)
    shard = {index, count}
  } else if (f['shard-index'] !== undefined) {
    throw new InputError({field: '--shard-index'}, 'needs --shard-count')
  }
  if (f.out !== undefined && f.out.trim() === '') throw new InputError({field: '--out'}, 'empty path')
  const bar =
    process.stderr.isTTY && !io.json
      ? new cliProgress.SingleBar(
          {stream: process.stderr, format: 'sweep [{bar}] {value}/{total} cells | {eta_formatted} left', hideCursor: true, clearOnComplete: true},
          cliProgress.Presets.shades_classic,
        )
      : undefined
  let started = false
  let result
  try {
    result = await runSweep(loaded, {
      outDir: f.out,
      shard,
      mergeFrom: f.merge,
      workers: f.workers ?? defaultWorkers(),
      onProgress: bar
        ? (done, total) => {
            if (!started) bar.start(total, done)
            started = true
            bar.update(done)
          }
        : undefined,
    })
  } finally {
    bar?.stop()
  }
  if (!io.json) {
    process.stdout.write(renderSweepSummary(result.summary))
    io.note(`${result.cells} cells: ${result.computed} simulated on ${result.workers} worker${result.workers === 1 ? '' : 's'}, ${result.resumed} from the journal`)
    if (f.out) io.note(`wrote ${f.out}/results.jsonl, summary.json`)
  }
  return {summary: result.summary, cells: result.cells, computed: result.computed, resumed: result.resumed, workers: result.workers}
}

function client(f: SweepFlags): KubeClient {
  return KubeClient.load({kubeconfig: f.kubeconfig, context: f.context, namespace: f.namespace ?? process.env.POD_NAMESPACE})
}

async function runClusterSweep(
  f: SweepFlags,
  loaded: LoadedSweep,
  io: SweepIo,
): Promise<{summary: SweepSummary; cells: number; computed: number; resumed: number; workers: number; job: string; failedPods: number; duplicates: number}> {
  if (f.out !== undefined && f.out.trim() === '') throw new InputError({field: '--out'}, 'empty path')
  const shards = f.shards ?? 4
  const r = await runOnCluster(client(f), loaded, {
    shards,
    parallelism: f.parallelism ?? shards,
    backoffLimitPerIndex: f['backoff-limit-per-index'] ?? 2,
    workersPerPod: Math.max(1, f.workers ?? 1),
    image: f.image,
    chunkCells: f['chunk-cells'] ?? 50,
    outDir: f.out,
    keep: f.keep,
    timeoutMs: f.timeout === undefined ? undefined : f.timeout * 1000,
    log: (line) => io.note(line),
  })
  if (!io.json) {
    process.stdout.write(renderSweepSummary(r.summary))
    io.note(`${r.cells} cells from Job ${r.job} (${r.failedPods} failed pods retried, ${r.duplicates} rows written twice and taken once)`)
    if (f.out) io.note(`wrote ${f.out}/results.jsonl, summary.json`)
  }
  return {summary: r.summary, cells: r.cells, computed: r.computed, resumed: r.resumed, workers: r.workers, job: r.job, failedPods: r.failedPods, duplicates: r.duplicates}
}

async function runPod(f: SweepFlags, job: string, io: SweepIo): Promise<PodResult> {
  const fromEnv = process.env.JOB_COMPLETION_INDEX
  const index = f['shard-index'] ?? (fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : undefined)
  if (index === undefined) throw new InputError({field: 'JOB_COMPLETION_INDEX'}, 'not set: --worker runs in a pod of an Indexed Job (or give --shard-index)')
  return runPodShard(client(f), {job, index, pod: process.env.POD_NAME, workers: f.workers ?? 1, log: (line) => io.note(line)})
}
