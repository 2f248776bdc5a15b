import {describe, expect, it} from 'vitest'

import {parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {createHpaController, type HpaObservation, type PodView} from '../../src/autoscale/hpa.js'

/** An HPA on one Deployment, with the given spec lines (indented two spaces). */
function hpa(specLines: string, aliases = {}) {
  return parseHpaYaml(
    `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: t}\nspec:\n  scaleTargetRef: {kind: Deployment, name: t}\n${specLines}`,
    {metricAliases: aliases},
  )
}

const podsMetric = (target: string | number, name = 'queue_depth') =>
  `  metrics:\n  - type: Pods\n    pods: {metric: {name: ${name}}, target: {type: AverageValue, averageValue: ${target}}}\n`
const cpuMetric = (util: number) =>
  `  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: ${util}}}\n`

/** Running, ready pods long past their CPU initialization period, one sample each. */
function readyPods(values: readonly (number | undefined)[], metric: 'queue_depth' | 'cpu' = 'queue_depth'): PodView[] {
  return values.map((v, i) => ({
    name: `p${i}`,
    ready: true,
    startTimeS: -3600,
    readyTransitionS: -3500,
    metrics: v === undefined ? {} : {[metric]: v},
  }))
}

/** Integer per-pod counts that add up to `total` (how a real queue spreads over n replicas). */
function spread(total: number, n: number): number[] {
  return Array.from({length: n}, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0))
}

describe('replica calculation: the worked examples of the Kubernetes documentation', () => {
  // kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/#algorithm-details:
  // "if the current metric value is 200m, and the desired value is 100m, the number of replicas
  // will be doubled … If the current value is instead 50m, you'll halve the number of replicas".
  it('200m against 100m doubles, 50m halves', () => {
    const up = createHpaController(hpa(`  maxReplicas: 100\n${podsMetric('100m')}`)).reconcile(0, {currentReplicas: 4, pods: readyPods([0.2, 0.2, 0.2, 0.2])})
    expect(up.desiredReplicas).toBe(8)
    expect(up.proposals[0]).toMatchObject({replicas: 8, current: 0.2})
    const behaviorZeroWindow = `  maxReplicas: 100\n${podsMetric('100m')}  behavior: {scaleDown: {stabilizationWindowSeconds: 0}}\n`
    const down = createHpaController(hpa(behaviorZeroWindow)).reconcile(0, {currentReplicas: 4, pods: readyPods([0.05, 0.05, 0.05, 0.05])})
    expect(down.metricReplicas).toBe(2)
  })

  it('skips scaling while the ratio is within the 0.1 tolerance', () => {
    const c = createHpaController(hpa(`  maxReplicas: 100\n${podsMetric('100m')}`))
    expect(c.reconcile(0, {currentReplicas: 4, pods: readyPods([0.105, 0.105, 0.105, 0.105])}).desiredReplicas).toBe(4)
    expect(c.reconcile(15, {currentReplicas: 4, pods: readyPods([0.11, 0.11, 0.11, 0.11])}).desiredReplicas).toBe(4) // 1.1 is within
    expect(c.reconcile(30, {currentReplicas: 4, pods: readyPods([0.111, 0.111, 0.111, 0.111])}).desiredReplicas).toBe(5)
  })

  it('takes the largest proposal of several metrics', () => {
    const spec = hpa(
      `  maxReplicas: 100\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n  - type: Pods\n    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100}}\n`,
    )
    const pods = readyPods([100, 100, 100, 100], 'cpu').map((p) => ({...p, metrics: {...p.metrics, queue_depth: 150}}))
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 4, pods})
    expect(d.proposals.map((p) => p.replicas)).toEqual([8, 6])
    expect(d.metric).toBe('cpu resource utilization (percentage of request)')
    expect(d.desiredReplicas).toBe(8)
    expect(d.rescaleReason).toBe('cpu resource utilization (percentage of request) above target')
    expect(d.event).toEqual({type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 8; reason: cpu resource utilization (percentage of request) above target'})
  })

  // HorizontalPodAutoscaler Walkthrough (kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale-walkthrough/):
  // php-apache, `kubectl autoscale … --cpu-percent=50 --min=1 --max=10` (no behavior), load drives
  // CPU to 305% of the request and the Deployment ends at 7 replicas; after the load stops it returns to 1.
  it('walkthrough: 305% on one replica against 50% ends at 7, and back to 1 after the window', () => {
    const c = createHpaController(hpa(`  minReplicas: 1\n  maxReplicas: 10\n${cpuMetric(50)}`))
    const first = c.reconcile(0, {currentReplicas: 1, pods: readyPods([305], 'cpu')})
    expect(first.metricReplicas).toBe(7) // ceil(1 × 305/50)
    expect(first.desiredReplicas).toBe(4) // legacy limit max(2 × 1, 4)
    expect(first.limitedBy).toEqual(['scaleUpLimit'])
    expect(first.conditions.find((x) => x.type === 'ScalingLimited')).toMatchObject({status: 'True', reason: 'ScaleUpLimit'})
    // The same work over 4 replicas is 76.25% each: ceil(4 × 76/50) = 7.
    const second = c.reconcile(15, {currentReplicas: 4, pods: readyPods([76.25, 76.25, 76.25, 76.25], 'cpu')})
    expect(second.desiredReplicas).toBe(7)
    // Load stops: the proposal drops to the minimum, but the highest recommendation of the last 300 s holds.
    let replicas = 7
    let scaledDownAt = -1
    for (let t = 30; t <= 30 + 600; t += 15) {
      const d = c.reconcile(t, {currentReplicas: replicas, pods: readyPods(Array(replicas).fill(0), 'cpu')})
      if (d.desiredReplicas < replicas && scaledDownAt < 0) scaledDownAt = t
      replicas = d.desiredReplicas
    }
    expect(replicas).toBe(1)
    // Last high recommendation at t=15; the legacy window keeps samples exactly 300 s old, so 15+300 still holds.
    expect(scaledDownAt).toBe(330)
  })
})

