import {describe, expect, it} from 'vitest'

import {loadThresholdAutoscalerFile, parseThresholdAutoscalerYaml, ThresholdAutoscaler, type ThresholdSignal} from '../../src/autoscale/thresholds.js'

const FIX = 'test/fixtures/autoscale'
type Signals = Partial<Record<ThresholdSignal, number>>
const calm: Signals = {cpu: 50, memory: 60, queue_pending: 50, p95_latency_ms: 300, error_rate_percent: 0.5}
const idle: Signals = {cpu: 10, memory: 20, queue_pending: 2, p95_latency_ms: 80, error_rate_percent: 0}

async function seed004() {
  return new ThresholdAutoscaler(await loadThresholdAutoscalerFile(`${FIX}/thresholds-seed-004.yaml`))
}

describe('threshold autoscaler (seed 004 table)', () => {
  it('CPU > 70% must hold for 5 minutes before scaling up', async () => {
    const a = await seed004()
    let replicas = 5
    const ups: number[] = []
    for (let t = 0; t <= 600; t += 30) {
      const d = a.evaluate(t, replicas, {...calm, cpu: t >= 60 ? 85 : 50})
      if (d.direction === 'up') ups.push(t)
      replicas = d.desiredReplicas
    }
    // High from t=60: the condition has held 300 s at t=360; +100% → 10; again 60 s later (cooldown) → 20 (max).
    expect(ups).toEqual([360, 420])
    expect(replicas).toBe(20)
  })

  it('queue > 100 pending, p95 > 500 ms or errors > 1% scale up at once', async () => {
    for (const spike of [{queue_pending: 101}, {p95_latency_ms: 501}, {error_rate_percent: 1.5}]) {
      const d = (await seed004()).evaluate(0, 4, {...calm, ...spike})
      expect(d).toMatchObject({direction: 'up', desiredReplicas: 8})
      expect(d.because).toHaveLength(1)
    }
    expect((await seed004()).evaluate(0, 4, {...calm, queue_pending: 100}).direction).toBe('none') // not above
  })

  it('scales down only when every metric is below its lower threshold, CPU and memory for 10 minutes', async () => {
    const a = await seed004()
    let replicas = 10
    const changes: [number, number][] = []
    for (let t = 0; t <= 1800; t += 30) {
      // Idle from t=0, except one p95 blip at t=300 (resets nothing for CPU, but blocks that evaluation).
      const s = t === 300 ? {...idle, p95_latency_ms: 150} : idle
      const d = a.evaluate(t, replicas, s)
      if (d.desiredReplicas !== replicas) changes.push([t, d.desiredReplicas])
      replicas = d.desiredReplicas
    }
    // 600 s of low CPU/memory at t=600; −20% (floor, at least 1) every 300 s cooldown: 10 → 8 → 7 → 6 → 5 → 4.
    expect(changes).toEqual([[600, 8], [900, 7], [1200, 6], [1500, 5], [1800, 4]])
  })

  it('a missing signal blocks scale-down; cooldown and bounds are reported', async () => {
    const a = await seed004()
    const {error_rate_percent: _ignored, ...noErrors} = idle
    for (let t = 0; t <= 900; t += 30) expect(a.evaluate(t, 10, noErrors).direction).toBe('none')
    const b = await seed004()
    expect(b.evaluate(0, 4, {...calm, queue_pending: 500})).toMatchObject({desiredReplicas: 8})
    expect(b.evaluate(30, 8, {...calm, queue_pending: 500})).toMatchObject({desiredReplicas: 8, limitedBy: 'cooldown'})
    expect(b.evaluate(60, 8, {...calm, queue_pending: 500})).toMatchObject({desiredReplicas: 16})
    expect(b.evaluate(120, 16, {...calm, queue_pending: 500})).toMatchObject({desiredReplicas: 20, limitedBy: 'maxReplicas'})
  })

  it('rejects a configuration without step or cooldown, and inverted bounds', () => {
    expect(() => parseThresholdAutoscalerYaml('minReplicas: 1\nmaxReplicas: 4\nscaleUp: {step: 1}\nscaleDown: {step: 1, cooldownS: 0}\nrules: [{metric: cpu, up: {above: 70}}]\n', {file: 't.yaml'})).toThrow(/^t\.yaml:3: scaleUp\.cooldownS: /)
    expect(() => parseThresholdAutoscalerYaml('minReplicas: 5\nmaxReplicas: 4\nscaleUp: {step: 1, cooldownS: 0}\nscaleDown: {step: 1, cooldownS: 0}\nrules: [{metric: cpu}]\n')).toThrow(/line 2: maxReplicas: must be at least minReplicas \(5\)/)
    expect(() => parseThresholdAutoscalerYaml('minReplicas: 1\nmaxReplicas: 4\nscaleUp: {step: 1, cooldownS: 0}\nscaleDown: {step: 1, cooldownS: 0}\nrules: [{metric: latency}]\n')).toThrow(/rules\[0\]\.metric/)
  })
})
