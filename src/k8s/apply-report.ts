import {InputError} from '../errors.js'
import type {ApplyResult, ProgressEvent} from './executor-types.js'
import {formatGateStatus} from './gates.js'
import {formatChange} from './objects.js'

/** What `fleetcap apply-to-cluster` prints: the result of a phase, and the executor's progress as it runs. */

/** The result of an apply, dry run, diff or rollback, one line each (with --diff, every changed field). */
export function renderApplyResult(r: ApplyResult, diff: boolean): string[] {
  const lines: string[] = []
  const what = r.mode === 'rollback' ? 'rolled back' : r.mode === 'apply' ? (r.rolledBack ? 'rolled back' : 'applied') : 'would change'
  lines.push(`Phase ${r.phase} of plan ${r.plan.name} (${r.plan.digest.slice(0, 19)}…), ${what}:`)
  for (const o of r.objects) {
    const hpa = o.replicasOwnedBy ? ` (spec.replicas left to ${o.replicasOwnedBy})` : ''
    if (o.action === 'orphan') {
      lines.push(`  ${o.ref.kind}/${o.ref.name}: not in phase ${r.phase}, left running (--prune deletes it)`)
      continue
    }
    // After a failed apply the list is what the phase did and the rollback undid, not what remains.
    const undone: Record<string, string> = {create: 'created, then deleted by the rollback', update: 'updated, then restored by the rollback', prune: 'pruned, then restored by the rollback'}
    const action = r.mode === 'apply' && r.rolledBack ? (undone[o.action] ?? o.action) : o.action === 'prune' ? 'prune (delete: not in this phase)' : o.action
    lines.push(`  ${o.ref.kind}/${o.ref.name}: ${action}${o.changes.length > 0 && o.action !== 'create' ? `, ${o.changes.length} field(s)` : ''}${hpa}`)
    if (diff && o.action !== 'unchanged') for (const c of o.changes) lines.push(`      ${formatChange(c)}`)
  }
  if (r.mode !== 'rollback' && r.changed === 0) lines.push('  no changes')
  if (r.gates) lines.push(`Gates ${r.gates.passed ? 'passed' : 'failed'} in ${(r.gates.elapsedMs / 1000).toFixed(1)} s: ${formatGateStatus(r.gates.status)}`)
  if (r.check)
    lines.push(
      `${r.check.name[0].toUpperCase()}${r.check.name.slice(1)} ${r.check.passed ? 'passed' : 'failed'}: ${r.check.reason}${typeof r.check.record?.summaryFile === 'string' ? ` (k6 summary: ${r.check.record.summaryFile})` : ''}`,
    )
  lines.push(`${r.requests.total} API requests in ${(r.elapsedMs / 1000).toFixed(1)} s`)
  return lines
}

/** The executor's progress as stderr lines; a gate status is printed only when it changed. */
export function progressPrinter(note: (line: string) => void): (e: ProgressEvent) => void {
  let lastGate = ''
  return (e) => {
    if (e.type === 'step') note(e.message)
    else if (e.type === 'object') note(`  ${e.ref.kind}/${e.ref.name}: ${e.action}`)
    else {
      const line = formatGateStatus(e.status)
      if (line !== lastGate) note(`  gates: ${line}`)
      lastGate = line
    }
  }
}

/** A namespace the API server would refuse is the user's typo: said before connecting. */
export function checkNamespaceName(namespace: string | undefined): void {
  if (namespace !== undefined && !(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) && namespace.length <= 63)) {
    throw new InputError({field: '--namespace'}, `"${namespace}" is not a namespace name (lowercase letters, digits and "-", at most 63, starting and ending with a letter or digit)`)
  }
}
