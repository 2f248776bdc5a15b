/**
 * The Kubernetes objects of a sweep on a cluster: a ServiceAccount and Role for its pods (read the
 * spec ConfigMap, write result ConfigMaps; nothing else), and the Indexed Job. The Job controller
 * owns scheduling, parallelism and retries: `completionMode: Indexed` gives each pod its index
 * (JOB_COMPLETION_INDEX), `backoffLimitPerIndex` retries a failed index on its own, and
 * `maxFailedIndexes: 0` fails the Job as soon as one index has used its retries.
 */
import type {KubeObject} from '../../k8s/client.js'
import {JOB_LABEL} from './payload.js'

export const SERVICE_ACCOUNT = 'fleetcap-sweep'

export interface JobOptions {
  name: string
  namespace: string
  image: string
  shards: number
  parallelism: number
  backoffLimitPerIndex: number
  workersPerPod: number
}

export function rbacObjects(namespace: string): KubeObject[] {
  const meta = {name: SERVICE_ACCOUNT, namespace, labels: {'app.kubernetes.io/managed-by': 'fleetcap'}}
  return [
    {apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta},
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta,
      // Server-side apply of a new ConfigMap needs create and patch; a retried pod lists its index's chunks.
      rules: [{apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch']}],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SERVICE_ACCOUNT},
      subjects: [{kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace}],
    },
  ]
}

/** The Job, created suspended: it starts once its spec ConfigMap (owned by it) exists. */
export function sweepJob(o: JobOptions): KubeObject {
  const labels = {'app.kubernetes.io/managed-by': 'fleetcap', [JOB_LABEL]: o.name}
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {name: o.name, namespace: o.namespace, labels},
    spec: {
      suspend: true,
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: Math.min(o.parallelism, o.shards),
      backoffLimitPerIndex: o.backoffLimitPerIndex,
      maxFailedIndexes: 0,
      template: {
        metadata: {labels},
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: SERVICE_ACCOUNT,
          containers: [
            {
              name: 'sweep',
              image: o.image,
              command: ['fleetcap'],
              args: ['sweep', '--worker', o.name, '--workers', String(o.workersPerPod)],
              env: [
                {name: 'POD_NAME', valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}},
                {name: 'POD_NAMESPACE', valueFrom: {fieldRef: {fieldPath: 'metadata.namespace'}}},
              ],
              resources: {requests: {cpu: String(o.workersPerPod), memory: '512Mi'}},
            },
          ],
        },
      },
    },
  }
}
