import {Rng} from '../../src/engine/random.js'

/**
 * Randomized HPA cases for the differential test against the real controller. Each case is one HPA
 * in its own namespace: a target (Pods AverageValue, Object Value/AverageValue, External
 * Value/AverageValue, or two of them), replica bounds, an initial size (sometimes outside the
 * bounds), behavior (policies, periods, stabilization windows, selectPolicy; sometimes none, the
 * legacy path), sometimes per-direction tolerances (HPAConfigurableTolerance) with values near
 * their edges, sometimes a target scaled to zero by someone else (from the start or mid-run, and
 * back), and a metric series: values held for a few seconds each. Every random choice comes
 * from one seeded generator, so a seed names a set of cases.
 */
export type Source = 'pods' | 'object-value' | 'object-average' | 'external-value' | 'external-average'

export interface CaseMetric {
  source: Source
  /** Target, in the metric's plain units (the HPA manifest's quantity). */
  target: number
}

export interface SeriesStep {
  /** Seconds after the HPA is created. */
  atS: number
  /** The value per metric (same order as metrics), plain units: per pod for `pods`, else the total. */
  values: number[]
}

export interface DiffCase {
  id: number
  namespace: string
  initialReplicas: number
  minReplicas: number
  maxReplicas: number
  metrics: CaseMetric[]
  behavior?: Record<string, unknown>
  series: SeriesStep[]
  durationS: number
  /**
   * The target scaled to zero by someone else: from `fromS` (0: the Deployment starts at 0) the
   * harness holds it at 0 replicas, and at `untilS` (if set) scales it to `restoreTo`. The controller
   * does not scale a target at zero (ScalingActive=False, ScalingDisabled) while minReplicas > 0.
   */
  zero?: {fromS: number; untilS?: number; restoreTo: number}
}

/** The tolerances drawn for behavior.scaleUp/scaleDown.tolerance (HPAConfigurableTolerance on). */
const TOLERANCES = [0.01, 0.05, 0.2]

/** The metric name each source reads in the adapter (one per source, so two metrics never share a value). */
export function metricName(source: Source): string {
  return source.startsWith('pods') ? 'queue_depth' : source.startsWith('object') ? 'queue_length' : 'waiting_requests'
}

const SOURCES: Source[] = ['pods', 'object-value', 'object-average', 'external-value', 'external-average']

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!
}

function rules(rng: Rng, up: boolean): Record<string, unknown> {
  const periods = [1, 2, 3, 4, 5, 6, 8, 10, 15]
  const policy = (): Record<string, unknown> =>
    rng.next() < 0.5
      ? {type: 'Pods', value: 1 + rng.int(up ? 5 : 4), periodSeconds: pick(rng, periods)}
      : {type: 'Percent', value: pick(rng, up ? [10, 25, 50, 100, 200, 300] : [10, 20, 34, 50, 75, 100]), periodSeconds: pick(rng, periods)}
  const n = 1 + rng.int(2)
  const out: Record<string, unknown> = {policies: Array.from({length: n}, policy)}
  const r = rng.next()
  out.selectPolicy = r < 0.6 ? 'Max' : r < 0.95 ? 'Min' : 'Disabled'
  if (rng.next() < 0.85) out.stabilizationWindowSeconds = pick(rng, up ? [0, 0, 0, 3, 5, 7] : [0, 0, 3, 5, 7, 10, 13])
  return out
}

