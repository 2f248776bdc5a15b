/**
 * fleetcap's objects as an ApplySet (KEP-3659, the labels and annotations `kubectl apply --prune
 * --applyset` uses): the state ConfigMap `fleetcap-state` is the parent, every object fleetcap applies
 * carries `applyset.kubernetes.io/part-of: <id>`, so pruning lists exactly what fleetcap applied in
 * this namespace and never touches an object it does not own.
 */
import {createHash} from 'node:crypto'

export const APPLYSET_PART_OF = 'applyset.kubernetes.io/part-of'
export const APPLYSET_ID = 'applyset.kubernetes.io/id'
export const APPLYSET_TOOLING = 'applyset.kubernetes.io/tooling'
export const APPLYSET_GROUP_KINDS = 'applyset.kubernetes.io/contains-group-kinds'
export const TOOLING = 'fleetcap/v1'

/** The KEP's id: base64url (no padding) of sha256("<name>.<namespace>.<kind>.<group>") of the parent, in `applyset-…-v1`. */
export function applySetId(parentName: string, namespace: string, parentKind = 'ConfigMap', parentGroup = ''): string {
  const hash = createHash('sha256').update(`${parentName}.${namespace}.${parentKind}.${parentGroup}`).digest('base64url')
  return `applyset-${hash}-v1`
}

/** `Kind.group` as the KEP writes group-kinds (core group: `Kind`). */
export function groupKind(apiVersion: string, kind: string): string {
  return apiVersion.includes('/') ? `${kind}.${apiVersion.split('/')[0]}` : kind
}

/** The kinds fleetcap prunes: what its plans contain (Namespaces are never pruned). */
export const PRUNABLE: ReadonlyArray<{apiVersion: string; kind: string}> = [
  {apiVersion: 'apps/v1', kind: 'Deployment'},
  {apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler'},
  {apiVersion: 'policy/v1', kind: 'PodDisruptionBudget'},
  {apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject'},
]
