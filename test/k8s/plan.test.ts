import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'

import {InputError} from '../../src/errors.js'
import {requiredRole} from '../../src/k8s/rbac.js'
import {findPhase, loadPlan} from '../../src/plan/load.js'
import {ROOT} from '../helpers/cli.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'plans')

function copyFixture(name = 'two-phase'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-plan-')), name)
  cpSync(join(FIXTURES, name), dir, {recursive: true})
  return dir
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

describe('plan loader', () => {
  it('loads both fixtures: phases, pools and manifests in order', () => {
    const plan = loadPlan(join(FIXTURES, 'two-phase'))
    expect(plan.phases.map((p) => p.name)).toEqual(['phase-1', 'phase-2'])
    expect(plan.phases[0].objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`)).toEqual([
      'Deployment/llama-70b',
      'Deployment/llama-8b',
      'HorizontalPodAutoscaler/llama-8b',
      'PodDisruptionBudget/llama-70b',
      'PodDisruptionBudget/llama-8b',
    ])
    expect(plan.phases[1].pools.find((p) => p.name === 'llama-8b')?.minReplicas).toBe(4)
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('gives each plan its own digest, stable under YAML formatting and key order', () => {
    const a = loadPlan(join(FIXTURES, 'two-phase'))
    const b = loadPlan(join(FIXTURES, 'two-phase-revised'))
    expect(a.digest).not.toBe(b.digest)
    const dir = copyFixture()
    const file = join(dir, 'manifests', 'phase-1', 'deployment-llama-8b.yaml')
    const obj = parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    const reordered = Object.fromEntries(Object.entries(obj).reverse())
    writeFileSync(file, `# a comment\n${stringify(reordered, {indent: 4})}`)
    expect(loadPlan(dir).digest).toBe(a.digest)
    // Any change of content changes it (an annotation; renaming the Deployment away from its pool is refused).
    writeFileSync(file, stringify({...obj, metadata: {...(obj.metadata as object), annotations: {note: 'edited'}}}))
    expect(loadPlan(dir).digest).not.toBe(a.digest)
    writeFileSync(file, stringify({...obj, metadata: {...(obj.metadata as object), name: 'llama-8b-x'}}))
    expect(() => loadPlan(dir)).toThrow(/pool "llama-8b" of phase phase-1 has no Deployment named "llama-8b"/)
  })

  it('refuses a plan of another schema version, naming file, line and field', () => {
    const dir = copyFixture()
    const text = readFileSync(join(dir, 'plan.yaml'), 'utf8').replace('fleetcap.dev/v1', 'fleetcap.dev/v2')
    writeFileSync(join(dir, 'plan.yaml'), text)
    const e = errorOf(() => loadPlan(dir))
    expect(e.message).toContain('plan.yaml:1: apiVersion')
    expect(e.message).toContain('"fleetcap.dev/v2" is not supported')
  })

  it('names the field and line of an invalid value', () => {
    const dir = copyFixture()
    const text = readFileSync(join(dir, 'plan.yaml'), 'utf8').replace('tensorParallel: 2', 'tensorParallel: -2')
    writeFileSync(join(dir, 'plan.yaml'), text)
    const lines = text.split('\n')
    const line = lines.findIndex((l) => l.includes('tensorParallel: -2')) + 1
    const e = errorOf(() => loadPlan(dir))
    expect(e.message).toContain(`plan.yaml:${line}: spec.phases[0].pools[1].tensorParallel`)
  })

  it('rejects an unknown field (a typo) and minReplicas above maxReplicas', () => {
    const dir = copyFixture()
    const text = readFileSync(join(dir, 'plan.yaml'), 'utf8')
    writeFileSync(join(dir, 'plan.yaml'), text.replace('minReplicas: 2\n', 'minReplica: 2\n'))
    expect(errorOf(() => loadPlan(dir)).message).toMatch(/spec\.phases\[0\]\.pools\[0\].*minReplica/)
    writeFileSync(join(dir, 'plan.yaml'), text.replace('minReplicas: 2\n', 'minReplicas: 9\n'))
    expect(errorOf(() => loadPlan(dir)).message).toContain('minReplicas must not exceed maxReplicas')
  })

  it('names the manifest file of an object without a name', () => {
    const dir = copyFixture()
    writeFileSync(join(dir, 'manifests', 'phase-2', 'extra.yaml'), '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n')
    const e = errorOf(() => loadPlan(dir))
    expect(e.message).toContain(join('manifests', 'phase-2', 'extra.yaml'))
    expect(e.message).toContain('metadata.name')
  })

  it('lists the known phases for an unknown one', () => {
    const plan = loadPlan(join(FIXTURES, 'two-phase'))
    expect(() => findPhase(plan, 'phase-9')).toThrow(/unknown phase "phase-9"; known: phase-1, phase-2/)
  })

  it('builds a Role covering every kind of the plan and the executor own objects', () => {
    const role = requiredRole(loadPlan(join(FIXTURES, 'two-phase')), 'llm') as {rules: Array<{apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[]}>}
    const grants = (group: string, resource: string, verb: string): boolean =>
      role.rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb))
    expect(grants('apps', 'deployments', 'patch')).toBe(true)
    expect(grants('autoscaling', 'horizontalpodautoscalers', 'delete')).toBe(true)
    expect(grants('policy', 'poddisruptionbudgets', 'patch')).toBe(true)
    expect(grants('coordination.k8s.io', 'leases', 'update')).toBe(true)
    expect(grants('', 'secrets', 'get')).toBe(false)
    expect(role.rules.find((r) => r.resources.includes('leases') && r.verbs.includes('update'))?.resourceNames).toEqual(['fleetcap-apply-lock'])
  })
})
