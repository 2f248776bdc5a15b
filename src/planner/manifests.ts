/**
 * The Kubernetes objects that realise one pool of a phase: a Deployment (GPU requests, node affinity
 * on the GPU product label, readiness probe, resources), an autoscaling/v2 HorizontalPodAutoscaler
 * with behavior (or a KEDA ScaledObject), and a PodDisruptionBudget. Plain data with
 * apiVersion/kind/metadata first and every other key sorted, so rendered YAML is byte-stable.
 */
import {InputError} from '../errors.js'
import {getModel} from '../fleet/profiles/catalog.js'
import {GPU_PRODUCT_LABEL, GPU_RESOURCE, MANAGED_BY_LABEL, POOL_LABEL} from '../k8s/manifests.js'
import type {ManifestObject} from '../plan/load.js'
import {recordPhaseWorkload, type WindowTask} from '../plan/workload.js'
import type {ManifestConfig} from './spec.js'

export const DEFAULT_IMAGE = 'vllm/vllm-openai:v0.6.3'
export const DEFAULT_METRIC = 'vllm_num_requests_running'
export const PHASE_LABEL = 'fleetcap.dev/phase'

export interface ScalingRule {
  stabilizationWindowSeconds: number
  selectPolicy: 'Max' | 'Min'
  policies: Array<{type: 'Pods' | 'Percent'; value: number; periodSeconds: number}>
}

export interface AutoscalerSettings {
  minReplicas: number
  maxReplicas: number
  /** Pods metric (average per replica) and its target. */
  metric: string
  targetAverageValue: number
  scaleUp: ScalingRule
  scaleDown: ScalingRule
}

export interface PoolManifestInput {
  phase: string
  pool: string
  /** Node label value for nvidia.com/gpu.product. */
  gpuProduct: string
  gpusPerReplica: number
  model: string
  autoscaler: AutoscalerSettings
  config: ManifestConfig
  /** GPU memory per GPU, GiB (sizes the container's host memory request). */
  gpuMemoryGiB: number
  /** The plan was simulated with prefix caching: the server is started with it (off by default in vLLM 0.6). */
  prefixCache?: boolean
}

export function poolObjects(i: PoolManifestInput): ManifestObject[] {
  const c = i.config
  const port = c.port ?? 8000
  const labels = sortKeys({
    ...c.labels,
    'app.kubernetes.io/name': i.pool,
    'app.kubernetes.io/part-of': 'fleetcap',
    [MANAGED_BY_LABEL]: 'fleetcap',
    [POOL_LABEL]: i.pool,
    [PHASE_LABEL]: i.phase,
  })
  // Pods keep the same labels in every phase: a changed template would restart every GPU replica.
  const podLabels = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== PHASE_LABEL))
  const metadata = (name: string) => ({name, ...(c.namespace === undefined ? {} : {namespace: c.namespace}), labels})
  const selector = {matchLabels: {[POOL_LABEL]: i.pool}}
  // Host memory: enough to stage a shard of the weights while loading (the GPU's memory, capped).
  const memory = `${Math.min(256, Math.max(16, Math.ceil(i.gpuMemoryGiB)))}Gi`
  const cpu = String(Math.max(4, 4 * i.gpusPerReplica))
  const gpus = String(i.gpusPerReplica)
  const autoscaled = i.autoscaler.maxReplicas > i.autoscaler.minReplicas
  const deployment: ManifestObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(i.pool),
    spec: sortKeys({
      // With an autoscaler the HPA owns spec.replicas; leaving it out keeps `apply` from resetting it.
      replicas: autoscaled ? undefined : i.autoscaler.minReplicas,
      selector,
      strategy: rolloutStrategy(c),
      template: {
        metadata: {labels: podLabels},
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{matchExpressions: [{key: GPU_PRODUCT_LABEL, operator: 'In', values: [i.gpuProduct]}]}],
              },
            },
          },
          containers: [
            {
              args: engineArgs(i, gpus, port),
              image: c.image ?? DEFAULT_IMAGE,
              name: 'server',
              ports: [{containerPort: port, name: 'http'}],
              readinessProbe: {failureThreshold: 3, httpGet: {path: c.readinessPath ?? '/health', port}, periodSeconds: 5},
              resources: {
                limits: {memory, [GPU_RESOURCE]: gpus},
                requests: {cpu, memory, [GPU_RESOURCE]: gpus},
              },
            },
          ],
          terminationGracePeriodSeconds: 120,
          tolerations: [{effect: 'NoSchedule', key: GPU_RESOURCE, operator: 'Exists'}],
        },
      },
    }),
  }
  const a = i.autoscaler
  const behavior = {scaleDown: sortKeys(a.scaleDown), scaleUp: sortKeys(a.scaleUp)}
  const scaler: ManifestObject | undefined = !autoscaled
    ? undefined
    : c.keda
    ? {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: metadata(i.pool),
        spec: {
          advanced: {horizontalPodAutoscalerConfig: {behavior}},
          maxReplicaCount: a.maxReplicas,
          minReplicaCount: a.minReplicas,
          scaleTargetRef: {name: i.pool},
          triggers: [
            {
              metadata: {
                query: `sum(${metricName(c)}{${POOL_LABEL.replace(/[./]/g, '_')}="${i.pool}"})`,
                serverAddress: c.prometheusUrl ?? 'http://prometheus.monitoring:9090',
                threshold: String(a.targetAverageValue),
              },
              type: 'prometheus',
            },
          ],
        },
      }
    : {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: metadata(i.pool),
        spec: {
          behavior,
          maxReplicas: a.maxReplicas,
          metrics: [{pods: {metric: {name: metricName(c)}, target: {averageValue: String(a.targetAverageValue), type: 'AverageValue'}}, type: 'Pods'}],
          minReplicas: a.minReplicas,
          scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: i.pool},
        },
      }
  const pdb: ManifestObject = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(i.pool),
    spec: {...disruptionBudget(a.minReplicas), selector},
  }
  return scaler ? [deployment, scaler, pdb] : [deployment, pdb]
}

