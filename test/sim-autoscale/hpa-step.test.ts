import {describe, expect, it} from 'vitest'

import {burst, column, genericScenario, job, run} from './helpers.js'

const HPA_QUEUE = (extra = '') => `
hpa:
  apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: p}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: p}
    minReplicas: 3
    maxReplicas: 50
    metrics:
    - type: External
      external:
        metric: {name: queue_depth}
        target: {type: AverageValue, averageValue: 10}
${extra}`

/**
 * The trajectory the HPA algorithm implies for a step of `count` long jobs at `stepS` on `initial`
 * single-slot servers, written from the Kubernetes documentation, not from the simulator: at each
 * 15 s sync, desired = ceil(queue / 10) (External AverageValue, outside the 10 % tolerance), at most
 * max(2 × current, 4) (legacy scale-up limit), at least the highest proposal of the last 300 s, within
 * [3, 50]. A new replica is ready `coldS` after the decision and takes one queued job at once.
 */
function expectedTrajectory(count: number, stepS: number, initial: number, coldS: number, untilS: number): [number, number, number][] {
  let current = initial
  const requested: number[] = [] // ready times of new replicas
  const proposals: [number, number][] = []
  const desiredAt: [number, number][] = [[0, initial]]
  for (let t = 0; t <= untilS; t += 15) {
    const ready = requested.filter((r) => r <= t).length
    const queue = t >= stepS ? Math.max(0, count - initial - ready) : 0
    const pods = current
    const ratio = queue / (10 * pods)
    let proposal = Math.abs(ratio - 1) <= 0.1 ? current : Math.ceil(queue / 10)
    proposals.push([t, proposal])
    proposal = Math.max(...proposals.filter(([pt]) => pt >= t - 300).map(([, v]) => v))
    let desired = Math.min(proposal, Math.max(2 * current, 4))
    desired = Math.min(50, Math.max(3, desired))
    for (let k = current; k < desired; k++) requested.push(t + coldS)
    if (desired !== current) desiredAt.push([t, desired])
    current = desired
  }
  // Merge desired changes and ready changes into [t, desired, ready].
  const times = [...new Set([...desiredAt.map(([t]) => t), ...requested])].sort((a, b) => a - b)
  const out: [number, number, number][] = []
  for (const t of times) {
    const d = desiredAt.filter(([dt]) => dt <= t).at(-1)![1]
    const r = initial + requested.filter((x) => x <= t).length
    if (out.length > 0 && out.at(-1)![1] === d && out.at(-1)![2] === r) continue
    out.push([t, d, r])
  }
  return out
}