describe('not-ready pods and missing metrics, as the replica calculator treats them', () => {
  const spec = hpa(`  maxReplicas: 100\n${podsMetric(100)}`)
  it('scale-up: unready pods count as zero, which can cancel the scale-up', () => {
    const pods: PodView[] = [...readyPods([200, 200]), {name: 'new1', phase: 'Pending', ready: false, metrics: {}}, {name: 'new2', phase: 'Pending', ready: false, metrics: {}}]
    // ratio 2 over the ready pods; with the two pending ones at 0 the ratio is 1.0: keep 4.
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 4, pods}).desiredReplicas).toBe(4)
  })
  it('scale-up: the direction would flip once unready pods count as zero: keep the current size', () => {
    const pods: PodView[] = [...readyPods([150]), {name: 'a', phase: 'Pending', ready: false, metrics: {}}, {name: 'b', phase: 'Pending', ready: false, metrics: {}}]
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 3, pods}).desiredReplicas).toBe(3)
  })
  it('scale-up: pods without a sample count as zero', () => {
    // avg over 3 ready = 200 (ratio 2); with the missing pod at 0: 150 → ceil(1.5 × 4) = 6
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 4, pods: readyPods([200, 200, 200, undefined])}).desiredReplicas).toBe(6)
  })
  it('exactly at target with pods missing: nothing is filled in and nothing changes', () => {
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 4, pods: readyPods([100, 100, 100, undefined])}).metricReplicas).toBe(4)
  })
  it('scale-down: pods without a sample count as exactly at target (Pods) or max(100%, target) (Utilization)', () => {
    const zeroWindow = '  behavior: {scaleDown: {stabilizationWindowSeconds: 0}}\n'
    const pods = createHpaController(hpa(`  maxReplicas: 100\n${podsMetric(100)}${zeroWindow}`))
    // ratio 0.2 → with the missing pod at 100: avg 40 → ceil(0.4 × 4) = 2 (instead of ceil(0.2 × 3) = 1)
    expect(pods.reconcile(0, {currentReplicas: 4, pods: readyPods([20, 20, 20, undefined])}).metricReplicas).toBe(2)
    const cpu = createHpaController(hpa(`  maxReplicas: 100\n${cpuMetric(50)}${zeroWindow}`))
    // 10% each over 3 (ratio 0.2); the missing one at 100% of request: (30+100)/4 = 32% → ceil(0.64 × 4) = 3
    expect(cpu.reconcile(0, {currentReplicas: 4, pods: readyPods([10, 10, 10, undefined], 'cpu')}).metricReplicas).toBe(3)
  })
  it('cpu: samples taken before a pod was ready for one metric window are ignored during initialization', () => {
    const c = createHpaController(hpa(`  maxReplicas: 100\n${cpuMetric(50)}`))
    const fresh: PodView = {name: 'fresh', ready: true, startTimeS: 940, readyTransitionS: 990, metricTimestampS: 995, metrics: {cpu: 0}}
    // At t=1000 the fresh pod (started 60 s ago) has a sample from 5 s after readiness (< 15 s window): unready.
    const d = c.reconcile(1000, {currentReplicas: 3, pods: [...readyPods([100, 100], 'cpu'), fresh]})
    // ratio 2 over the two ready pods, the unready one at 0: (100+100+0)/3 = 66% → ceil(1.32 × 3) = 4
    expect(d.metricReplicas).toBe(4)
    // Counted as ready (its 0% sample would pull the average down to the same 66%) once the sample is fresh.
    const later = createHpaController(hpa(`  maxReplicas: 100\n${cpuMetric(50)}`))
    const e = later.reconcile(1000, {currentReplicas: 3, pods: [...readyPods([100, 100], 'cpu'), {...fresh, metricTimestampS: 1006}]})
    expect(e.proposals[0].current).toBe(66)
  })
  it('cpu: after initialization a pod that was ready before and is unready now still counts', () => {
    const flapping: PodView = {name: 'f', ready: false, startTimeS: 0, readyTransitionS: 900, metrics: {cpu: 100}}
    const neverReady: PodView = {name: 'n', ready: false, startTimeS: 0, readyTransitionS: 10, metrics: {cpu: 100}}
    const c = createHpaController(hpa(`  maxReplicas: 100\n${cpuMetric(50)}`))
    expect(c.reconcile(1000, {currentReplicas: 2, pods: [...readyPods([100], 'cpu'), flapping]}).metricReplicas).toBe(4)
    const d = createHpaController(hpa(`  maxReplicas: 100\n${cpuMetric(50)}`))
    // never ready (readiness flipped within 30 s of start): unready, counted as 0 on scale-up: 50% → within → 2
    expect(d.reconcile(1000, {currentReplicas: 2, pods: [...readyPods([100], 'cpu'), neverReady]}).metricReplicas).toBe(2)
  })
})