/**
 * The engine's command line: `--model` gets what vLLM loads (a Hugging Face repo or a path), never
 * the plan's internal id; clients request `--served-model-name` (default: the plan's model id, the
 * name a load test sends); the request's extra engine arguments follow, each one argument.
 */
export function engineArgs(i: Pick<PoolManifestInput, 'model' | 'config' | 'prefixCache'>, gpus: string, port: number): string[] {
  const m = i.config.models?.[i.model]
  return [
    '--model',
    modelSource(i.model, i.config),
    '--served-model-name',
    m?.servedName ?? i.model,
    '--tensor-parallel-size',
    gpus,
    '--port',
    String(port),
    ...(i.prefixCache === true ? ['--enable-prefix-caching'] : []),
    ...(i.config.engineArgs ?? []),
    ...(m?.engineArgs ?? []),
  ]
}

/**
 * What the engine loads for a serving-profile model: the request's `manifests.models.<id>.source`,
 * else the Hugging Face repo whose config.json the catalog's figures come from (models/llms.yaml).
 */
export function modelSource(model: string, config: ManifestConfig): string {
  const given = config.models?.[model]?.source
  if (given !== undefined) return given
  let source: string | undefined
  try {
    source = getModel(model).source
  } catch {
    source = undefined
  }
  const repo = /^([A-Za-z0-9][\w.-]*\/[\w.-]+) config\.json on huggingface\.co/.exec(source ?? '')?.[1]
  if (repo === undefined) throw new InputError({field: `manifests.models.${model}.source`}, `no Hugging Face repo or path known for model ${model}: give the one the engine loads`)
  return repo
}

/**
 * How a pool's Deployment replaces pods. replace-one (default) needs no GPUs beyond the plan: one
 * replica is down at a time, which the plan's one-replica-loss availability check covers; surge-one
 * keeps every replica serving but needs one more replica's GPUs free (see rolloutBudget).
 */
export function rolloutStrategy(c: ManifestConfig): {rollingUpdate: {maxSurge: number; maxUnavailable: number}; type: 'RollingUpdate'} {
  return c.rollout === 'surge-one' ? {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}, type: 'RollingUpdate'} : {rollingUpdate: {maxSurge: 0, maxUnavailable: 1}, type: 'RollingUpdate'}
}

/** plan.yaml's rollout record of a pool: the strategy and the GPUs it needs free beyond the plan. */
export function rolloutBudget(c: ManifestConfig, gpusPerReplica: number): {strategy: 'replace-one' | 'surge-one'; surgeGpus: number} {
  return c.rollout === 'surge-one' ? {strategy: 'surge-one', surgeGpus: gpusPerReplica} : {strategy: 'replace-one', surgeGpus: 0}
}