describe('HPA in the simulator: step load', () => {
  it('a step of 300 jobs gives the replica trajectory the algorithm implies, ready after node + pull + load', async () => {
    const result = await run(
      genericScenario({servers: 3, durationS: 400, autoscaler: HPA_QUEUE(), capacity: '{nodeProvisioningS: 100, imagePullS: 20, modelLoadS: 30}'}),
      burst(300, 50, 2000),
    )
    const pool = result.report.autoscaling!.pools[0]
    const expected = expectedTrajectory(300, 50, 3, 150, 400)
    // 3 → 6 → 12 → 24 → 30 at 60, 75, 90, 105 (legacy limit, then ceil(297/10)); ready 150 s later each.
    expect(expected.slice(0, 9)).toEqual([
      [0, 3, 3],
      [60, 6, 3],
      [75, 12, 3],
      [90, 24, 3],
      [105, 30, 3],
      [210, 30, 6],
      [225, 30, 12],
      [240, 30, 24],
      [255, 30, 30],
    ])
    expect(pool.trajectory.filter(([t]) => t <= 400)).toEqual(expected)
    const events = result.report.autoscaling!.events.filter((e) => e.timeS <= 400)
    expect(events.map((e) => [e.timeS, e.from, e.to])).toEqual([[60, 3, 6], [75, 6, 12], [90, 12, 24], [105, 24, 30]])
    expect(events[0].limitedBy).toContain('scaleUpLimit')
    expect(events[0].reason).toMatch(/New size: 6; reason: external metric queue_depth.* above target/)
    // One replica per node: 27 nodes provisioned on top of the 3 there at t = 0.
    expect(pool.nodes.provisioned).toBe(30)
  })

  it('metrics lag delays the first decision by the report delay', async () => {
    const lagged = HPA_QUEUE().replace('hpa:', 'metrics: {scrapeIntervalS: 15, reportDelayS: 30}\nhpa:')
    const result = await run(genericScenario({servers: 3, durationS: 300, autoscaler: lagged}), burst(300, 50, 2000))
    // The queue is sampled at 60 and visible from 90: the first scale-up is at the 90 s sync.
    expect(result.report.autoscaling!.events[0].timeS).toBe(90)
  })

  it('a custom sync period is honoured', async () => {
    const slow = HPA_QUEUE().replace('hpa:', 'syncPeriodS: 60\nhpa:')
    const result = await run(genericScenario({servers: 3, durationS: 300, autoscaler: slow}), burst(300, 50, 2000))
    expect(result.report.autoscaling!.events.slice(0, 2).map((e) => e.timeS)).toEqual([60, 120])
    expect(result.report.autoscaling!.pools[0].syncPeriodS).toBe(60)
  })

  it('scale-down waits for the stabilization window and drains in-flight work: no task is lost', async () => {
    // 6 jobs of 400 s at t = 5 on 3 servers; target 0.5 queued jobs per replica, default behavior
    // (scale-down window 300 s). At 15 the queue of 3 asks for 6; the 3 new replicas are ready at 25
    // and take the queue; from 30 the metric asks for the minimum, 3, but the proposal of 6 made at
    // 15 holds until 315 (only proposals strictly newer than now − 300 count). The victims are the
    // replicas ready for the shortest time, the new ones, still running their jobs until 425.
    const auto = HPA_QUEUE('    behavior: {}').replace('averageValue: 10', 'averageValue: 500m')
    const result = await run(genericScenario({servers: 3, durationS: 1200, autoscaler: auto, capacity: '{modelLoadS: 10}'}), burst(6, 5, 400))
    const r = result.report
    expect(r.autoscaling!.events.map((e) => [e.timeS, e.from, e.to])).toEqual([[15, 3, 6], [315, 6, 3]])
    expect(r.autoscaling!.events[1].reason).toBe('New size: 3; reason: All metrics below target')
    expect(r.tasks.completed).toBe(6)
    expect(r.tasks.failed).toBe(0)
    expect(r.autoscaling!.callsLost).toBe(0)
    const times = column(result, 'time_s')
    const draining = column(result, 'replicas_draining_p')
    // Draining from 315 until their jobs end at 425 (the sample at 315 is written before that sync).
    expect(times.filter((t, i) => draining[i] > 0)).toEqual(times.filter((t) => t > 315 && t < 425))
    expect(Math.max(...draining)).toBe(3)
    // Up then down: one change of direction.
    expect(r.autoscaling!.pools[0].flapping).toBe(1)
    expect(r.autoscaling!.pools[0].trajectory).toEqual([[0, 3, 3], [15, 6, 3], [25, 6, 6], [315, 3, 3]])
  })

  it('a termination grace period kills what a victim still runs; the calls are retried or fail per policy', async () => {
    // As above, with terminationGracePeriodS 30: the victims are told to go at 315 and killed at
    // 345 with their jobs. Retried, the jobs queue again, so the HPA scales up again at once (its 345 s
    // sync comes after the kill) and the cycle repeats when it scales down; with the fail policy they are lost.
    const auto = HPA_QUEUE('    behavior: {}').replace('averageValue: 10', 'averageValue: 500m')
    const yaml = (policy: string) =>
      genericScenario({servers: 3, durationS: 1200, autoscaler: auto, capacity: '{modelLoadS: 10, terminationGracePeriodS: 30}', extra: `failures: {policy: ${policy}}`})
    const retried = await run(yaml('{onLostWork: retry, maxRetries: 5}'), burst(6, 5, 400))
    const pool = retried.report.autoscaling!.pools[0]
    expect(pool.callsKilledOnScaleDown).toBeGreaterThanOrEqual(3)
    expect(retried.report.autoscaling!.callsRetried).toBe(pool.callsKilledOnScaleDown)
    expect(retried.report.autoscaling!.events.slice(0, 3).map((e) => [e.timeS, e.from, e.to])).toEqual([[15, 3, 6], [315, 6, 3], [345, 3, 6]])
    expect(retried.report.tasks.completed).toBe(6)
    const failed = await run(yaml('{onLostWork: fail}'), burst(6, 5, 400))
    expect(failed.report.autoscaling!.callsLost).toBe(3)
    expect(failed.report.tasks.failed).toBe(3)
  })

  it('without the autoscaler the same run keeps its 3 replicas', async () => {
    const result = await run(genericScenario({servers: 3, durationS: 400, autoscaler: HPA_QUEUE()}), [job(0, 50, 10)], {withoutAutoscaling: true})
    expect(result.report.autoscaling).toBeUndefined()
    expect(result.report.pools[0].replicas).toBe(3)
  })
})