describe('Object and External metrics', () => {
  it('AverageValue: ceil(total / target) unless total / (target × status replicas) is within tolerance', () => {
    const spec = hpa(`  maxReplicas: 100\n  metrics:\n  - type: External\n    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 10}}\n`)
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 5, pods: readyPods([0, 0, 0, 0, 0]), externalMetrics: {queue_depth: 95}}).desiredReplicas).toBe(10)
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 5, pods: readyPods([0, 0, 0, 0, 0]), externalMetrics: {queue_depth: 54}}).desiredReplicas).toBe(5)
  })
  it('selectors pick a series: one queue per priority in the same pool', () => {
    const ext = (prio: string, target: number) =>
      `  - type: External\n    external: {metric: {name: queue_depth, selector: {matchLabels: {priority: ${prio}}}}, target: {type: AverageValue, averageValue: ${target}}}\n`
    const spec = hpa(`  maxReplicas: 100\n  metrics:\n${ext('high', 10)}${ext('low', 100)}`)
    expect(spec.metrics.map((m) => m.seriesKey)).toEqual(['queue_depth{priority=high}', 'queue_depth{priority=low}'])
    const d = createHpaController(spec).reconcile(0, {
      currentReplicas: 2,
      pods: readyPods([0, 0]),
      externalMetrics: {'queue_depth{priority=high}': 50, 'queue_depth{priority=low}': 200},
    })
    expect(d.proposals.map((p) => p.replicas)).toEqual([5, 2])
    // Without per-series values both read the pool's queue_depth.
    const e = createHpaController(spec).reconcile(0, {currentReplicas: 2, pods: readyPods([0, 0]), externalMetrics: {queue_depth: 300}})
    expect(e.proposals.map((p) => p.replicas)).toEqual([30, 3])
  })

  it('Value: ratio × ready pods', () => {
    const spec = hpa(`  maxReplicas: 100\n  metrics:\n  - type: Object\n    object: {describedObject: {kind: Service, name: gw}, metric: {name: inflight_requests}, target: {type: Value, value: 100}}\n`)
    const pods = [...readyPods([0, 0]), {name: 'x', phase: 'Pending' as const, ready: false, metrics: {}}]
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 3, pods, objectMetrics: {inflight_requests: 300}})
    expect(d.metricReplicas).toBe(6) // 3 × 2 ready pods
    expect(d.metric).toBe('Service metric inflight_requests')
  })
  it('no value at all: ScalingActive=False and no change; partial data never scales down but may scale up', () => {
    const spec = hpa(
      `  maxReplicas: 100\n  metrics:\n  - type: External\n    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 10}}\n  - type: Pods\n    pods: {metric: {name: inflight_requests}, target: {type: AverageValue, averageValue: 10}}\n`,
    )
    const none = createHpaController(spec).reconcile(0, {currentReplicas: 4, pods: readyPods([undefined, undefined, undefined, undefined])})
    expect(none.desiredReplicas).toBe(4)
    expect(none.limitedBy).toEqual(['invalidMetrics'])
    expect(none.conditions.find((c) => c.type === 'ScalingActive')).toMatchObject({status: 'False', reason: 'FailedGetExternalMetric'})
    expect(none.event?.message).toMatch(/^invalid metrics \(2 invalid out of 2\), first error is: /)
    const pods = (v: number) => readyPods([0, 0, 0, 0]).map((p) => ({...p, metrics: {inflight_requests: v}}))
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 4, pods: pods(1)}).desiredReplicas).toBe(4)
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 4, pods: pods(30)}).desiredReplicas).toBe(8)
  })
})

