import {describe, expect, it} from 'vitest'

import {replayPredictor} from '../../src/calibrate/predict.js'
import {simulatePredictor, tasksOfLoad} from '../../src/calibrate/simulate-predictor.js'
import {resolveServingProfile} from '../../src/fleet/profiles/catalog.js'
import {constantLoad, type LoadProfile} from '../../src/k6/load.js'

/**
 * The two predictors calibration can use are written independently (the simulator's fleet model and
 * the replay of src/calibrate/batching-replica.ts); on the same tasks they must agree.
 */
describe('simulate and replay predictors', () => {
  const profile = resolveServingProfile({model: 'llama-3.1-8b', gpu: 'A100-80GB', tensorParallel: 1})
  const load: LoadProfile = {
    executor: 'ramping-arrival-rate',
    stages: [
      {durationS: 20, ratePerS: 4},
      {durationS: 20, ratePerS: 9},
    ],
    tasks: [[[374, 44, 0]], [[1020, 129, 0]], [[2048, 300, 0]], [[91, 16, 0]]],
    origin: {},
  }

  it('feeds the simulator exactly the tasks k6 sends', async () => {
    const tasks = []
    for await (const chunk of tasksOfLoad(load, 7)) tasks.push(...chunk)
    expect(tasks).toHaveLength(80 + 180)
    expect(tasks[0]).toMatchObject({id: 0, arrivalS: 0, calls: [{inputTokens: 374, outputTokens: 44, delayS: 0}]})
    expect(tasks[81].arrivalS).toBeCloseTo(20 + 1 / 9, 9)
    expect(tasks[6].calls[0].inputTokens).toBe(2048)
  })

  for (const [replicas, scale] of [
    [1, 1],
    [2, 1.3],
  ] as const) {
    it(`agree within 8% on ${replicas} replica(s) at step scale ${scale}`, async () => {
      const sim = await simulatePredictor(profile, replicas)(load, scale)
      const rep = await replayPredictor(profile, replicas)(load, scale)
      const gaps = (['latencyP50Ms', 'latencyP95Ms', 'ttftP50Ms', 'tpotP50Ms', 'tpotP95Ms'] as const).map((k) => [k, sim[k]! / rep[k]! - 1] as const)
      process.stderr.write(`simulate/replay - 1 (${replicas} replicas, scale ${scale}): ${gaps.map(([k, g]) => `${k} ${(g * 100).toFixed(1)}%`).join(', ')}\n`)
      for (const [k, g] of gaps) expect(Math.abs(g), k).toBeLessThan(0.08)
      expect(sim.throughputRps).toBeCloseTo(rep.throughputRps!, 9)
    })
  }

  it('see a slower profile as slower', async () => {
    const predict = simulatePredictor(profile, 1)
    const a = await predict(constantLoad(2, 20, [[[512, 64, 0]]]), 1)
    const b = await predict(constantLoad(2, 20, [[[512, 64, 0]]]), 1.5)
    // At least the factor itself: slower steps also let batches grow.
    expect(b.tpotP50Ms! / a.tpotP50Ms!).toBeGreaterThan(1.49)
    expect(b.latencyP95Ms! / a.latencyP95Ms!).toBeGreaterThan(1.49)
  })
})
