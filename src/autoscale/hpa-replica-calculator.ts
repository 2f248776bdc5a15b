import type {ModelledMetric} from './metric-names.js'
import {goLabelSelector, type HpaMetric, type HpaSpec} from './hpa-schema.js'
import type {HpaControllerOptions, HpaObservation, MetricProposal, PodView} from './hpa-types.js'

/**
 * One metric → the replica count it asks for, as replica_calculator.go computes it (groupPods,
 * GetResourceReplicas, calcPlainMetricReplicas, GetObject/ExternalMetricReplicas,
 * Get…PerPodMetricReplicas) and computeReplicasForMetric wraps its errors. Values are compared in
 * milli-units with integer truncation, as the controller does.
 */

export interface Tolerances {
  up: number
  down: number
}

export class ReplicaCalculator {
  private readonly spec: HpaSpec
  private readonly options: Required<HpaControllerOptions>
  private readonly tolerances: Tolerances

  constructor(spec: HpaSpec, options: Required<HpaControllerOptions>, tolerances: Tolerances) {
    this.spec = spec
    this.options = options
    this.tolerances = tolerances
  }

  computeReplicasForMetric(nowS: number, m: HpaMetric, obs: HpaObservation): MetricProposal {
    const base = {description: m.description, reads: m.reads, sourceType: m.sourceType}
    const current = obs.currentReplicas
    try {
      switch (m.sourceType) {
        case 'Resource':
        case 'ContainerResource': {
          if (m.target.type === 'AverageValue') {
            // GetRawResourceReplicas: calcPlainMetricReplicas on raw usage (milli-units), which
            // fleetcap derives from a pod's utilization and its own request.
            const unknown = obs.pods.find((p) => p.metrics[m.reads] !== undefined && !((p.requestsMilli?.[m.reads] ?? 0) > 0))
            if (unknown !== undefined) {
              throw new MetricError(
                'FailedGetResourceMetric',
                `failed to get ${m.name} usage: fleetcap needs the ${m.name} request of pod ${unknown.name} (requestsMilli) to turn its utilization into usage`,
              )
            }
            const r = this.plainMetricReplicas(nowS, current, m.target.averageValueMilli, m.reads, obs.pods, 'FailedGetResourceMetric', m.reads === 'cpu')
            return {...base, replicas: r.replicas, current: r.usageMilli / 1000}
          }
          const target = m.target.type === 'Utilization' ? m.target.averageUtilization : 0
          const r = this.resourceReplicas(nowS, current, target, m.reads, obs.pods)
          return {...base, replicas: r.replicas, current: r.utilization}
        }
        case 'Pods': {
          const target = m.target.type === 'AverageValue' ? m.target.averageValueMilli : 0
          const r = this.plainMetricReplicas(nowS, current, target, m.reads, obs.pods)
          return {...base, replicas: r.replicas, current: r.usageMilli / 1000}
        }
        case 'Object':
        case 'External': {
          const source = m.sourceType === 'Object' ? obs.objectMetrics : obs.externalMetrics
          const value = (m.seriesKey === undefined ? undefined : source?.[m.seriesKey]) ?? source?.[m.reads]
          if (value === undefined || !Number.isFinite(value)) throw this.missingValue(m)
          const usage = toMilliValue(value)
          if (m.target.type === 'AverageValue') {
            const status = obs.statusReplicas ?? current
            const replicas = this.perPodReplicas(status, usage, m.target.averageValueMilli)
            return {...base, replicas, current: status > 0 ? Math.ceil(usage / status) / 1000 : usage / 1000}
          }
          const target = m.target.type === 'Value' ? m.target.valueMilli : 0
          try {
            const replicas = this.usageRatioReplicas(current, usage / target, obs.pods)
            return {...base, replicas, current: usage / 1000}
          } catch (error) {
            if (!(error instanceof MetricError)) throw error
            const reason = m.sourceType === 'Object' ? 'FailedGetObjectMetric' : 'FailedGetExternalMetric'
            throw new MetricError(reason, error.message, wrapReturned(m, error.message))
          }
        }
      }
    } catch (error) {
      if (error instanceof MetricError) return {...base, error: {reason: error.reason, message: error.message, returned: error.returned ?? error.message}}
      throw error
    }
  }

  private within(ratio: number): boolean {
    return 1 - this.tolerances.down <= ratio && ratio <= 1 + this.tolerances.up
  }

