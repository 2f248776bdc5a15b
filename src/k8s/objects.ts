import type {KubeObject} from './client.js'

/** Metadata the API server owns; never part of what we compare, snapshot or re-apply. */
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']
/** Annotations controllers write (a rollout bumps it): not the user's intent. */
const CONTROLLER_ANNOTATIONS = ['deployment.kubernetes.io/revision']

/**
 * The user-owned part of an object: no status, no server metadata, no controller annotations.
 * What a snapshot keeps and what the diff compares.
 */
export function intent(object: KubeObject): KubeObject {
  const copy = structuredClone(object) as KubeObject
  delete copy.status
  for (const key of SERVER_METADATA) delete copy.metadata[key]
  const annotations = copy.metadata.annotations
  if (annotations) {
    for (const key of CONTROLLER_ANNOTATIONS) delete annotations[key]
    if (Object.keys(annotations).length === 0) delete copy.metadata.annotations
  }
  return copy
}

/** One changed field between two objects: `path` like `spec.template.spec.containers[0].image`. */
export interface FieldChange {
  path: string
  before?: unknown
  after?: unknown
}

/** Field-by-field differences of two JSON values (arrays compared by index). */
export function diffFields(before: unknown, after: unknown, path = ''): FieldChange[] {
  // A side that is missing compares as empty, so a new or removed object lists its leaf fields.
  if (before === undefined && (isPlainObject(after) || Array.isArray(after))) before = Array.isArray(after) ? [] : {}
  if (after === undefined && (isPlainObject(before) || Array.isArray(before))) after = Array.isArray(before) ? [] : {}
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    return keys.flatMap((k) => diffFields(before[k], after[k], path ? `${path}.${k}` : k))
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length)
    const out: FieldChange[] = []
    for (let i = 0; i < n; i++) out.push(...diffFields(before[i], after[i], `${path}[${i}]`))
    return out
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return []
  const change: FieldChange = {path}
  if (before !== undefined) change.before = before
  if (after !== undefined) change.after = after
  return [change]
}

export function formatChange(c: FieldChange): string {
  const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))
  if (c.before === undefined) return `+ ${c.path}: ${show(c.after)}`
  if (c.after === undefined) return `- ${c.path}: ${show(c.before)}`
  return `~ ${c.path}: ${show(c.before)} -> ${show(c.after)}`
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
