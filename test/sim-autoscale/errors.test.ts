import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT, runCli} from '../helpers/cli.js'
import {loadScenarioFile} from '../../src/scenario/load.js'
import {simulate} from '../../src/pipeline/simulate.js'
import {genericScenario, job, listTasks} from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'fleetcap-sim-autoscale-'))

/** Write a scenario file and simulate it as the command does; returns the error message. */
async function errorOf(name: string, yaml: string): Promise<string> {
  const file = join(dir, name)
  writeFileSync(file, yaml)
  try {
    const loaded = await loadScenarioFile(file)
    await simulate(loaded.scenario, {baseDir: loaded.baseDir, scenarioFile: loaded.file, tasks: listTasks([job(0, 1, 1)])})
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('no error')
}

const hpa = (metric: string) => `
hpa:
  apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: p}
  spec:
    scaleTargetRef: {kind: Deployment, name: p}
    maxReplicas: 10
    metrics:
${metric}`

describe('autoscaling input errors name the file, the line and the field', () => {
  it('a typo inside an inline HPA points at its line in the scenario', async () => {
    const yaml = genericScenario({
      servers: 1,
      durationS: 60,
      autoscaler: hpa('    - type: Resource\n      resource:\n        name: cpu\n        target: {type: Utilization, averageUtilisation: 50}'),
    })
    const line = yaml.split('\n').findIndex((l) => l.includes('averageUtilisation')) + 1
    const msg = await errorOf('typo.yaml', yaml)
    expect(msg).toBe(`${join(dir, 'typo.yaml')}:${line}: fleet.pools[0].autoscaler.hpa.spec.metrics[0].resource.target.averageUtilisation: unknown field "averageUtilisation"`)
  })

  it('a field fleetcap cannot honour is refused with what it supports', async () => {
    const yaml = genericScenario({
      servers: 1,
      durationS: 60,
      autoscaler: hpa('    - type: Resource\n      resource:\n        name: nvidia.com/gpu\n        target: {type: Utilization, averageUtilization: 50}'),
    })
    const msg = await errorOf('gpu.yaml', yaml)
    expect(msg).toMatch(/gpu\.yaml:\d+: fleet\.pools\[0\]\.autoscaler\.hpa\.spec\.metrics\[0\]\.resource\.name: .*DCGM_FI_DEV_GPU_UTIL/)
  })

  it('an HPA in its own file is reported in that file', async () => {
    const yaml = genericScenario({servers: 1, durationS: 60, autoscaler: `hpa: {file: ${join(ROOT, 'test/fixtures/autoscale/hpa-typo.yaml')}}`})
    const msg = await errorOf('ref.yaml', yaml)
    expect(msg).toMatch(/hpa-typo\.yaml:16: spec\.metrics\[0\]\.resource\.target\.averageUtilisation: unknown field/)
    const missing = await errorOf('missing.yaml', genericScenario({servers: 1, durationS: 60, autoscaler: 'hpa: {file: nope.yaml}'}))
    expect(missing).toBe(`${join(dir, 'nope.yaml')}: file not found`)
  })

  it('one autoscaler per pool; a schedule goes with hpa or thresholds', async () => {
    const both = await errorOf('both.yaml', genericScenario({servers: 1, durationS: 60, autoscaler: `${hpa('    - type: External\n      external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 1}}')}\nkeda: {file: x.yaml}`}))
    expect(both).toMatch(/both\.yaml:\d+:\d+: fleet\.pools\.0\.autoscaler: give exactly one of hpa, keda or thresholds/)
  })

  it('a KEDA metadata value must be a string, as KEDA requires', async () => {
    const keda = `keda:
  apiVersion: keda.sh/v1alpha1
  kind: ScaledObject
  metadata: {name: p}
  spec:
    scaleTargetRef: {name: p}
    triggers:
    - type: redis
      metadata: {listName: q, listLength: 10}`
    const yaml = genericScenario({servers: 0, durationS: 60, autoscaler: keda})
    const line = yaml.split('\n').findIndex((l) => l.includes('listLength: 10')) + 1
    expect(await errorOf('keda.yaml', yaml)).toBe(
      `${join(dir, 'keda.yaml')}:${line}: fleet.pools[0].autoscaler.keda.spec.triggers[0].metadata.listLength: KEDA metadata values are strings: quote it ("10")`,
    )
  })

  it('failures name a pool of the scenario', async () => {
    const yaml = genericScenario({servers: 1, durationS: 60, extra: 'failures:\n  events:\n    - {type: replica-loss, pool: q, at: 10, recoveryS: 5}'})
    expect(await errorOf('fail.yaml', yaml)).toMatch(/failures\.events\[0\]\.pool: .*"q"/)
  })

  it('fleetcap simulate exits 2 with one line and no stack trace', () => {
    const file = join(dir, 'cli.yaml')
    writeFileSync(file, genericScenario({servers: 1, durationS: 60, autoscaler: 'thresholds: {minReplicas: 1, maxReplicas: 0, scaleUp: {step: 1, cooldownS: 0}, scaleDown: {step: 1, cooldownS: 0}, rules: [{metric: cpu}]}'}))
    const r = runCli(['simulate', file])
    expect(r.code).toBe(2)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stderr).toMatch(/cli\.yaml:\d+: fleet\.pools\[0\]\.autoscaler\.thresholds\.maxReplicas: /)
  })
})

describe('fleetcap simulate --out with autoscaling', () => {
  it('writes the autoscaling section, the replica columns and the summary; byte-identical across runs', () => {
    const out = (n: number) => join(dir, `out-${n}`)
    const file = join(ROOT, 'scenarios', 'failure-node-loss-drill.yaml')
    for (const n of [1, 2]) expect(runCli(['simulate', file, '--out', out(n)]).code).toBe(0)
    const read = (n: number, f: string) => readFileSync(join(out(n), f), 'utf8')
    expect(read(1, 'report.json')).toBe(read(2, 'report.json'))
    expect(read(1, 'timeseries.csv')).toBe(read(2, 'timeseries.csv'))
    const report = JSON.parse(read(1, 'report.json')) as {autoscaling: {failures: {kind: string}[]}}
    expect(report.autoscaling.failures.map((f) => f.kind)).toEqual(['node-loss', 'degraded-gpu', 'partition'])
    expect(read(1, 'timeseries.csv').split('\n')[0]).toContain('replicas_desired_a100,replicas_ready_a100,replicas_starting_a100,replicas_draining_a100,nodes_a100')
    expect(read(1, 'summary.txt')).toMatch(/failure 02:00:00 node-loss a100: 1 hit, 4 replicas lost/)
  })
})
