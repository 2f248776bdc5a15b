/**
 * The sweep as a Kubernetes Indexed Job: `completionMode: Indexed`, one completion per shard; the
 * Job controller gives each pod its index (JOB_COMPLETION_INDEX), retries a failed index up to
 * backoffLimitPerIndex, and runs `parallelism` pods at once. Each pod runs
 * `fleetcap sweep SPEC --shard-count N --out /results/shard-$INDEX` (its cells: index % N), writing
 * its journal to a shared volume; `fleetcap sweep SPEC --out DIR --merge /results/shard-*` then
 * merges them (a cell written by two tries of an index is taken once) without recomputing.
 */
import {stringify} from 'yaml'

export interface IndexedJobOptions {
  name: string
  image: string
  shards: number
  parallelism: number
  backoffLimitPerIndex?: number
  /** A ConfigMap holding the spec as spec.yaml (and its base scenario). */
  specConfigMap: string
  /** A PersistentVolumeClaim the shards write their journals to. */
  resultsClaim: string
  workersPerPod?: number
}

export function indexedJobManifest(o: IndexedJobOptions): string {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {name: o.name, labels: {'app.kubernetes.io/managed-by': 'fleetcap', 'fleetcap.dev/sweep': o.name}},
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: Math.min(o.parallelism, o.shards),
      backoffLimitPerIndex: o.backoffLimitPerIndex ?? 3,
      maxFailedIndexes: 0,
      template: {
        metadata: {labels: {'fleetcap.dev/sweep': o.name}},
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'sweep',
              image: o.image,
              command: ['sh', '-c'],
              args: [
                `exec fleetcap sweep /spec/spec.yaml --shard-count ${o.shards} --workers ${o.workersPerPod ?? 1} --out /results/shard-$JOB_COMPLETION_INDEX`,
              ],
              resources: {requests: {cpu: String(o.workersPerPod ?? 1)}},
              volumeMounts: [
                {name: 'spec', mountPath: '/spec', readOnly: true},
                {name: 'results', mountPath: '/results'},
              ],
            },
          ],
          volumes: [
            {name: 'spec', configMap: {name: o.specConfigMap}},
            {name: 'results', persistentVolumeClaim: {claimName: o.resultsClaim}},
          ],
        },
      },
    },
  }
  return stringify(job)
}
