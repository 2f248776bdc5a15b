import {describe, expect, it} from 'vitest'

import {parseHpaObject} from '../../src/autoscale/hpa-schema.js'
import {buildProfile, loadCatalog} from '../../src/fleet/profiles/index.js'
import {erlangC, replicaCapacity} from '../../src/planner/analytic.js'
import {hpaObject, fluidEstimate, tuneAutoscaler, type AutoscalePoolInput} from '../../src/planner/autoscaler.js'
import {makeCandidate} from '../../src/planner/candidates.js'
import {parsePlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {createExecutor} from '../../src/planner/executor.js'
import {simulateCandidate} from '../../src/planner/verify.js'
import {generateTasks, phaseLoad} from '../../src/planner/workload.js'
import {ROOT} from '../helpers/cli.js'

describe('analytic bounds', () => {
  it('Erlang C matches the textbook values', () => {
    expect(erlangC(1, 0.5)).toBeCloseTo(0.5, 12) // M/M/1: P(wait) = rho
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12)
    expect(erlangC(4, 4)).toBe(1)
  })

  it('a replica\'s throughput bound agrees with the simulator at saturation (within 5 %)', async () => {
    const catalog = loadCatalog()
    const req = resolveRequest(parsePlanSpec('phases: [{tasksPerDay: 50000}]\nseeds: 1\n'), ROOT)
    const load = phaseLoad(req.workload, 50_000, 0.1, 3600, [1])
    await generateTasks(load)
    // The 2023 stack's profile: one replica saturates at this load (a vllm one carries ~40% more).
    const profile = buildProfile({model: 'llama-3.1-70b', gpu: 'H100-SXM', tensorParallel: 4, engine: 'vllm-splitwise-2023', catalog})
    const cap = replicaCapacity(profile, load.stats)
    // One replica offered ~4 calls/s: it runs saturated the whole hour.
    const o = await simulateCandidate(makeCandidate([{name: 'one', profile, replicas: 1}], new Map(), load.stats), 1, {request: req, load, catalog, executor: createExecutor(0), counter: {simulations: 0, simulatedS: 0}})
    expect(load.stats.callRatePerS).toBeGreaterThan(1.5 * cap.callsPerS)
    expect(Math.abs(o.callsPerS / cap.callsPerS - 1)).toBeLessThan(0.05)
  }, 60_000)
})

describe('autoscaler tuning', () => {
  const base: AutoscalePoolInput = {
    pool: 'gpu',
    replicas: 8,
    pricePerHourUsd: 10,
    coldStartS: 460,
    callsPerSPerReplica: 1,
    batch: 100,
    inflightAtPeak: 44,
    callE2eS: 50,
    // 8 replicas' worth at 14:00, a quarter of it at 02:00.
    rateAt: (t) => 4.4 * (1 + 0.6 * Math.cos((2 * Math.PI * (t / 3600 - 14)) / 24)) / 1.6,
    headroom: 0.1,
    metric: 'vllm_num_requests_running',
    maxWaitS: 5,
    periodic: true,
  }

  it('sets min from the trough and max above the peak, and the HPA it writes is valid autoscaling/v2', () => {
    const plan = tuneAutoscaler(base)
    expect(plan.settings.minReplicas).toBeLessThan(base.replicas)
    expect(plan.settings.maxReplicas).toBeGreaterThan(base.replicas)
    expect(plan.settings.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(base.coldStartS)
    const spec = parseHpaObject(hpaObject('gpu', plan.settings))
    expect(spec.minReplicas).toBe(plan.settings.minReplicas)
    expect(spec.metrics[0].reads).toBe('inflight_requests')
    expect(plan.fluid.checked).toBe(true)
    expect(plan.fluid.ok).toBe(true)
    // Following the curve costs less than holding the peak size all day.
    expect(plan.fluid.costPerDayUsd).toBeLessThan(plan.staticCostPerDayUsd)
  })

  it('a step in the daily curve outruns a cold start: the tuner adds a predictive schedule that keeps up', () => {
    // Four times the load from 14:00 to 18:00, every day.
    const step: AutoscalePoolInput = {...base, rateAt: (t) => (t % 86_400 >= 14 * 3600 && t % 86_400 < 18 * 3600 ? 4.4 : 1.1)}
    const plan = tuneAutoscaler(step)
    const hpaAlone = fluidEstimate(step, {...plan.settings, minReplicas: 2})
    expect(hpaAlone.ok).toBe(false)
    expect(hpaAlone.maxWaitS).toBeGreaterThan(step.maxWaitS)
    // The floor covers the step (rate × call latency / target) from before 14:00.
    const need = Math.ceil((4.4 * step.callE2eS) / plan.settings.targetAverageValue)
    expect(plan.schedule?.windows?.some((w) => w.start < '14:00' && w.end >= '18:00' && w.minReplicas >= need)).toBe(true)
    expect(plan.fluid.ok).toBe(true)
    expect(plan.notes.join(' ')).toContain('predictive minReplicas schedule')
  })

  it('is deterministic', () => {
    expect(JSON.stringify(tuneAutoscaler(base))).toBe(JSON.stringify(tuneAutoscaler(base)))
  })
})
