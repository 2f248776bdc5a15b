/**
 * The planner's manifests submitted to a real Kubernetes API server (the loopback control plane of
 * scripts/k8s/control-plane.sh) with server-side dry-run: the server validates every field against
 * its OpenAPI schema and admission rules, and persists nothing.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadCatalog} from '../../src/fleet/profiles/index.js'
import type {KubeObject} from '../../src/k8s/client.js'
import {loadPlan} from '../../src/plan/load.js'
import {makePlan} from '../../src/planner/plan.js'
import {writePlan} from '../../src/planner/render.js'
import {parsePlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {ControlPlane} from '../k8s/control-plane.js'
import {ROOT, runCli} from '../helpers/cli.js'

let cp: ControlPlane
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-k8s-'))

beforeAll(() => {
  cp = ControlPlane.start()
}, 180_000)

afterAll(() => {
  cp?.stop()
  rmSync(tmp, {recursive: true, force: true})
})

describe('manifests against a real API server', () => {
  it('pass server-side dry-run apply, every object of every phase', async () => {
    const spec = parsePlanSpec('phases: [{tasksPerDay: 500}, {tasksPerDay: 50000}]\nseeds: 1\nmanifests: {namespace: plan-dry-run, labels: {team: inference}}\n')
    const result = await makePlan(resolveRequest(spec, ROOT), {catalog: loadCatalog()})
    const dir = join(tmp, 'plan')
    await writePlan(dir, result)
    const plan = loadPlan(dir)
    const client = await cp.namespace('plan-dry-run')
    let applied = 0
    const kinds = new Set<string>()
    for (const phase of plan.phases) {
      for (const {object, source} of phase.objects) {
        const back = await client.apply(object as KubeObject, {manager: 'fleetcap-test', dryRun: true}).catch((e: Error) => {
          throw new Error(`${source}: ${e.message}`)
        })
        expect(back.metadata.name).toBe(object.metadata.name)
        kinds.add(object.kind)
        applied++
      }
    }
    expect(applied).toBe(plan.phases.reduce((a, p) => a + p.objects.length, 0))
    // The 50,000/day phase autoscales; every kind the planner writes went through the API server.
    expect([...kinds].sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'])
    // Dry-run persisted nothing.
    expect(await client.get({apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'plan-dry-run', name: plan.phases[0].pools[0].name})).toBeFalsy()
  }, 120_000)

  it('apply-to-cluster reads the plan and dry-runs its first phase', async () => {
    const spec = parsePlanSpec('phases: [{tasksPerDay: 500}]\nseeds: 1\n')
    const dir = join(tmp, 'plan-cli')
    const made = await makePlan(resolveRequest(spec, ROOT), {catalog: loadCatalog()})
    await writePlan(dir, made)
    await cp.namespace('plan-cli')
    const r = runCli(['apply-to-cluster', dir, '--kubeconfig', cp.kubeconfig, '-n', 'plan-cli', '--dry-run'])
    expect(r.stderr + r.stdout).not.toMatch(/Error/)
    expect(r.code).toBe(0)
    // The dry run names the Deployment of the pool the plan chose.
    const pool = made.phases[0].pools?.[0]?.pool.name
    expect(pool).toBeDefined()
    expect(r.stdout).toContain(`Deployment/${pool}`)
  }, 120_000)
})