/** PLAN.md's sentence on rollouts. */
export function rolloutNote(c: ManifestConfig, surgeGpusTotal: number): string {
  return c.rollout === 'surge-one'
    ? `Rollouts: surge-one (maxSurge 1, maxUnavailable 0): every replica keeps serving, but an image or config change needs ${surgeGpusTotal} more GPU(s) free beyond the fleet above (one replica of each pool: the pools roll out together), or the new pods stay Pending and the apply gate fails.`
    : 'Rollouts: replace-one (maxSurge 0, maxUnavailable 1): fits a node pool sized exactly to the plan (no spare GPUs); during a rollout each pool runs one replica short, which the availability check (the fleet minus its largest replica) covers. Set `manifests.rollout: surge-one` to keep every replica serving when spare GPUs exist.'
}

/** The Namespace object, when the request asks fleetcap to create it. */
export function namespaceObject(c: ManifestConfig): ManifestObject | undefined {
  if (c.createNamespace !== true || c.namespace === undefined) return undefined
  return {apiVersion: 'v1', kind: 'Namespace', metadata: {name: c.namespace, labels: {'app.kubernetes.io/part-of': 'fleetcap', [MANAGED_BY_LABEL]: 'fleetcap'}}}
}

/**
 * A budget that never lets a voluntary disruption (drain, eviction) take the pool's last ready
 * replica: one at a time while at least two run; with one replica, none (a drain waits for a
 * replacement instead of stopping the service).
 */
export function disruptionBudget(minReplicas: number): {maxUnavailable: number} | {minAvailable: number} {
  return minReplicas >= 2 ? {maxUnavailable: 1} : {minAvailable: 1}
}

export function metricName(c: ManifestConfig): string {
  return c.metric ?? DEFAULT_METRIC
}

/** Keys sorted at every level (arrays keep their order). */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k]
      if (v !== undefined) out[k] = sortKeys(v)
    }
    return out as T
  }
  return value
}

/**
 * The workload a phase was verified on, for plan.yaml and `workload/<phase>.json`: its first seed's
 * peak window, so `k6 export --plan` and `apply-to-cluster --load-test` replay what the fleet was
 * sized for (src/plan/workload.ts). Memoised: plan.yaml and the file are rendered separately.
 */
const recorded = new WeakMap<object, ReturnType<typeof recordPhaseWorkload> | undefined>()
export function phaseWorkloadRecord(
  p: {name: string; load: {tasksBySeed: Map<number, ReadonlyArray<readonly WindowTask[]>>; windowS: number; sizedTasksPerDay: number; peakFactor: number}},
  headroom: number,
): ReturnType<typeof recordPhaseWorkload> | undefined {
  if (recorded.has(p)) return recorded.get(p)
  const first = p.load.tasksBySeed.entries().next().value
  const tasks = first ? first[1].flat() : []
  const r = tasks.some((t) => t.calls.length > 0)
    ? recordPhaseWorkload({phase: p.name, tasks, windowS: p.load.windowS, sizedTasksPerDay: p.load.sizedTasksPerDay, headroom, peakFactor: p.load.peakFactor, seed: first![0]})
    : undefined
  recorded.set(p, r)
  return r
}

/**
 * PLAN.md lines naming the pools a phase no longer has (a GPU type change replaces a pool): they keep
 * running, and billing, unless `apply-to-cluster --prune` deletes them once the phase's gates pass.
 */
export function droppedPoolsNote(phases: ReadonlyArray<{name: string; pools: readonly string[]}>): string[] {
  const out: string[] = []
  for (let k = 1; k < phases.length; k++) {
    const now = new Set(phases[k].pools.map((p) => p.split(' ')[0]))
    const gone = phases[k - 1].pools.filter((p) => !now.has(p.split(' ')[0]))
    if (gone.length > 0) {
      out.push(`${phases[k].name} no longer contains ${gone.join(', ')}: \`fleetcap apply-to-cluster PLAN --phase ${phases[k].name} --prune\` deletes ${gone.length === 1 ? 'it' : 'them'} after the phase's gates pass (\`--dry-run --prune\` shows what goes); without --prune ${gone.length === 1 ? 'it keeps' : 'they keep'} running and billing.`)
    }
  }
  return out
}
