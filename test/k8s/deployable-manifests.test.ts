import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'

import {loadCatalog} from '../../src/fleet/profiles/index.js'
import {makePlan} from '../../src/planner/plan.js'
import {droppedPoolsNote} from '../../src/planner/manifests.js'
import {planDocument, planFiles} from '../../src/planner/render.js'
import {parsePlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {ROOT} from '../helpers/cli.js'

/** Issue 13 item 6: manifests deployable as written (what vLLM loads, served name, extra args, namespace, a rollout that fits). */
const catalog = loadCatalog()

async function files(manifests: string): Promise<{files: Record<string, string>; doc: ReturnType<typeof planDocument>}> {
  const req = resolveRequest(parsePlanSpec(`phases: [{tasksPerDay: 5000}]\nseeds: 1\nmanifests: ${manifests}\n`), ROOT)
  const result = await makePlan(req, {catalog, fast: true})
  return {files: planFiles(result, catalog), doc: planDocument(result)}
}

const deployments = (f: Record<string, string>) =>
  Object.entries(f)
    .filter(([k]) => k.includes('/deployment-'))
    .map(([, t]) => parse(t))

describe('deployable manifests', () => {
  it('gives vLLM the Hugging Face repo, not the internal id, and serves the plan\'s name; replace-one rollout by default', async () => {
    const {files: f, doc} = await files('{namespace: llm}')
    const ds = deployments(f)
    expect(ds.length).toBeGreaterThan(0)
    for (const d of ds) {
      const args: string[] = d.spec.template.spec.containers[0].args
      const pool = doc.spec.phases[0].pools.find((p) => p.name === d.metadata.name)!
      expect(args[args.indexOf('--model') + 1]).toMatch(/^meta-llama\/Llama-3\.1-\d+B-Instruct$/)
      expect(args[args.indexOf('--served-model-name') + 1]).toBe(pool.model)
      // An exactly sized pool has no GPU for a surge pod: replace one replica at a time.
      expect(d.spec.strategy).toEqual({type: 'RollingUpdate', rollingUpdate: {maxSurge: 0, maxUnavailable: 1}})
      expect(pool.rollout).toEqual({strategy: 'replace-one', surgeGpus: 0})
    }
    expect(f['PLAN.md']).toContain('Rollouts: replace-one (maxSurge 0, maxUnavailable 1)')
    // No Namespace object unless asked.
    expect(Object.keys(f).some((k) => k.includes('/namespace-'))).toBe(false)
  }, 60_000)

  it('takes the source, served name and engine args from the request, writes the Namespace, and budgets surge GPUs', async () => {
    const {files: f, doc} = await files(
      "{namespace: llm, createNamespace: true, rollout: surge-one, engineArgs: ['--max-model-len', '8192'], models: {llama-3.1-70b: {source: /models/llama-70b, servedName: llama70, engineArgs: ['--kv-cache-dtype', 'fp8']}, llama-3.1-8b: {source: /models/llama-8b, servedName: llama8}}}",
    )
    const ns = Object.entries(f).find(([k]) => k.includes('/namespace-'))
    expect(ns).toBeDefined()
    expect(parse(ns![1])).toMatchObject({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'llm'}})
    for (const d of deployments(f)) {
      const args: string[] = d.spec.template.spec.containers[0].args
      const pool = doc.spec.phases[0].pools.find((p) => p.name === d.metadata.name)!
      const big = pool.model === 'llama-3.1-70b'
      expect(args[args.indexOf('--model') + 1]).toBe(big ? '/models/llama-70b' : '/models/llama-8b')
      expect(args[args.indexOf('--served-model-name') + 1]).toBe(big ? 'llama70' : 'llama8')
      expect(args.slice(args.indexOf('--max-model-len'), args.indexOf('--max-model-len') + 2)).toEqual(['--max-model-len', '8192'])
      if (big) expect(args.slice(-2)).toEqual(['--kv-cache-dtype', 'fp8'])
      expect(d.spec.strategy.rollingUpdate).toEqual({maxSurge: 1, maxUnavailable: 0})
      expect(pool.rollout).toEqual({strategy: 'surge-one', surgeGpus: pool.tensorParallel})
    }
    const surge = doc.spec.phases[0].pools.reduce((s, p) => s + p.tensorParallel, 0)
    expect(f['PLAN.md']).toContain(`needs ${surge} more GPU(s) free beyond the fleet above`)
  }, 60_000)

  it('refuses an engine argument with a line break and a createNamespace without a namespace, naming the field', () => {
    expect(() => parsePlanSpec("phases: [{tasksPerDay: 5}]\nmanifests: {engineArgs: [\"--x\\n--y\"]}\n")).toThrow(/manifests\.engineArgs/)
    expect(() => parsePlanSpec('phases: [{tasksPerDay: 5}]\nmanifests: {createNamespace: true}\n')).toThrow(/createNamespace/)
  })

  it('PLAN.md names the pools a phase drops and the --prune that removes them', () => {
    const lines = droppedPoolsNote([
      {name: 'phase-1', pools: ['a100-tp4 (A100-80GB)']},
      {name: 'phase-2', pools: ['h100-tp2 (H100-SXM)']},
      {name: 'phase-3', pools: ['h100-tp2 (H100-SXM)', 'l4 (L4)']},
    ])
    expect(lines).toEqual([
      'phase-2 no longer contains a100-tp4 (A100-80GB): `fleetcap apply-to-cluster PLAN --phase phase-2 --prune` deletes it after the phase\'s gates pass (`--dry-run --prune` shows what goes); without --prune it keeps running and billing.',
    ])
  })
})