describe('bounds', () => {
  const spec = hpa(`  minReplicas: 2\n  maxReplicas: 10\n${podsMetric(100)}`)
  it('a target at zero replicas with minReplicas > 0 is left alone (scaling disabled)', () => {
    const d = createHpaController(spec).reconcile(0, {currentReplicas: 0, pods: []})
    expect(d.desiredReplicas).toBe(0)
    expect(d.conditions.find((c) => c.type === 'ScalingActive')).toMatchObject({status: 'False', reason: 'ScalingDisabled'})
  })
  it('a target scaled to zero and back: no scaling at zero; the first sync\'s recommendation (0) then holds a scale-up window', () => {
    // The controller records the initial recommendation (the size, 0) before its zero check, and the
    // disabled syncs store nothing; after the target is scaled back to 2 the 0 sits in the 10 s
    // scale-up window (its minimum), so the size holds until that recommendation leaves it.
    const h = createHpaController(hpa(`  minReplicas: 2\n  maxReplicas: 10\n${podsMetric(1)}  behavior: {scaleUp: {stabilizationWindowSeconds: 10}}\n`))
    expect(h.reconcile(0, {currentReplicas: 0, pods: []}).desiredReplicas).toBe(0)
    expect(h.reconcile(2, {currentReplicas: 0, pods: []})).toMatchObject({desiredReplicas: 0, limitedBy: ['scalingDisabled']})
    expect(h.reconcile(4, {currentReplicas: 2, pods: readyPods([3, 3])}).desiredReplicas).toBe(2)
    expect(h.reconcile(10.5, {currentReplicas: 2, pods: readyPods([3, 3])}).desiredReplicas).toBe(6)
  })
  it('outside [min, max] it goes straight to the bound, without rate limits', () => {
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 25, pods: readyPods(Array(25).fill(500))})).toMatchObject({desiredReplicas: 10, rescaleReason: 'Current number of replicas above Spec.MaxReplicas'})
    expect(createHpaController(spec).reconcile(0, {currentReplicas: 1, pods: readyPods([0])})).toMatchObject({desiredReplicas: 2, limitedBy: ['minReplicas']})
  })
})

