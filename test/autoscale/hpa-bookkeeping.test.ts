import {describe, expect, it} from 'vitest'

import {parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {createHpaController, type PodView} from '../../src/autoscale/hpa.js'

/**
 * Scale-event bookkeeping and window edges as kube-controller-manager v1.34 keeps them
 * (pkg/controller/podautoscaler/horizontal.go: storeScaleEvent, markScaleEventsOutdated,
 * getReplicasChangePerPeriod, calculateScale{Up,Down}Limit…, stabilizeRecommendation…).
 *
 * The metric is an External metric with an AverageValue target of 1, so the proposal is simply
 * ceil(value / 1) = the value (GetExternalPerPodMetricReplicas), unless within the 0.1 tolerance of
 * scale.status.replicas. Both stabilization windows are 0, so each sync's proposal is its own
 * stabilized recommendation and only the rate policies shape the trajectory.
 */
function externalHpa(behavior: string, maxReplicas = 50) {
  return parseHpaYaml(
    `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: t}
spec:
  scaleTargetRef: {kind: Deployment, name: t}
  minReplicas: 1
  maxReplicas: ${maxReplicas}
  metrics:
  - type: External
    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 1}}
  behavior:
${behavior}`,
  )
}

function pods(n: number): PodView[] {
  return Array.from({length: n}, (_, i) => ({name: `p${i}`, ready: true, startTimeS: -3600, readyTransitionS: -3500, metrics: {}}))
}

/** Drive the controller over [time, external value] syncs, applying each decision; returns the sizes. */
function drive(spec: ReturnType<typeof externalHpa>, start: number, steps: readonly (readonly [number, number])[]): number[] {
  const c = createHpaController(spec)
  let current = start
  const sizes: number[] = []
  for (const [t, value] of steps) {
    const d = c.reconcile(t, {currentReplicas: current, statusReplicas: current, pods: pods(current), externalMetrics: {queue_depth: value}})
    current = d.desiredReplicas
    sizes.push(current)
  }
  return sizes
}

describe('scale events: outdated events are overwritten in place, not deleted (issue 15 item 1)', () => {
  // Time rule (see hpa.ts `before`): an entry recorded n syncs ago is, in the controller's clock,
  // strictly older than n periods, so at a store an event whose age is ≥ the longest period is
  // outdated, and getReplicasChangePerPeriod counts an event only if its age is < the policy period.
  //
  // scaleUp: Pods 8 per 30 s (longest up period 30 s); scaleDown: Pods 4 per 300 s. By hand:
  //  t=0   6 → proposal 10; up limit: no events → 6+8 = 14 → 10. up events [0:+4]
  //  t=15  10 → 12; added within 30 s: 4 → periodStart 6 → 14 → 12. store: the t=0 event is 15 s
  //        old < 30 → not outdated → append. [0:+4, 15:+2]
  //  t=30, t=45  12 → 12 (within tolerance), no event.
  //  t=60  12 → 14; nothing within 30 s → 20 → 14. store: both events are ≥ 30 s old → outdated;
  //        the LAST outdated one (index 1, 15:+2) is overwritten → [0:+4 (outdated), 60:+2].
  //        fleetcap used to delete both → [60:+2].
  //  t=75  14 → 1; down limit (Pods 4/300 s): added within 300 s = 4 + 2 = 6 (the outdated event
  //        still counts: getReplicasChangePerPeriod does not look at `outdated`), removed 0 →
  //        periodStart 14 − 6 = 8 → 8 − 4 = 4. Controller: 14 → 4.
  //        With the deleted event: added 2 → periodStart 12 → 8, fleetcap's old 14 → 8.
  it('controller 14 → 4 (fleetcap used to give 14 → 8)', () => {
    const spec = externalHpa(`    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 8, periodSeconds: 30}]}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 4, periodSeconds: 300}]}
`)
    const sizes = drive(spec, 6, [[0, 10], [15, 12], [30, 12], [45, 12], [60, 14], [75, 1]])
    expect(sizes).toEqual([10, 12, 12, 12, 14, 4])
  })

  // The mirror: scaleDown Pods 8 per 30 s (longest down period 30 s); scaleUp Pods 2 per 300 s.
  //  t=0   29 → 25; down limit 29−8 = 21 → 25. down events [0:4]
  //  t=15  25 → 22; removed within 30 s: 4 → periodStart 29 → 21 → 22. 15 s old → append [0:4, 15:3]
  //  t=30, t=45  22 → 22, no event.
  //  t=60  22 → 18; nothing within 30 s → 14 → 18. store: both outdated, index 1 overwritten
  //        → [0:4 (outdated), 60:4] (fleetcap used to keep only [60:4]).
  //  t=75  18 → 40; up limit (Pods 2/300 s): added 0, removed within 300 s = 4 + 4 = 8 →
  //        periodStart 18 + 8 = 26 → 26 + 2 = 28. Controller: 18 → 28.
  //        With the deleted event: removed 4 → periodStart 22 → 24, fleetcap's old 18 → 24.
  it('controller 18 → 28 (fleetcap used to give 18 → 24)', () => {
    const spec = externalHpa(`    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 2, periodSeconds: 300}]}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 8, periodSeconds: 30}]}
`)
    const sizes = drive(spec, 29, [[0, 25], [15, 22], [30, 22], [45, 22], [60, 18], [75, 40]])
    expect(sizes).toEqual([25, 22, 22, 22, 18, 28])
  })

  // Up Pods 1/15 s, down Pods 1/600 s, one step up per sync. An event exactly one longest period old
  // is not Before(cutoff), so not yet outdated:
  //  t=0  2→3 [0:+1]
  //  t=15 3→4 (up limit: the t=0 event is not After(0) → periodStart 3 → 4); store, cutoff 0: the
  //       t=0 event is not Before 0 → kept → [0:+1, 15:+1]
  //  t=30 4→5; store, cutoff 15: t=0 outdated, t=15 not → index 0 overwritten → [30:+1, 15:+1]
  //  t=45 5 → 1: down limit, added within 600 s = 2 → periodStart 3 → 3 − 1 = 2.
  it('an event exactly one longest period old is not yet outdated; the last outdated slot is reused', () => {
    const spec = externalHpa(`    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 1, periodSeconds: 15}]}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 1, periodSeconds: 600}]}
`)
    const sizes = drive(spec, 2, [[0, 3], [15, 4], [30, 5], [45, 1]])
    expect(sizes).toEqual([3, 4, 5, 2])
  })
})

describe('stabilization window edges (issue 15 item 2)', () => {
  // Legacy path (no behavior), downscale stabilization 300 s, sync 15 s. stabilizeRecommendation
  // drops a sample only when rec.timestamp.Before(now − 300 s): a recommendation exactly 300 s old
  // still holds the size; 15 s later it does not.
  it('legacy: a recommendation exactly one window old still holds the size (Before is strict)', () => {
    const spec = parseHpaYaml(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: t}
spec:
  scaleTargetRef: {kind: Deployment, name: t}
  maxReplicas: 50
  metrics:
  - type: External
    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 1}}
`)
    const c = createHpaController(spec)
    const obs = (n: number, v: number) => ({currentReplicas: n, statusReplicas: n, pods: pods(n), externalMetrics: {queue_depth: v}})
    expect(c.reconcile(0, obs(10, 10)).desiredReplicas).toBe(10)
    for (let t = 15; t < 300; t += 15) expect(c.reconcile(t, obs(10, 2)).desiredReplicas).toBe(10)
    // At t=300 the recommendations of 10 (the initial one and t=0's) are exactly 300 s old: kept.
    expect(c.reconcile(300, obs(10, 2)).desiredReplicas).toBe(10)
    expect(c.reconcile(315, obs(10, 2)).desiredReplicas).toBe(2)
  })

  it('behavior: a recommendation exactly one window old is outside (timestamp.After(cutoff))', () => {
    const spec = externalHpa(`    scaleDown: {stabilizationWindowSeconds: 60}
`)
    const c = createHpaController(spec)
    const obs = (n: number, v: number) => ({currentReplicas: n, statusReplicas: n, pods: pods(n), externalMetrics: {queue_depth: v}})
    expect(c.reconcile(0, obs(10, 10)).desiredReplicas).toBe(10)
    expect(c.reconcile(15, obs(10, 2)).desiredReplicas).toBe(10)
    expect(c.reconcile(45, obs(10, 2)).desiredReplicas).toBe(10) // t=0 is 45 s old: inside
    expect(c.reconcile(60, obs(10, 2)).desiredReplicas).toBe(2) // exactly 60 s old: outside
  })
})

describe('scale events are stamped when the scale write returns (scaleWrittenAtS)', () => {
  // scaleUp and scaleDown: Pods 2 per 3 s, no windows. t=0: 4 → 3 (value 3). t=3.03: value 11 →
  // scale-up limit = periodStart + 2, periodStart = 3 + (scale-downs within 3 s). Stamped at the
  // sync (0), the scale-down is 3.03 s old and out of the period: 3 + 2 = 5. Stamped when the write
  // returned (0.3 s, a slow API server, as seen in the differential run), it is 2.73 s old and in
  // the period: periodStart 4, limit 6, which is what the real controller did.
  const spec = externalHpa(`    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 2, periodSeconds: 3}]}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Pods, value: 2, periodSeconds: 3}]}`)
  const run = (writtenAt: number | undefined): number => {
    const c = createHpaController(spec)
    const first = c.reconcile(0, {currentReplicas: 4, statusReplicas: 4, pods: pods(4), externalMetrics: {queue_depth: 3}}, {scaleWrittenAtS: writtenAt})
    expect(first.desiredReplicas).toBe(3)
    return c.reconcile(3.03, {currentReplicas: 3, statusReplicas: 3, pods: pods(3), externalMetrics: {queue_depth: 11}}).desiredReplicas
  }
  it('stamped at the sync: the event is out of the 3 s period', () => expect(run(undefined)).toBe(5))
  it('stamped 0.3 s later: it counts, as in the controller', () => expect(run(0.3)).toBe(6))
})

describe('the initial recommendation is stamped when the sync began (syncStartedAtS)', () => {
  // recordInitialRecommendation runs right after the controller gets the scale, before it reads
  // any metric; the windows' cutoff and the recommendations it stores take time.Now() after the
  // reads. Scale-up window 5 s, Pods 1 per 8 s. The first sync begins at 0 and reads until 0.6
  // (value 12: its recommendation 12 is stamped 0.6); the second reads until 5.3 (value 15): cutoff
  // 0.3, so the initial 9 (stamped 0) is outside and min(12, 15) = 12 → 9 + 1 = 10, what the real
  // controller did in the differential run (hd-62). Stamped at the first sync's last read (0.6),
  // the 9 would still count and hold the size at 9.
  const spec = externalHpa(`    scaleUp: {stabilizationWindowSeconds: 5, policies: [{type: Pods, value: 1, periodSeconds: 8}]}`)
  const obs = (v: number) => ({currentReplicas: 9, statusReplicas: 9, pods: pods(9), externalMetrics: {queue_depth: v}})
  const run = (startedAt: number | undefined): number => {
    const c = createHpaController(spec)
    // The first sync's own proposal 12 is held at 9 by the initial recommendation (a window of 5 s).
    expect(c.reconcile(0.6, obs(12), {syncStartedAtS: startedAt}).desiredReplicas).toBe(9)
    return c.reconcile(5.3, obs(15)).desiredReplicas
  }

  it('stamped at the sync’s start (0), it is out of the window at 5.3: 9 → 10', () => expect(run(0)).toBe(10))
  it('without it, the first sync’s instant stamps it (the simulator: one instant per sync)', () => expect(run(undefined)).toBe(9))
})
