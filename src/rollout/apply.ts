/**
 * A rollout: apply one phase of a plan to a cluster (or roll the last one back, or compare), gated
 * on the cluster's health (src/k8s's executor) and, with --load-test, on k6 at the phase's planned
 * load (./load-gate.ts). `fleetcap apply-to-cluster` is its flags and one call into runApplyToCluster.
 */
import {createInterface} from 'node:readline/promises'

import {FleetcapError, UnknownNameError} from '../errors.js'
import {checkNamespaceName, progressPrinter, renderApplyResult} from '../k8s/apply-report.js'
import {KubeClient} from '../k8s/client.js'
import {systemClock} from '../k8s/clock.js'
import {AllAppliedError, type ApplyResult, Executor, GateFailedError} from '../k8s/executor.js'
import {holderIdentity} from '../k8s/lock.js'
import {requiredRole, requiredRoleYaml} from '../k8s/rbac.js'
import {loadPlan} from '../plan/load.js'
import type {ApplyToClusterFlags} from './flags.js'
import {loadTestCheck} from './load-gate.js'

/** What the command prints: `say` on stdout (the result), `note` on stderr (progress). */
export interface RolloutIo {
  say: (line: string) => void
  note: (line: string) => void
}

export type ApplyToClusterResult = ApplyResult | {role: object} | {nothingToDo: true; message: string}

export async function runApplyToCluster(planDir: string, flags: ApplyToClusterFlags, io: RolloutIo): Promise<ApplyToClusterResult> {
  const plan = loadPlan(planDir)
  // A phase the plan does not have is the user's typo: say so before printing or contacting anything.
  const phaseNames = plan.document.spec.phases.map((p) => p.name)
  if (flags.phase !== undefined && !phaseNames.includes(flags.phase)) throw new UnknownNameError('phase', flags.phase, phaseNames, {field: '--phase'})
  if (flags['print-rbac']) {
    const namespace = flags.namespace ?? 'default'
    io.say(requiredRoleYaml(plan, namespace).trimEnd())
    return {role: requiredRole(plan, namespace)}
  }
  checkNamespaceName(flags.namespace)
  const client = KubeClient.load({kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace, retry: {budgetMs: flags['retry-for'] * 1000}})
  client.onRetry = (e) =>
    io.note(`  API: ${e.what}: ${e.reason}; retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}, ${Math.round(e.elapsedMs / 1000)} of ${Math.round(e.budgetMs / 1000)} s)`)
  const t = client.target
  const changes = !flags['dry-run'] && !flags.diff
  const verb = flags.rollback ? 'roll back the last phase of' : changes ? `apply ${flags.phase ? `phase ${flags.phase}` : 'the next phase'} of` : 'compare'
  io.note(`Target: cluster ${t.cluster} at ${t.server}, context ${t.context}, namespace ${t.namespace}`)
  if (changes) await confirm(`${verb} plan ${plan.document.metadata.name} on cluster ${t.cluster} (context ${t.context}, namespace ${t.namespace})?`, flags.yes)

  const controller = new AbortController()
  let current: Executor | undefined = undefined
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      io.note(
        `${sig}: already stopping, rolling back; please wait${current?.rollingBack ? `. If this process is killed now, the namespace is left part-way through the rollback; finish it with: ${current.finishRollbackCommand()}` : ''}`,
      )
      return
    }
    io.note(`${sig}: stopping; rolling back what this run changed`)
    controller.abort(new FleetcapError(`interrupted by ${sig}`))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const report = (r: ApplyResult, diff: boolean): void => {
    for (const line of renderApplyResult(r, diff)) io.say(line)
  }
  const executor = new Executor({
    client,
    plan,
    clock: systemClock,
    holder: holderIdentity(),
    timeoutMs: flags.timeout * 1000,
    gpuPendingGraceMs: flags['gpu-pending-grace'] * 1000,
    lockWaitMs: flags['lock-wait'] * 1000,
    signal: controller.signal,
    afterGates: flags['load-test'] && changes && !flags.rollback ? loadTestCheck(plan, flags, io.note) : undefined,
    onProgress: progressPrinter(io.note),
  })
  current = executor
  try {
    const result = flags.rollback
      ? await executor.rollback()
      : await executor.apply({
          phase: flags.phase,
          mode: flags.diff ? 'diff' : flags['dry-run'] ? 'dry-run' : 'apply',
          forceConflicts: flags['force-conflicts'],
          forcePlan: flags.force,
          prune: flags.prune,
        })
    report(result, flags.diff)
    return result
  } catch (error) {
    if (error instanceof GateFailedError) report(error.result, false)
    if (error instanceof AllAppliedError) {
      io.say(error.message)
      return {nothingToDo: true, message: error.message}
    }
    throw error
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await client.close()
  }
}

/** Asks on a terminal; refuses without one unless --yes. */
async function confirm(question: string, yes: boolean): Promise<void> {
  if (yes) return
  if (!process.stdin.isTTY) {
    throw new FleetcapError('refusing to change the cluster without confirmation in a non-interactive run', {hint: 'pass --yes (or try --dry-run first)'})
  }
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await rl.question(`${question} [y/N] `)
    if (!/^y(es)?$/i.test(answer.trim())) throw new FleetcapError('not confirmed; nothing changed')
  } finally {
    rl.close()
  }
}
