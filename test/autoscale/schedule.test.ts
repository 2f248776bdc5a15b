import {describe, expect, it} from 'vitest'

import {parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {parseMinReplicaScheduleYaml, ScheduledHpa} from '../../src/autoscale/schedule.js'

const MONDAY = Date.parse('2026-11-23T00:00:00Z') / 1000 // a Monday, 00:00 UTC
const H = 3600

describe('minimum-replica schedule', () => {
  it('daily windows on weekdays, step points from a planner, the larger floor wins', () => {
    const s = parseMinReplicaScheduleYaml(
      'windows:\n  - {days: [Mon, Tue, Wed, Thu, Fri], start: "08:00", end: "20:00", minReplicas: 10}\npoints:\n  - {at: 0, minReplicas: 3}\n  - {at: "2026-11-23T12:00:00Z", minReplicas: 12}\n  - {at: 172800, minReplicas: 1}\n',
      MONDAY,
    )
    expect(s.minReplicasAt(0)).toBe(3)
    expect(s.minReplicasAt(8 * H - 1)).toBe(3)
    expect(s.minReplicasAt(8 * H)).toBe(10)
    expect(s.minReplicasAt(12 * H)).toBe(12)
    expect(s.minReplicasAt(20 * H)).toBe(12) // window over, the point of 12:00 still holds
    expect(s.minReplicasAt(48 * H + 9 * H)).toBe(10) // Wednesday 09:00: point 1, window 10
    expect(s.minReplicasAt(5 * 24 * H + 9 * H)).toBe(1) // Saturday 09:00: no window
  })

  it('a window ending before it starts runs past midnight; offsets shift the clock', () => {
    const s = parseMinReplicaScheduleYaml('utcOffsetMinutes: 60\nwindows:\n  - {days: [Sun], start: "22:00", end: "02:00", minReplicas: 4}\n', MONDAY)
    expect(s.minReplicasAt(30 * 60)).toBe(4) // Mon 01:30 local, window started Sun 22:00 local
    expect(s.minReplicasAt(1 * H + 30 * 60)).toBeUndefined() // Mon 02:30 local
    expect(s.minReplicasAt(6 * 24 * H + 21 * H)).toBe(4) // Sun 22:00 local = 21:00 UTC
  })

  it('rejects times without an offset and bad clock times, naming the line', () => {
    expect(() => parseMinReplicaScheduleYaml('points:\n  - {at: "2026-11-23T12:00:00", minReplicas: 2}\n', MONDAY, {file: 's.yaml'})).toThrow(/^s\.yaml:2: points\[0\]\.at: .*UTC offset/)
    expect(() => parseMinReplicaScheduleYaml('windows:\n  - {start: "8:00", end: "20:00", minReplicas: 2}\n', MONDAY)).toThrow(/windows\[0\]\.start: must be HH:MM/)
  })
})

describe('schedule combined with an HPA (minReplicas patched over time)', () => {
  it('raises the floor at once when the window opens and lets the metric take over when it closes', () => {
    const spec = parseHpaYaml(
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: t}\nspec:\n  scaleTargetRef: {kind: Deployment, name: t}\n  minReplicas: 2\n  maxReplicas: 20\n  metrics:\n  - type: Pods\n    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100}}\n',
    )
    const hpa = new ScheduledHpa(spec, parseMinReplicaScheduleYaml('windows:\n  - {start: "08:00", end: "09:00", minReplicas: 10}\n', MONDAY))
    let replicas = 2
    const changes: [number, number, string[]][] = []
    for (let t = 7 * H; t <= 10 * H; t += 15) {
      // 150 tasks pending across the pool all morning: the metric alone asks for 2.
      const pods = Array.from({length: replicas}, (_, i) => ({name: `p${i}`, ready: true, startTimeS: 0, readyTransitionS: 1, metrics: {queue_depth: 150 / replicas}}))
      const d = hpa.reconcile(t, {currentReplicas: replicas, pods})
      if (d.desiredReplicas !== replicas) changes.push([t, d.desiredReplicas, d.limitedBy])
      replicas = d.desiredReplicas
    }
    // 08:00 → 10 directly (below Spec.MinReplicas: no rate limit). 09:00 → 2 at once: the stabilization
    // window holds metric recommendations (2 all along), not the scheduled floor.
    expect(changes).toEqual([
      [8 * H, 10, ['minReplicas']],
      [9 * H, 2, []],
    ])
  })
})
