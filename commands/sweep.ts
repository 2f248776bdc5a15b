import {Args, Flags} from '@oclif/core'
import cliProgress from 'cli-progress'

import {FleetcapCommand} from '../src/cli/base-command.js'
import {InputError} from '../src/errors.js'
import {KubeClient} from '../src/k8s/client.js'
import {loadScenarioFile} from '../src/scenario/load.js'
import {runPodShard, type PodResult} from '../src/sweep/cluster/pod.js'
import {runOnCluster} from '../src/sweep/cluster/submit.js'
import {canonicalJson} from '../src/sweep/canonical.js'
import {indexedJobManifest} from '../src/sweep/indexed-job.js'
import {renderStrategies, renderSweepSummary} from '../src/sweep/render.js'
import {compareStrategies, type StrategyComparison} from '../src/sweep/strategies.js'
import {writeOutputDir} from '../src/util/atomic-write.js'
import {defaultWorkers, runSweep} from '../src/sweep/run.js'
import {type LoadedSweep, loadSweepFile} from '../src/sweep/spec.js'
import type {SweepSummary} from '../src/sweep/summary.js'

export default class Sweep extends FleetcapCommand<typeof Sweep> {
  static override summary = 'Run a what-if sweep: a grid or a random / Latin-hypercube design over scenario fields.'

  static override description = `SPEC (YAML, kind: Sweep) names a base scenario, the factors to vary (dotted scenario field paths with their values, or a range for random and LHS designs), the seeds per cell and the metrics to collect. Every cell is the base scenario with the cell's values set, validated again, and simulated on each of its seeds on a pool of worker threads.

Prints per-cell means over seeds, the Pareto front of cost against a latency metric and the sensitivity of each SLO metric to each factor (main effects). With --out DIR: DIR/results.jsonl (one line per cell and seed, sorted, canonical JSON), DIR/summary.json, and DIR/journal.jsonl, appended and fsync'd per finished cell: run the same command again after an interrupt and the finished cells are not recomputed. A directory written for another spec is refused.

The results are the same bytes whatever --workers is: a run's seed derives from the spec's seed and the cell's index only (docs/sweep.md).

Exit codes: 0 done; 2 bad input (spec, base scenario, a cell's scenario), with file, line and field; 1 internal error.`

  static override examples = [
    '<%= config.bin %> sweep examples/sweep/replicas-by-rate.yaml --out out/sweep',
    '<%= config.bin %> sweep examples/sweep/mmc-lhs.yaml --workers 2 --json',
    '<%= config.bin %> sweep scenarios/autoscale-seed-004-hpa.yaml --strategies',
  ]

  static override args = {
    spec: Args.string({description: 'Sweep spec YAML file (not with --worker).'}),
  }

