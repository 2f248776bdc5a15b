import {stringify} from 'yaml'

import {writeOutputDir} from '../util/atomic-write.js'
import type {ManifestObject} from './load.js'
import type {PlanDocument} from './schema.js'

/**
 * Write a plan directory: plan.yaml and, per phase, `manifests/<phase>/<kind>-<name>.yaml`, one object
 * per file. The whole directory appears at once (writeOutputDir) and never replaces a user's folder.
 */
export async function writePlanDir(dir: string, plan: PlanDocument, manifests: Record<string, ManifestObject[]>): Promise<void> {
  const files: Record<string, string> = {'plan.yaml': stringify(plan, {lineWidth: 0, aliasDuplicateObjects: false})}
  for (const phase of plan.spec.phases) {
    const folder = phase.manifests.replace(/\/?$/, '/')
    for (const object of manifests[phase.name] ?? []) {
      files[`${folder}${object.kind.toLowerCase()}-${object.metadata.name}.yaml`] = stringify(object, {lineWidth: 0, aliasDuplicateObjects: false})
    }
  }
  await writeOutputDir(dir, files)
}
