import {describe, expect, it} from 'vitest'

import {burst, column, genericScenario, job, run} from './helpers.js'

describe('KEDA in the simulator', () => {
  it('scales from zero on activation, not below it, and back to zero after the cooldown', async () => {
    const keda = `
keda:
  apiVersion: keda.sh/v1alpha1
  kind: ScaledObject
  metadata: {name: p}
  spec:
    scaleTargetRef: {name: p}
    pollingInterval: 10
    cooldownPeriod: 60
    minReplicaCount: 0
    maxReplicaCount: 10
    triggers:
    - type: redis
      metadata: {address: "redis:6379", listName: tasks, listLength: "2", activationListLength: "3"}
`
    // 3 jobs at t = 5: a list of 3 is not above the activation threshold, nothing starts and they
    // expire after 100 s in the queue. 20 jobs at t = 200 activate it at the 200 s poll.
    const tasks = [...burst(3, 5, 30), ...burst(20, 200, 30, 3)]
    const result = await run(genericScenario({servers: 0, durationS: 600, autoscaler: keda, capacity: '{modelLoadS: 20}', extra: 'queue: {deadlines: {normal: 100}}'}), tasks)
    const a = result.report.autoscaling!
    expect(result.report.tasks.failed).toBe(3)
    expect(result.report.tasks.droppedDeadline).toBe(3)
    expect(result.report.tasks.completed).toBe(20)
    const first = a.events[0]
    expect([first.timeS, first.from, first.to, first.autoscaler]).toEqual([200, 0, 1, 'keda'])
    expect(first.reason).toMatch(/^ScalerActive: activate \(s0-redis-tasks=20, activation 3\)/)
    // The HPA KEDA made takes it from 1 to 4 at its next sync (20 / 2 per replica asks for 10; legacy limit 4).
    expect(a.events[1]).toMatchObject({timeS: 210, from: 1, to: 4, autoscaler: 'keda'})
    // Back to zero once the list stayed at or below 3 for longer than the cooldown.
    const last = a.events.at(-1)!
    expect(last.to).toBe(0)
    expect(last.reason).toMatch(/^ScalerNotActive: deactivate/)
    const times = column(result, 'time_s')
    const queue = column(result, 'queue_depth')
    const lastActive = Math.max(...times.filter((_, i) => queue[i] > 3))
    expect(last.timeS).toBeGreaterThan(lastActive + 60)
    expect(last.timeS).toBeLessThanOrEqual(lastActive + 60 + 15 + 10)
    expect(a.pools[0].trajectory[0]).toEqual([0, 0, 0])
    expect(a.pools[0].trajectory.at(-1)!.slice(1)).toEqual([0, 0])
  })
})

describe('schedule of minimum replicas with an HPA', () => {
  it('raises the floor in its window (at the next sync) and lets it go after', async () => {
    const auto = `
startTime: "2026-11-23T00:00:00Z"
schedule:
  windows:
    - {start: "00:02", end: "00:05", minReplicas: 6}
hpa:
  apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: p}
  spec:
    scaleTargetRef: {kind: Deployment, name: p}
    minReplicas: 2
    maxReplicas: 10
    metrics:
    - type: External
      external:
        metric: {name: queue_depth}
        target: {type: AverageValue, averageValue: 10}
`
    const result = await run(genericScenario({servers: 2, durationS: 900, autoscaler: auto, capacity: '{modelLoadS: 30}'}), [job(0, 1, 1)])
    const a = result.report.autoscaling!
    expect(a.pools[0].autoscaler).toBe('hpa+schedule')
    const up = a.events[0]
    expect(up).toMatchObject({timeS: 120, from: 2, to: 6, autoscaler: 'schedule', reason: 'schedule raised minReplicas to 6'})
    // Ready 30 s later (model load).
    expect(a.pools[0].trajectory.slice(0, 3)).toEqual([[0, 2, 2], [120, 6, 2], [150, 6, 6]])
    const down = a.events[1]
    expect(down.to).toBe(2)
    expect(down.timeS).toBeGreaterThanOrEqual(300)
    expect(a.pools[0].replicas.final).toBe(2)
  })
})

describe('the threshold table in the simulator', () => {
  it('scales up on the queue rule by its step, honours cooldowns, and scales down when every down-rule holds', async () => {
    const auto = `
thresholds:
  minReplicas: 2
  maxReplicas: 20
  evaluationIntervalS: 30
  scaleUp: {step: "100%", cooldownS: 60}
  scaleDown: {step: 1, cooldownS: 120}
  rules:
    - metric: queue_pending
      up: {above: 100}
      down: {below: 10}
`
    const result = await run(genericScenario({servers: 2, durationS: 1800, autoscaler: auto}), burst(500, 10, 50))
    const ev = result.report.autoscaling!.events
    expect(ev.slice(0, 2).map((e) => [e.timeS, e.from, e.to])).toEqual([[30, 2, 4], [90, 4, 8]])
    expect(ev[0].autoscaler).toBe('thresholds')
    expect(ev[0].reason).toMatch(/^scale up: queue_pending \d+ > 100$/)
    const ups = ev.filter((e) => e.to > e.from)
    for (let i = 1; i < ups.length; i++) expect(ups[i].timeS - ups[i - 1].timeS).toBeGreaterThanOrEqual(60)
    const downs = ev.filter((e) => e.to < e.from)
    expect(downs.length).toBeGreaterThan(0)
    for (const d of downs) expect(d.from - d.to).toBe(1)
    expect(downs[0].reason).toMatch(/^scale down: queue_pending 0 < 10$/)
    expect(result.report.tasks.completed).toBe(500)
  })
})
