/** `fleetcap sweep`'s argument and flags (commands/sweep.ts); what they do is src/sweep/command.ts's. */
import {Args, Flags} from '@oclif/core'

import {durationFlag, pick, sharedFlags} from '../cli/flags.js'

export const sweepArgs = {
  spec: Args.string({description: 'Sweep spec YAML file (not with --worker).'}),
}

export const sweepFlags = {
  out: Flags.string({description: 'Directory for results.jsonl, summary.json and the resume journal.'}),
  strategies: Flags.boolean({description: 'SPEC is a scenario of one pool with an HPA: compare a fixed fleet, the HPA, KEDA and a predictive schedule on the same traffic.'}),
  'keda-queue-per-replica': Flags.integer({description: "With --strategies: the KEDA trigger's queue length per replica (default 20).", min: 1}),
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
  timeout: durationFlag({min: 1})({
    description: 'With --on-cluster: stop following after this long, e.g. 30m (the Job keeps running; run again to re-attach).',
    aliases: ['timeout-s'],
    deprecateAliases: true,
  }),
  worker: Flags.string({description: 'Run as a pod of the sweep Job JOB (set by --on-cluster in the Job it creates): its index is $JOB_COMPLETION_INDEX.', helpValue: 'JOB'}),
  // The shared flag, saying more: a pod of the Job needs no kubeconfig.
  kubeconfig: {...sharedFlags.kubeconfig, description: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config; in a pod, its ServiceAccount).'} as typeof sharedFlags.kubeconfig,
  ...pick(sharedFlags, 'context'),
  namespace: Flags.string({char: 'n', description: "namespace (default: $POD_NAMESPACE, the context's, else default)"}),
  workers: Flags.integer({description: 'Worker threads (0: run in this thread). Default: the number of cores.', min: 0, max: 1024}),
}