  /** GetResourceReplicas: Utilization target; pod samples are percentages of the request. */
  private resourceReplicas(nowS: number, current: number, targetUtilization: number, reads: ModelledMetric, pods: readonly PodView[]): {replicas: number; utilization: number} {
    const reason = 'FailedGetResourceMetric'
    if (pods.length === 0) throw new MetricError(reason, 'no pods returned by selector while calculating replica count')
    // Each pod's request (REQUEST milli-units unless the pod says); usage = utilization% × request.
    const g = groupPods(nowS, pods, reads, reads === 'cpu', this.options)
    if (g.metrics.size === 0) throw new MetricError(reason, 'did not receive metrics for targeted pods (pods might be unready)')
    const requests = new Map(pods.map((p) => [p.name, requestOf(p, reads)]))
    const utilizationOf = (metrics: Map<string, number>): number => {
      let usage = 0
      let requested = 0
      for (const [name, v] of metrics) {
        usage += v
        requested += requests.get(name)!
      }
      return Math.trunc((usage * 100) / requested)
    }
    const utilization = utilizationOf(g.metrics)
    const ratio = utilization / targetUtilization
    const scaleUpWithUnready = g.unready.length > 0 && ratio > 1
    if (!scaleUpWithUnready && g.missing.length === 0) {
      if (this.within(ratio)) return {replicas: current, utilization}
      return {replicas: Math.ceil(ratio * g.readyCount), utilization}
    }
    if (g.missing.length > 0) {
      if (ratio < 1) {
        // Scale-down: a pod without a sample is taken to use max(100%, target) of its request.
        for (const name of g.missing) g.metrics.set(name, Math.trunc((requests.get(name)! * Math.max(100, targetUtilization)) / 100))
      } else if (ratio > 1) {
        for (const name of g.missing) g.metrics.set(name, 0)
      }
    }
    if (scaleUpWithUnready) for (const name of g.unready) g.metrics.set(name, 0)
    const newRatio = utilizationOf(g.metrics) / targetUtilization
    return {replicas: this.recheckDirection(current, ratio, newRatio, g.metrics.size), utilization}
  }

  /** calcPlainMetricReplicas: Pods metrics (AverageValue), per-pod samples in milli-units. */
  private plainMetricReplicas(
    nowS: number,
    current: number,
    targetMilli: number,
    reads: ModelledMetric,
    pods: readonly PodView[],
    reason = 'FailedGetPodsMetric',
    isCpu = false,
  ): {replicas: number; usageMilli: number} {
    if (pods.length === 0) throw new MetricError(reason, 'no pods returned by selector while calculating replica count')
    const g = groupPods(nowS, pods, reads, isCpu, this.options)
    if (g.metrics.size === 0) throw new MetricError(reason, 'did not receive metrics for targeted pods (pods might be unready)')
    const usageOf = (metrics: Map<string, number>): number => {
      let total = 0
      for (const v of metrics.values()) total += v
      return Math.trunc(total / metrics.size)
    }
    const usageMilli = usageOf(g.metrics)
    const ratio = usageMilli / targetMilli
    const scaleUpWithUnready = g.unready.length > 0 && ratio > 1
    if (!scaleUpWithUnready && g.missing.length === 0) {
      if (this.within(ratio)) return {replicas: current, usageMilli}
      return {replicas: Math.ceil(ratio * g.readyCount), usageMilli}
    }
    if (g.missing.length > 0) {
      // Scale-down: a pod without a sample is taken to be exactly at target; scale-up: at zero.
      if (ratio < 1) for (const name of g.missing) g.metrics.set(name, targetMilli)
      else if (ratio > 1) for (const name of g.missing) g.metrics.set(name, 0)
    }
    if (scaleUpWithUnready) for (const name of g.unready) g.metrics.set(name, 0)
    const newRatio = usageOf(g.metrics) / targetMilli
    return {replicas: this.recheckDirection(current, ratio, newRatio, g.metrics.size), usageMilli}
  }

