import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {poolManifests} from '../../src/k8s/manifests.js'
import type {ManifestObject} from '../../src/plan/load.js'
import {writePlanDir} from '../../src/plan/write.js'

export interface PoolSpec {
  name: string
  product: string
  gpus: number
  min: number
  max: number
}

/** Write a small plan (one pool list per phase) to a temp dir, in the planner's format. */
export async function writeTestPlan(name: string, phases: Array<{name: string; pools: PoolSpec[]}>): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'fleetcap-testplan-')), name)
  const e = {p50S: 1, p95S: 2, p99S: 3, utilization: 0.5, costPerDayUsd: 1}
  const doc = {
    apiVersion: 'fleetcap.dev/v1' as const,
    kind: 'CapacityPlan' as const,
    metadata: {name, createdFrom: `sha256:${'ab'.repeat(32)}`},
    spec: {
      slo: {e2eP95S: 5},
      phases: phases.map((p, i) => ({
        name: p.name,
        trigger: {tasksPerDay: 1000 * (i + 1)},
        pools: p.pools.map((q) => ({name: q.name, gpu: q.product, model: 'test-model', tensorParallel: q.gpus, minReplicas: q.min, maxReplicas: q.max, expected: e})),
        manifests: `manifests/${p.name}/`,
      })),
    },
  }
  const manifests: Record<string, ManifestObject[]> = {}
  for (const p of phases) {
    manifests[p.name] = p.pools.flatMap((q) =>
      poolManifests({pool: q.name, gpuProduct: q.product, gpusPerReplica: q.gpus, image: 'registry.k8s.io/pause:3.10', minReplicas: q.min, maxReplicas: q.max, autoscale: q.min !== q.max}),
    )
  }
  await writePlanDir(dir, doc, manifests)
  return dir
}