  static override flags = {
    out: Flags.string({description: 'Directory for results.jsonl, summary.json and the resume journal.'}),
    strategies: Flags.boolean({description: 'SPEC is a scenario of one pool with an HPA: compare a fixed fleet, the HPA, KEDA and a predictive schedule on the same traffic.'}),
    'keda-queue-per-replica': Flags.integer({description: 'With --strategies: the KEDA trigger\'s queue length per replica (default 20).', min: 1}),
    'shard-count': Flags.integer({description: 'Run one shard of N: the cells whose index % N is --shard-index (a pod of an Indexed Job).', min: 1}),
    'shard-index': Flags.integer({description: 'This shard (default: $JOB_COMPLETION_INDEX, set by Kubernetes for an Indexed Job).', min: 0}),
    merge: Flags.string({description: 'Output directories of shards of the same spec: their finished cells are merged into --out, not recomputed.', multiple: true}),
    'emit-job': Flags.integer({description: 'Print a Kubernetes Indexed Job (batch/v1) that runs the sweep in this many shards, and exit.', min: 1}),
    image: Flags.string({description: 'With --emit-job: the container image holding fleetcap.', default: 'fleetcap:latest'}),
    'on-cluster': Flags.boolean({description: 'Run the sweep as a Kubernetes Indexed Job (one index per shard), follow it, gather the results through the API and merge them (docs/sweep.md).'}),
    shards: Flags.integer({description: 'With --on-cluster: indexes of the Job (default 4).', min: 1, max: 100_000}),
    parallelism: Flags.integer({description: 'With --on-cluster: pods at once (default: --shards).', min: 1}),
    'backoff-limit-per-index': Flags.integer({description: 'With --on-cluster: retries of a failed index (default 2).', min: 0, max: 100}),
    'chunk-cells': Flags.integer({description: 'With --on-cluster: cells per result ConfigMap a pod writes (default 50; also written every 10 s).', min: 1}),
    keep: Flags.boolean({description: 'With --on-cluster: keep the Job and its result ConfigMaps after merging.'}),
    'timeout-s': Flags.integer({description: 'With --on-cluster: stop following after this many seconds (the Job keeps running; run again to re-attach).', min: 1}),
    worker: Flags.string({description: 'Run as a pod of the sweep Job JOB (set by --on-cluster in the Job it creates): its index is $JOB_COMPLETION_INDEX.', helpValue: 'JOB'}),
    kubeconfig: Flags.string({description: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config; in a pod, its ServiceAccount)'}),
    context: Flags.string({description: 'kubeconfig context (default: its current context)'}),
    namespace: Flags.string({char: 'n', description: "namespace (default: $POD_NAMESPACE, the context's, else default)"}),
    workers: Flags.integer({description: 'Worker threads (0: run in this thread). Default: the number of cores.', min: 0, max: 1024}),
  }

  async run(): Promise<{summary: SweepSummary; cells: number; computed: number; resumed: number; workers: number} | StrategyComparison | PodResult> {
    if (this.flags.worker !== undefined) return this.runPod(this.flags.worker)
    if (this.args.spec === undefined) throw new InputError({field: 'SPEC'}, 'missing: give a sweep spec file')
    const specFile = this.args.spec
    if (this.flags.strategies) {
      const scenario = await loadScenarioFile(specFile)
      let comparison
      try {
        comparison = await compareStrategies(scenario.scenario, {baseDir: scenario.baseDir, kedaQueuePerReplica: this.flags['keda-queue-per-replica']})
      } catch (error) {
        throw scenario.locate(error)
      }
      const text = renderStrategies(comparison)
      if (this.flags.out) await writeOutputDir(this.flags.out, {'strategies.json': `${JSON.stringify(JSON.parse(canonicalJson(comparison)), null, 2)}\n`, 'strategies.txt': text})
      if (!this.jsonEnabled()) process.stdout.write(text)
      return comparison
    }
    const loaded = await loadSweepFile(specFile)
    if (this.flags['on-cluster']) return this.runOnCluster(loaded)
    if (this.flags['emit-job'] !== undefined) {
      const name = `sweep-${loaded.spec.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 50)}`
      const shards = this.flags['emit-job']
      process.stdout.write(indexedJobManifest({name, image: this.flags.image, shards, parallelism: shards, specConfigMap: `${name}-spec`, resultsClaim: `${name}-results`}))
      this.exit(0)
    }
    let shard: {index: number; count: number} | undefined
    const count = this.flags['shard-count']
    if (count !== undefined) {
      const fromEnv = process.env.JOB_COMPLETION_INDEX
      const index = this.flags['shard-index'] ?? (fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : undefined)
      if (index === undefined) throw new InputError({field: '--shard-index'}, 'give --shard-index, or run in an Indexed Job (JOB_COMPLETION_INDEX)')
      if (index >= count) throw new InputError({field: '--shard-index'}, `${index} is not below --shard-count ${count}`)
      shard = {index, count}
    } else if (this.flags['shard-index'] !== undefined) {
      throw new InputError({field: '--shard-index'}, 'needs --shard-count')
    }
    if (this.flags.out !== undefined && this.flags.out.trim() === '') throw new InputError({field: '--out'}, 'empty path')
    const bar =
      process.stderr.isTTY && !this.jsonEnabled()
        ? new cliProgress.SingleBar({stream: process.stderr, format: 'sweep [{bar}] {value}/{total} cells | {eta_formatted} left', hideCursor: true, clearOnComplete: true}, cliProgress.Presets.shades_classic)
        : undefined
    let started = false
    let result
    try {
      result = await runSweep(loaded, {
        outDir: this.flags.out,
        shard,
        mergeFrom: this.flags.merge,
        workers: this.flags.workers ?? defaultWorkers(),
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
    if (!this.jsonEnabled()) {
      process.stdout.write(renderSweepSummary(result.summary))
      this.note(`${result.cells} cells: ${result.computed} simulated on ${result.workers} worker${result.workers === 1 ? '' : 's'}, ${result.resumed} from the journal`)
      if (this.flags.out) this.note(`wrote ${this.flags.out}/results.jsonl, summary.json`)
    }
    return {summary: result.summary, cells: result.cells, computed: result.computed, resumed: result.resumed, workers: result.workers}
  }

  private client(): KubeClient {
    return KubeClient.load({kubeconfig: this.flags.kubeconfig, context: this.flags.context, namespace: this.flags.namespace ?? process.env.POD_NAMESPACE})
  }

  private async runOnCluster(loaded: LoadedSweep): Promise<{summary: SweepSummary; cells: number; computed: number; resumed: number; workers: number; job: string; failedPods: number; duplicates: number}> {
    if (this.flags.out !== undefined && this.flags.out.trim() === '') throw new InputError({field: '--out'}, 'empty path')
    const shards = this.flags.shards ?? 4
    const r = await runOnCluster(this.client(), loaded, {
      shards,
      parallelism: this.flags.parallelism ?? shards,
      backoffLimitPerIndex: this.flags['backoff-limit-per-index'] ?? 2,
      workersPerPod: Math.max(1, this.flags.workers ?? 1),
      image: this.flags.image,
      chunkCells: this.flags['chunk-cells'] ?? 50,
      outDir: this.flags.out,
      keep: this.flags.keep,
      timeoutMs: this.flags['timeout-s'] === undefined ? undefined : this.flags['timeout-s'] * 1000,
      log: (line) => this.note(line),
    })
    if (!this.jsonEnabled()) {
      process.stdout.write(renderSweepSummary(r.summary))
      this.note(`${r.cells} cells from Job ${r.job} (${r.failedPods} failed pods retried, ${r.duplicates} rows written twice and taken once)`)
      if (this.flags.out) this.note(`wrote ${this.flags.out}/results.jsonl, summary.json`)
    }
    return {summary: r.summary, cells: r.cells, computed: r.computed, resumed: r.resumed, workers: r.workers, job: r.job, failedPods: r.failedPods, duplicates: r.duplicates}
  }

  private async runPod(job: string): Promise<PodResult> {
    const fromEnv = process.env.JOB_COMPLETION_INDEX
    const index = this.flags['shard-index'] ?? (fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : undefined)
    if (index === undefined) throw new InputError({field: 'JOB_COMPLETION_INDEX'}, 'not set: --worker runs in a pod of an Indexed Job (or give --shard-index)')
    return runPodShard(this.client(), {job, index, pod: process.env.POD_NAME, workers: this.flags.workers ?? 1, log: (line) => this.note(line)})
  }
}