describe('behavior: policies and stabilization, the documentation examples', () => {
  // "Scaling policies" example: scaleDown with Pods 4/60s and Percent 10/60s; "if there are 80
  // replicas and the target has to be scaled down to 10 replicas then during the first step 8
  // replicas will be reduced. In the next iteration when the number of replicas is 72, 10% of the
  // pods is 7.2 but the number is rounded up to 8 … When the number of replicas falls below 40 the
  // first policy (Pods) is applied and 4 replicas will be reduced at a time."
  it('80 → 10 under Pods 4/60s and Percent 10/60s', () => {
    const c = createHpaController(
      hpa(
        `  minReplicas: 1\n  maxReplicas: 100\n${podsMetric(100)}  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 0\n      policies:\n      - {type: Pods, value: 4, periodSeconds: 60}\n      - {type: Percent, value: 10, periodSeconds: 60}\n`,
      ),
    )
    const sizes = [80]
    const times: number[] = []
    let replicas = 80
    for (let t = 0; t <= 1200 && replicas > 10; t += 15) {
      // Total queue 1000: 10 replicas at target 100.
      const d = c.reconcile(t, {currentReplicas: replicas, pods: readyPods(spread(1000, replicas))})
      if (d.desiredReplicas !== replicas) {
        sizes.push(d.desiredReplicas)
        times.push(t)
        if (d.desiredReplicas > 10) expect(d.limitedBy.at(-1)).toMatch(/^policy:/)
      }
      replicas = d.desiredReplicas
    }
    expect(sizes).toEqual([80, 72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10])
    // One step per 60 s period: the change made at t counts against the period until t+60.
    expect(times.slice(0, 4)).toEqual([0, 60, 120, 180])
  })

  it('selectPolicy Disabled turns scale-down off', () => {
    const c = createHpaController(hpa(`  maxReplicas: 100\n${podsMetric(100)}  behavior: {scaleDown: {selectPolicy: Disabled}}\n`))
    let d = c.reconcile(0, {currentReplicas: 8, pods: readyPods(Array(8).fill(1))})
    for (let t = 15; t <= 900; t += 15) d = c.reconcile(t, {currentReplicas: 8, pods: readyPods(Array(8).fill(1))})
    expect(d.desiredReplicas).toBe(8)
    expect(d.limitedBy).toEqual(['policy:Disabled'])
    expect(d.conditions.find((x) => x.type === 'ScalingLimited')).toMatchObject({status: 'True', reason: 'ScaleDownLimit'})
  })

  it('selectPolicy Min takes the smaller change', () => {
    const c = createHpaController(hpa(`  maxReplicas: 100\n${podsMetric(100)}  behavior: {scaleUp: {selectPolicy: Min}}\n`))
    const d = c.reconcile(0, {currentReplicas: 10, pods: readyPods(Array(10).fill(1000))})
    expect(d.desiredReplicas).toBe(14) // min(10+4, 2×10)
    expect(d.limitedBy).toEqual(['policy:Pods 4/15s'])
  })

  it('a scale-up stabilization window applies the lowest recommendation of the window (seed 004: 60 s)', () => {
    const c = createHpaController(hpa(`  minReplicas: 3\n  maxReplicas: 20\n${podsMetric(100)}  behavior: {scaleUp: {stabilizationWindowSeconds: 60}}\n`))
    // t=0: proposal 3 (the initial recommendation and this one); t=15 → 9 but the window holds 3.
    expect(c.reconcile(0, {currentReplicas: 3, pods: readyPods([100, 100, 100])}).desiredReplicas).toBe(3)
    const held = c.reconcile(15, {currentReplicas: 3, pods: readyPods([300, 300, 300])})
    expect(held).toMatchObject({metricReplicas: 9, desiredReplicas: 3, limitedBy: ['stabilizationWindow']})
    expect(held.conditions.find((x) => x.type === 'AbleToScale')).toMatchObject({reason: 'ScaleUpStabilized'})
    expect(c.reconcile(45, {currentReplicas: 3, pods: readyPods([300, 300, 300])}).desiredReplicas).toBe(3)
    // At t=60 the samples of t=0 leave the window (strictly newer than now − 60 count); the default
    // scale-up policies then allow max(3 + 4, 2 × 3) = 7 of the 9.
    const released = c.reconcile(60, {currentReplicas: 3, pods: readyPods([300, 300, 300])})
    expect(released).toMatchObject({stabilizedReplicas: 9, desiredReplicas: 7, limitedBy: ['policy:Pods 4/15s']})
  })
})

