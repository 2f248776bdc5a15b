/**
 * What an autoscaler can read in fleetcap: the quantities the simulator models, and the metric
 * names (as users write them in HPA / ScaledObject YAML) that map onto them. docs/autoscaling.md
 * carries the same table.
 */

/** A quantity the simulator models and can report per replica and for the pool. */
export type ModelledMetric =
  | 'cpu'
  | 'memory'
  | 'gpu_utilization'
  | 'kv_cache_usage'
  | 'inflight_requests'
  | 'waiting_requests'
  | 'queue_depth'

export interface ModelledMetricInfo {
  id: ModelledMetric
  /** What the simulator reports for it. */
  meaning: string
  /** Unit of the value the simulator hands in. */
  unit: 'percent' | 'fraction' | 'count'
}

export const MODELLED_METRICS: Readonly<Record<ModelledMetric, ModelledMetricInfo>> = {
  cpu: {
    id: 'cpu',
    meaning: "Resource cpu: the replica's engine busy time as a percentage of wall time (its compute utilization)",
    unit: 'percent',
  },
  memory: {
    id: 'memory',
    meaning: "Resource memory: the replica's KV-cache occupancy as a percentage of its KV budget",
    unit: 'percent',
  },
  gpu_utilization: {
    id: 'gpu_utilization',
    meaning: 'DCGM GPU utilization: percentage of time a kernel ran (same busy fraction as cpu)',
    unit: 'percent',
  },
  kv_cache_usage: {id: 'kv_cache_usage', meaning: 'KV-cache usage as a fraction 0..1 (vLLM gauge)', unit: 'fraction'},
  inflight_requests: {id: 'inflight_requests', meaning: 'requests running in the batch on the replica', unit: 'count'},
  waiting_requests: {id: 'waiting_requests', meaning: 'requests admitted to the replica but waiting for a batch slot', unit: 'count'},
  queue_depth: {
    id: 'queue_depth',
    meaning: 'tasks pending: per replica (Pods metric) or for the whole pool (Object/External metric)',
    unit: 'count',
  },
}

/** Metric names accepted for Pods, Object and External metrics, and what they read. */
export const CUSTOM_METRIC_NAMES: Readonly<Record<string, ModelledMetric>> = {
  DCGM_FI_DEV_GPU_UTIL: 'gpu_utilization',
  gpu_utilization: 'gpu_utilization',
  'vllm:gpu_cache_usage_perc': 'kv_cache_usage',
  'vllm:kv_cache_usage_perc': 'kv_cache_usage',
  kv_cache_usage: 'kv_cache_usage',
  inflight_requests: 'inflight_requests',
  'vllm:num_requests_running': 'inflight_requests',
  vllm_num_requests_running: 'inflight_requests',
  waiting_requests: 'waiting_requests',
  'vllm:num_requests_waiting': 'waiting_requests',
  vllm_num_requests_waiting: 'waiting_requests',
  queue_depth: 'queue_depth',
  queue_length: 'queue_depth',
}

/** Resource names for Resource / ContainerResource metrics (what metrics-server reports). */
export const RESOURCE_NAMES: Readonly<Record<string, ModelledMetric>> = {cpu: 'cpu', memory: 'memory'}

/** Extra name → modelled metric mappings a scenario may declare (e.g. `livhana_queue_depth: queue_depth`). */
export type MetricAliases = Readonly<Record<string, ModelledMetric>>

export function isModelledMetric(name: string): name is ModelledMetric {
  return Object.hasOwn(MODELLED_METRICS, name)
}

/** Resolve a custom metric name, aliases first; undefined when fleetcap cannot model it. */
export function resolveCustomMetric(name: string, aliases: MetricAliases = {}): ModelledMetric | undefined {
  if (Object.hasOwn(aliases, name)) return aliases[name]
  return Object.hasOwn(CUSTOM_METRIC_NAMES, name) ? CUSTOM_METRIC_NAMES[name] : undefined
}

export function supportedCustomNames(aliases: MetricAliases = {}): string[] {
  return [...Object.keys(CUSTOM_METRIC_NAMES), ...Object.keys(aliases)]
}
