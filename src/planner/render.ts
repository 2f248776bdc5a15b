/**
 * A plan result rendered for its two readers: plan.yaml + manifests/ for the executor
 * (src/plan's format, loaded by src/plan/load.ts; plan-document.ts) and PLAN.md for people
 * (render-md.ts); this module puts the files together. Pure: same result, same bytes.
 */
import {stringify} from 'yaml'

import {type Catalog, getGpu, loadCatalog} from '../fleet/profiles/index.js'
import {FleetcapError, ExitCode} from '../errors.js'
import type {ManifestObject} from '../plan/load.js'
import {withPlanCharts} from './html-files.js'
import {withStrategyRoi} from './strategy-roi.js'
import {writeOutputDir} from '../util/atomic-write.js'
import {namespaceObject, phaseWorkloadRecord, poolObjects} from './manifests.js'
import {planDocument} from './plan-document.js'
import type {PlanResult} from './plan.js'
import {renderPlanMd} from './render-md.js'

export {autoscaledCostOf, costPerDay, planDocument, rejectedCheaper} from './plan-document.js'
export {renderPlanMd} from './render-md.js'

/** Manifests per phase. */
export function planManifests(result: PlanResult, catalog: Catalog = loadCatalog()): Record<string, ManifestObject[]> {
  const out: Record<string, ManifestObject[]> = {}
  for (const p of result.phases) {
    const ns = namespaceObject(result.request.manifests)
    out[p.name] = (ns ? [ns] : []).concat((p.pools ?? []).flatMap((pp) => {
      const gpu = getGpu(pp.pool.profile.gpu, catalog)
      return poolObjects({
        phase: p.name,
        pool: pp.pool.name,
        gpuProduct: gpu.productLabel ?? gpu.name,
        gpusPerReplica: pp.pool.profile.gpusPerReplica,
        model: pp.pool.profile.model,
        autoscaler: pp.autoscale.settings,
        config: result.request.manifests,
        gpuMemoryGiB: gpu.memoryGiB.value,
        prefixCache: result.request.prefixCache,
      })
    }))
  }
  return out
}

export function renderYaml(value: unknown): string {
  return stringify(value, {lineWidth: 0, aliasDuplicateObjects: false})
}

/** Every file of the plan directory, by relative path. */
export function planFiles(result: PlanResult, catalog?: Catalog): Record<string, string> {
  if (!result.ok) {
    throw new FleetcapError('nothing meets the SLOs within the limits; no plan written', {exit: ExitCode.SLO_NOT_MET})
  }
  const files: Record<string, string> = {'plan.yaml': renderYaml(planDocument(result)), 'PLAN.md': renderPlanMd(result)}
  // The verified workload's tasks, named in plan.yaml with their SHA-256 (src/plan/workload.ts).
  for (const p of result.phases) {
    const w = phaseWorkloadRecord(p, result.request.headroom)
    if (w) files[w.file] = w.text
  }
  for (const [phase, objects] of Object.entries(planManifests(result, catalog))) {
    for (const o of objects) files[`manifests/${phase}/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`] = renderYaml(o)
  }
  return files
}

/** Write the plan directory at once (nothing half-written; a user's non-empty folder is refused). */
export async function writePlan(dir: string, result: PlanResult, catalog?: Catalog, options: {strategyRoi?: boolean} = {}): Promise<string[]> {
  // PLAN.md's charts (charts/*.svg) and index.html come with it.
  let files = await withPlanCharts(planFiles(result, catalog), result)
  if (options.strategyRoi) files = await withStrategyRoi(files, result, catalog)
  await writeOutputDir(dir, files)
  return Object.keys(files).sort()
}

