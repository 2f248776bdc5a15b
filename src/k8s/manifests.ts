import type {ManifestObject} from '../plan/load.js'

/** Node label set by NVIDIA GPU feature discovery with the GPU's product name. */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product'
/** The extended resource a GPU device plugin advertises. */
export const GPU_RESOURCE = 'nvidia.com/gpu'
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const POOL_LABEL = 'fleetcap.dev/pool'

export interface PoolManifestOptions {
  pool: string
  /** Value of the nvidia.com/gpu.product node label the pods must land on. */
  gpuProduct: string
  /** GPUs per replica (the tensor-parallel degree). */
  gpusPerReplica: number
  image: string
  minReplicas: number
  maxReplicas: number
  /** With an HPA the Deployment carries no spec.replicas: the HPA owns it. Without, replicas = minReplicas. */
  autoscale: boolean
  /** Pods metric the HPA scales on (average per pod), e.g. the serving engine's waiting-request gauge. */
  queueMetric?: {name: string; averageValue: string}
  port?: number
}

/**
 * The objects that realise one pool of one phase: a Deployment (GPU requests, node affinity on the
 * GPU product label, readiness probe), an autoscaling/v2 HPA with behavior, and a PodDisruptionBudget.
 * Plain data with apiVersion/kind/metadata first, so rendered YAML is stable and diffs cleanly.
 */
export function poolManifests(o: PoolManifestOptions): ManifestObject[] {
  const labels = {'app.kubernetes.io/name': o.pool, [POOL_LABEL]: o.pool, [MANAGED_BY_LABEL]: 'fleetcap'}
  const selector = {matchLabels: {[POOL_LABEL]: o.pool}}
  const port = o.port ?? 8000
  const deployment: ManifestObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: o.pool, labels},
    spec: {
      ...(o.autoscale ? {} : {replicas: o.minReplicas}),
      selector,
      // A GPU replica is expensive: add one new pod before removing an old one, never drop below the count.
      strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: 1, maxUnavailable: 0}},
      template: {
        metadata: {labels},
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{matchExpressions: [{key: GPU_PRODUCT_LABEL, operator: 'In', values: [o.gpuProduct]}]}],
              },
            },
          },
          containers: [
            {
              name: 'server',
              image: o.image,
              ports: [{name: 'http', containerPort: port}],
              resources: {
                requests: {cpu: '4', memory: '32Gi', [GPU_RESOURCE]: String(o.gpusPerReplica)},
                limits: {memory: '32Gi', [GPU_RESOURCE]: String(o.gpusPerReplica)},
              },
              readinessProbe: {httpGet: {path: '/health', port}, periodSeconds: 5, failureThreshold: 3},
            },
          ],
          terminationGracePeriodSeconds: 30,
        },
      },
    },
  }
  const objects: ManifestObject[] = [deployment]
  if (o.autoscale) {
    const metric = o.queueMetric ?? {name: 'vllm_num_requests_waiting', averageValue: '4'}
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {name: o.pool, labels},
      spec: {
        scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: o.pool},
        minReplicas: o.minReplicas,
        maxReplicas: o.maxReplicas,
        metrics: [{type: 'Pods', pods: {metric: {name: metric.name}, target: {type: 'AverageValue', averageValue: metric.averageValue}}}],
        behavior: {
          scaleUp: {stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{type: 'Pods', value: 4, periodSeconds: 60}]},
          scaleDown: {stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{type: 'Percent', value: 10, periodSeconds: 60}]},
        },
      },
    })
  }
  objects.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {name: o.pool, labels},
    spec: {maxUnavailable: 1, selector},
  })
  return objects
}