export function generateCases(seed: number, count: number, prefix = 'hd'): DiffCase[] {
  const rng = new Rng(seed)
  const cases: DiffCase[] = []
  for (let id = 0; id < count; id++) {
    const minReplicas = 1 + rng.int(3)
    const maxReplicas = minReplicas + 2 + rng.int(10)
    const r = rng.next()
    const initialReplicas = r < 0.08 ? maxReplicas + 1 + rng.int(3) : r < 0.12 && minReplicas > 1 ? minReplicas - 1 : minReplicas + rng.int(maxReplicas - minReplicas + 1)
    const first = pick(rng, SOURCES)
    const metrics: CaseMetric[] = [{source: first, target: pick(rng, [2, 5, 10, 20])}]
    if (rng.next() < 0.2) {
      const others = SOURCES.filter((s) => metricName(s) !== metricName(first))
      metrics.push({source: pick(rng, others), target: pick(rng, [2, 5, 10, 20])})
    }
    // Behavior: none (legacy path) in 15% of cases, else scale-up and/or scale-down rules.
    let behavior: Record<string, unknown> | undefined
    if (rng.next() >= 0.15) {
      behavior = {}
      if (rng.next() < 0.8) behavior.scaleUp = rules(rng, true)
      if (rng.next() < 0.9) behavior.scaleDown = rules(rng, false)
    }
    // Tolerance (HPAConfigurableTolerance) on one or both directions in 20% of cases.
    let tolerance: {up?: number; down?: number} | undefined
    if (rng.next() < 0.2) {
      const r = rng.next()
      tolerance = {up: r < 0.67 ? pick(rng, TOLERANCES) : undefined, down: r >= 0.33 ? pick(rng, TOLERANCES) : undefined}
      behavior ??= {}
      if (tolerance.up !== undefined) behavior.scaleUp = {...(behavior.scaleUp as object | undefined), tolerance: tolerance.up}
      if (tolerance.down !== undefined) behavior.scaleDown = {...(behavior.scaleDown as object | undefined), tolerance: tolerance.down}
    }
    // Series: 5–9 steps of 5–12 s; each value asks for a size anywhere from half the minimum to
    // 1.5× the maximum (per pod for Pods/AverageValue metrics: the ratio to target times the size).
    const steps = 5 + rng.int(5)
    const series: SeriesStep[] = []
    let at = 0
    for (let s = 0; s < steps; s++) {
      const want = Math.max(0.3, minReplicas * 0.5 + rng.next() * (maxReplicas * 1.5 - minReplicas * 0.5))
      const values = metrics.map((m) => {
        // Pods and Value targets are per-ready-pod ratios (value/target × ready pods); give a ratio
        // around want / a typical size. AverageValue metrics are totals: want × target.
        const perPod = m.source === 'pods' || m.source.endsWith('-value')
        const typical = Math.max(1, Math.round((minReplicas + maxReplicas) / 2))
        const raw = perPod ? (want / typical) * m.target : want * m.target
        // Tolerance cases: now and then a per-pod or Value metric (its ratio is value / target,
        // whatever the size) just inside or just outside a tolerance edge (± 0.4% of the target).
        if (tolerance !== undefined && perPod && rng.next() < 0.4) {
          const up = tolerance.up !== undefined && (tolerance.down === undefined || rng.next() < 0.5)
          const edge = up ? 1 + tolerance.up! : 1 - (tolerance.down ?? 0.1)
          return Math.round(m.target * (edge + (rng.next() < 0.5 ? -0.004 : 0.004)) * 1000) / 1000
        }
        return Math.max(0, Math.round(raw * 10) / 10)
      })
      series.push({atS: at, values})
      at += 5 + rng.int(8)
    }
    // Scaled to zero by someone else in 6% of cases: from the start or from a later step, and scaled
    // back (to a size within the bounds) at a later step, or not.
    let zero: DiffCase['zero']
    let initial = initialReplicas
    if (rng.next() < 0.06) {
      const fromStep = rng.next() < 0.5 ? 0 : 2 + rng.int(2)
      const untilStep = fromStep + 2 + rng.int(2)
      const restoreTo = minReplicas + rng.int(maxReplicas - minReplicas + 1)
      zero = {fromS: series[fromStep]!.atS, ...(untilStep < series.length ? {untilS: series[untilStep]!.atS} : {}), restoreTo}
      if (fromStep === 0) initial = 0
    }
    cases.push({id, namespace: `${prefix}-${id}`, initialReplicas: initial, minReplicas, maxReplicas, metrics, behavior, series, durationS: at, ...(zero === undefined ? {} : {zero})})
  }
  return cases
}

/** The autoscaling/v2 manifest of a case's HPA (target: Deployment `app` of its namespace). */
export function hpaManifest(c: DiffCase): Record<string, unknown> {
  const metric = (m: CaseMetric): Record<string, unknown> => {
    const name = metricName(m.source)
    switch (m.source) {
      case 'pods':
        return {type: 'Pods', pods: {metric: {name}, target: {type: 'AverageValue', averageValue: String(m.target)}}}
      case 'object-value':
      case 'object-average':
        return {
          type: 'Object',
          object: {
            metric: {name},
            describedObject: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'app'},
            target: m.source === 'object-value' ? {type: 'Value', value: String(m.target)} : {type: 'AverageValue', averageValue: String(m.target)},
          },
        }
      case 'external-value':
      case 'external-average':
        return {
          type: 'External',
          external: {
            metric: {name},
            target: m.source === 'external-value' ? {type: 'Value', value: String(m.target)} : {type: 'AverageValue', averageValue: String(m.target)},
          },
        }
    }
  }
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {name: 'app', namespace: c.namespace},
    spec: {
      scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'app'},
      minReplicas: c.minReplicas,
      maxReplicas: c.maxReplicas,
      metrics: c.metrics.map(metric),
      ...(c.behavior === undefined ? {} : {behavior: c.behavior}),
    },
  }
}

/** Quantity text for a plain value with one decimal (the adapter parses Kubernetes quantities). */
export function quantity(v: number): string {
  return `${Math.round(v * 1000)}m`
}
