/**
 * An overloaded fleet is a normal what-if: its queue is bounded (LIMITS.queuedCalls), tasks arriving
 * to a full queue are rejected, and the report says "overloaded" with the figures; the run ends normally.
 */
import {describe, expect, it} from 'vitest'

import type {ServingProfile} from '../../src/fleet/types.js'
import {LIMITS} from '../../src/limits.js'
import {renderSummary} from '../../src/report/render.js'
import {parseScenario} from '../../src/scenario/load.js'
import {simulate} from '../../src/pipeline/simulate.js'
import {linearCost} from './helpers.js'

const profile = (gpu: string): ServingProfile => ({
  ...linearCost({a: 0.01, b: 0.00005, d: 0.0002, e: 1e-7, kv: 100_000, seqs: 64, tokens: 2048}),
  id: `test-model@${gpu}:tp1`,
  model: 'test-model',
  gpu,
  tensorParallel: 1,
  gpusPerReplica: 1,
  status: 'roofline',
  statusBasis: 'a test profile: linear step costs',
  band: {slow: 1, fast: 1, coverage: 0, basis: 'none'},
  coldStartS: 60,
  pricePerHourUsd: 2,
})

describe('overload', () => {
  it('tasksPerDay: 9e9 on one replica finishes with a bounded queue and says overloaded', async () => {
    const scenario = parseScenario(
      `
apiVersion: fleetcap.dev/v1
kind: Scenario
name: overload
seed: 1
durationS: 4
workload: {kind: synthetic, tasksPerDay: 9e9, tokens: {input: 200, output: 20}}
fleet:
  pools:
    - {name: gpu, gpu: A100-80GB, model: test-model, replicas: 1}
report: {sampleIntervalS: 1}
`,
      'overload.yaml',
    )
    const {report} = await simulate(scenario, {resolveProfile: (p) => profile(p.gpu)})
    // ~104,000 tasks/s for 4 s against a replica that serves a few hundred a second.
    expect(report.tasks.arrived).toBeGreaterThan(400_000)
    expect(report.queue.peakDepth).toBeLessThanOrEqual(LIMITS.queuedCalls)
    expect(report.overload).toBeDefined()
    const ov = report.overload!
    expect(ov.queueLimit).toBe(LIMITS.queuedCalls)
    expect(ov.firstAtS).toBeGreaterThan(0)
    expect(ov.firstAtS).toBeLessThan(4)
    expect(ov.rejectedTasks).toBe(report.tasks.rejectedOverload)
    expect(ov.rejectedTasks).toBeGreaterThan(report.tasks.arrived - LIMITS.queuedCalls - report.tasks.completed - 1000)
    expect(report.tasks.completed + report.tasks.failed).toBe(report.tasks.arrived)
    expect(renderSummary(report)).toMatch(/OVERLOADED: the fleet cannot keep up\. Its queue reached 100,000 waiting calls/)
  }, 120_000)

  it('a fleet that keeps up is not reported overloaded', async () => {
    const scenario = parseScenario(
      `
apiVersion: fleetcap.dev/v1
kind: Scenario
name: fine
seed: 1
durationS: 60
workload: {kind: synthetic, ratePerS: 2, tokens: {input: 200, output: 20}}
fleet:
  pools:
    - {name: gpu, gpu: A100-80GB, model: test-model, replicas: 1}
`,
      'fine.yaml',
    )
    const {report} = await simulate(scenario, {resolveProfile: (p) => profile(p.gpu)})
    expect(report.overload).toBeUndefined()
    expect(report.tasks.rejectedOverload).toBe(0)
    expect(renderSummary(report)).not.toMatch(/OVERLOADED/)
  })
})