describe('a step load: the replica trajectory the algorithm implies', () => {
  /** Queue depth per pod = total / replicas (pods ready at once); sync every 15 s. */
  function run(specLines: string, total: (t: number) => number, untilS: number, start = 3) {
    const c = createHpaController(hpa(specLines))
    let replicas = start
    const trajectory: [number, number][] = [[0, start]]
    const decisions = []
    for (let t = 0; t <= untilS; t += 15) {
      const obs: HpaObservation = {currentReplicas: replicas, pods: readyPods(spread(total(t), replicas))}
      const d = c.reconcile(t, obs)
      decisions.push(d)
      if (d.desiredReplicas !== replicas) trajectory.push([t, d.desiredReplicas])
      replicas = d.desiredReplicas
    }
    return {trajectory, decisions}
  }

  it('default behavior: 3 → 7 → 14 → 28 (max(+4 pods, +100%) per 15 s; 3000/28 is within tolerance), then 300 s before scaling down', () => {
    // Queue jumps from 100 to 1000 per pod on 3 replicas (total 3000, target 100 → 30 replicas); drops to 300 at t=300.
    const {trajectory, decisions} = run(`  minReplicas: 3\n  maxReplicas: 50\n${podsMetric(100)}  behavior: {}\n`, (t) => (t < 300 ? 3000 : 300), 900)
    expect(trajectory).toEqual([[0, 3], [0, 7], [15, 14], [30, 28], [585, 3]])
    // At 28 replicas the ratio is 3000 / 28 / 100 = 1.07: within the 0.1 tolerance, so it stays at 28.
    expect(decisions[3]).toMatchObject({timeS: 45, metricReplicas: 28, desiredReplicas: 28})
    expect(decisions[0].limitedBy).toEqual(['policy:Pods 4/15s'])
    expect(decisions[1].limitedBy).toEqual(['policy:Percent 100%/15s'])
    // Last high recommendation at t=285; the behavior window counts samples strictly newer than now − 300.
    expect(decisions[38]).toMatchObject({timeS: 570, metricReplicas: 3, desiredReplicas: 28, limitedBy: ['stabilizationWindow']})
  })

  it('a constant 1000 per pod grows until maxReplicas', () => {
    const c = createHpaController(hpa(`  minReplicas: 3\n  maxReplicas: 50\n${podsMetric(100)}  behavior: {}\n`))
    let replicas = 3
    const sizes = [3]
    for (let t = 0; t <= 75; t += 15) {
      replicas = c.reconcile(t, {currentReplicas: replicas, pods: readyPods(Array(replicas).fill(1000))}).desiredReplicas
      sizes.push(replicas)
    }
    expect(sizes).toEqual([3, 7, 14, 28, 50, 50, 50])
  })

  it('without behavior (legacy): 3 → 6 → 12 → 24 → 30, the scale-up limit max(2×, 4)', () => {
    const {trajectory} = run(`  minReplicas: 3\n  maxReplicas: 50\n${podsMetric(100)}`, () => 3000, 120)
    expect(trajectory).toEqual([[0, 3], [0, 6], [15, 12], [30, 24], [45, 30]])
  })
})