  /** After filling in missing/unready pods: keep the current size if the direction would flip. */
  private recheckDirection(current: number, ratio: number, newRatio: number, podCount: number): number {
    if (this.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return current
    const replicas = Math.ceil(newRatio * podCount)
    if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current
    return replicas
  }

  /** getUsageRatioReplicaCount: Object/External metrics with a Value target. */
  private usageRatioReplicas(current: number, ratio: number, pods: readonly PodView[]): number {
    if (current === 0) return Math.ceil(ratio) // scale from zero (HPAScaleToZero)
    if (this.within(ratio)) return current
    if (pods.length === 0) throw new MetricError('', 'unable to calculate ready pods: no pods returned by selector while calculating replica count')
    let ready = 0
    for (const p of pods) if ((p.phase ?? 'Running') === 'Running' && p.ready === true) ready++ // terminating pods too, while still Ready
    return Math.ceil(ratio * ready)
  }

  /**
   * An Object/External metric without a value, worded as replica_calculator.go and the metrics
   * clients word it. External: the external metrics client's "no metrics returned from external
   * metrics API" (an empty series list). Object: the custom metrics client's "unable to fetch metrics
   * from custom metrics API: …" around custom-metrics-apiserver's not-found error. The controller's
   * own "unable to get metric %s: %v on %s %s/%s" passes its arguments in a shifted order (kind where
   * the error belongs, the error last); it is reproduced as it reads.
   */
  private missingValue(m: HpaMetric): MetricError {
    const ns = this.spec.namespace
    if (m.sourceType === 'Object') {
      const o = m.describedObject!
      const inner = `unable to fetch metrics from custom metrics API: the server could not find the metric ${m.name} for ${resourceOf(o.kind)} ${o.name}`
      const message = `unable to get metric ${m.name}: ${o.kind} on ${ns} ${o.name}/${inner}`
      return new MetricError('FailedGetObjectMetric', message, wrapReturned(m, message))
    }
    const message = `unable to get external metric ${ns}/${m.name}/${goLabelSelector(m.selector)}: no metrics returned from external metrics API`
    return new MetricError('FailedGetExternalMetric', message, wrapReturned(m, message))
  }

  /** Get{Object,External}PerPodMetricReplicas: AverageValue target against scale.status.replicas. */
  private perPodReplicas(statusReplicas: number, usageMilli: number, targetMilli: number): number {
    const ratio = usageMilli / (targetMilli * statusReplicas)
    if (this.within(ratio)) return statusReplicas
    return Math.ceil(usageMilli / targetMilli)
  }
}

/** A pod's request in milli-units when it gives none: utilization samples (percent) are converted against it. */
const REQUEST = 1000

function requestOf(pod: PodView, reads: ModelledMetric): number {
  const r = pod.requestsMilli?.[reads]
  return r !== undefined && r > 0 ? r : REQUEST
}

class MetricError extends Error {
  readonly reason: string
  /** The error as computeReplicasForMetric returns it, when it wraps the condition's text. */
  readonly returned?: string
  constructor(reason: string, message: string, returned?: string) {
    super(message)
    this.reason = reason
    this.returned = returned
  }
}

/**
 * How computeStatusFor{Object,External}Metric and computeReplicasForMetric wrap a metric error on
 * its way to the FailedComputeMetricsReplicas event (v1.34 horizontal.go).
 */
function wrapReturned(m: HpaMetric, cause: string): string {
  if (m.sourceType === 'Object') {
    const inner = m.target.type === 'AverageValue' ? `failed to get ${m.name} object metric: ${cause}` : cause
    return `failed to get object metric value: ${inner}`
  }
  const inner = m.target.type === 'AverageValue' ? `failed to get ${m.name} external metric: ${cause}` : `failed to get external metric ${m.name}: ${cause}`
  return `failed to get ${m.name} external metric value: ${inner}`
}

/** The API resource of a kind, as the custom metrics API names it (lower case, plural). */
function resourceOf(kind: string): string {
  const k = kind.toLowerCase()
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`
  return `${k}s`
}

function toMilliValue(value: number): number {
  const scaled = value * 1000
  const nearest = Math.round(scaled)
  return Math.abs(scaled - nearest) < 1e-6 ? nearest : Math.ceil(scaled)
}

interface PodGroups {
  readyCount: number
  unready: string[]
  missing: string[]
  /** Samples of the pods that count, in milli-units (utilization: percent × REQUEST / 100). */
  metrics: Map<string, number>
}

/**
 * groupPods: deleted and Failed pods are ignored; Pending pods are unready; pods without a sample
 * are missing. For cpu only, a pod also counts as unready when it has no Ready condition or start
 * time; inside the initialization period when it is not ready or its sample predates readiness plus
 * one metric window; after it when it is not ready and never became ready.
 */
function groupPods(nowS: number, pods: readonly PodView[], reads: ModelledMetric, isCpu: boolean, opts: Required<HpaControllerOptions>): PodGroups {
  const g: PodGroups = {readyCount: 0, unready: [], missing: [], metrics: new Map()}
  const percent = reads === 'cpu' || reads === 'memory'
  for (const pod of pods) {
    const phase = pod.phase ?? 'Running'
    if ((pod.deleting ?? false) || phase === 'Failed') continue
    if (phase === 'Pending') {
      g.unready.push(pod.name)
      continue
    }
    const sample = pod.metrics[reads]
    if (sample === undefined || !Number.isFinite(sample)) {
      g.missing.push(pod.name)
      continue
    }
    if (isCpu) {
      let unready: boolean
      if (pod.readyTransitionS === undefined || pod.startTimeS === undefined) {
        unready = true
      } else if (pod.startTimeS + opts.cpuInitializationPeriodS > nowS) {
        const sampledAt = pod.metricTimestampS ?? nowS
        unready = pod.ready === false || sampledAt < pod.readyTransitionS + opts.metricWindowS
      } else {
        unready = pod.ready === false && pod.startTimeS + opts.initialReadinessDelayS > pod.readyTransitionS
      }
      if (unready) {
        g.unready.push(pod.name)
        continue
      }
    }
    g.metrics.set(pod.name, percent ? toMilliValue((sample * requestOf(pod, reads)) / 100_000) : toMilliValue(sample))
    g.readyCount++
  }
  return g
}
