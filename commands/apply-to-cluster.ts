import {hostname} from 'node:os'
import {createInterface} from 'node:readline/promises'

import {Args, Flags} from '@oclif/core'

import {FleetcapCommand} from '../src/cli/base-command.js'
import {FleetcapError} from '../src/errors.js'
import {KubeClient} from '../src/k8s/client.js'
import {systemClock} from '../src/k8s/clock.js'
import {type ApplyResult, Executor, GateFailedError, type ProgressEvent} from '../src/k8s/executor.js'
import {formatGateStatus} from '../src/k8s/gates.js'
import {formatChange} from '../src/k8s/objects.js'
import {requiredRole, requiredRoleYaml} from '../src/k8s/rbac.js'
import {loadPlan} from '../src/plan/load.js'

export default class ApplyToCluster extends FleetcapCommand<typeof ApplyToCluster> {
  static override summary = 'Apply one phase of a capacity plan to a Kubernetes cluster, gated, with rollback.'

  static override description = `Applies the manifests of one phase (default: the next one) with server-side apply (field manager "fleetcap"), then waits for the gates: Deployments rolled out, pods Ready, HPAs accepted, no pod Pending for lack of GPUs. A failed gate or an interrupt (Ctrl-C, SIGTERM) restores the objects as they were before the phase. History, the plan digest and the pre-apply snapshots are kept in the cluster (ConfigMap fleetcap-state), and a Lease (fleetcap-apply-lock) stops two applies at once. Objects an HPA scales never get spec.replicas from fleetcap.

Exit codes: 0 applied (or nothing to do); 2 bad input, a field conflict, a different plan in the namespace, or a refused change (no --yes); 4 cluster unreachable or credentials refused; 5 a gate failed or the run was interrupted, and the phase was rolled back.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> out/plan --dry-run',
    '<%= config.bin %> <%= command.id %> out/plan --diff --phase phase-2',
    '<%= config.bin %> <%= command.id %> out/plan --context prod --namespace llm --yes',
    '<%= config.bin %> <%= command.id %> out/plan --rollback --yes',
    '<%= config.bin %> <%= command.id %> out/plan --print-rbac --namespace llm',
  ]

  static override args = {
    plan: Args.directory({description: 'plan directory (plan.yaml + manifests/<phase>/)', required: true}),
  }

  static override flags = {
    phase: Flags.string({description: 'phase to apply (default: the first one not applied yet)'}),
    kubeconfig: Flags.string({description: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)'}),
    context: Flags.string({description: 'kubeconfig context (default: its current context)'}),
    namespace: Flags.string({char: 'n', description: "namespace (default: the context's, else default)"}),
    'dry-run': Flags.boolean({description: 'server-side dry run: show what would change against the live objects, change nothing', exclusive: ['diff', 'rollback']}),
    diff: Flags.boolean({description: 'show the field-by-field diff against the live objects (server-side dry run), change nothing', exclusive: ['dry-run', 'rollback']}),
    rollback: Flags.boolean({description: 'restore the objects as they were before the last applied phase', exclusive: ['phase']}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (required when not run from a terminal)'}),
    force: Flags.boolean({description: 'apply although the namespace holds the history of a different plan'}),
    'force-conflicts': Flags.boolean({description: 'take over fields that other field managers own'}),
    'print-rbac': Flags.boolean({description: 'print the least-privilege Role this plan needs in --namespace, and exit'}),
    timeout: Flags.integer({description: 'seconds to wait for the gates', default: 600, min: 1}),
    'gpu-pending-grace': Flags.integer({description: 'seconds a pod may stay Pending for lack of GPUs before the gate fails', default: 60, min: 0}),
    'lock-wait': Flags.integer({description: 'seconds to wait when another apply holds the lock (0: fail at once)', default: 0, min: 0}),
  }

  async run(): Promise<ApplyResult | {role: object}> {
    const {flags, args} = this
    const plan = loadPlan(args.plan)
    if (flags['print-rbac']) {
      const namespace = flags.namespace ?? 'default'
      this.say(requiredRoleYaml(plan, namespace).trimEnd())
      return {role: requiredRole(plan, namespace)}
    }
    const client = KubeClient.load({kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace})
    const t = client.target
    const changes = !flags['dry-run'] && !flags.diff
    const verb = flags.rollback ? 'roll back the last phase of' : changes ? `apply ${flags.phase ? `phase ${flags.phase}` : 'the next phase'} of` : 'compare'
    this.note(`Target: cluster ${t.cluster} at ${t.server}, context ${t.context}, namespace ${t.namespace}`)
    if (changes) await this.confirm(`${verb} plan ${plan.document.metadata.name} on cluster ${t.cluster} (context ${t.context}, namespace ${t.namespace})?`)

    const controller = new AbortController()
    const onSignal = (sig: NodeJS.Signals): void => {
      if (controller.signal.aborted) return this.note(`${sig}: already stopping, rolling back; please wait`)
      this.note(`${sig}: stopping; rolling back what this run changed`)
      controller.abort(new FleetcapError(`interrupted by ${sig}`))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    let lastGate = ''
    const executor = new Executor({
      client,
      plan,
      clock: systemClock,
      holder: `${hostname()}/pid-${process.pid}`,
      timeoutMs: flags.timeout * 1000,
      gpuPendingGraceMs: flags['gpu-pending-grace'] * 1000,
      lockWaitMs: flags['lock-wait'] * 1000,
      signal: controller.signal,
      onProgress: (e: ProgressEvent) => {
        if (e.type === 'step') this.note(e.message)
        else if (e.type === 'object') this.note(`  ${e.ref.kind}/${e.ref.name}: ${e.action}`)
        else {
          const line = formatGateStatus(e.status)
          if (line !== lastGate) this.note(`  gates: ${line}`)
          lastGate = line
        }
      },
    })
    try {
      const result = flags.rollback
        ? await executor.rollback()
        : await executor.apply({phase: flags.phase, mode: flags.diff ? 'diff' : flags['dry-run'] ? 'dry-run' : 'apply', forceConflicts: flags['force-conflicts'], forcePlan: flags.force})
      this.report(result, flags.diff)
      return result
    } catch (error) {
      if (error instanceof GateFailedError) this.report(error.result, false)
      throw error
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await client.close()
    }
  }

  private report(r: ApplyResult, diff: boolean): void {
    const what = r.mode === 'rollback' ? 'rolled back' : r.mode === 'apply' ? (r.rolledBack ? 'rolled back' : 'applied') : 'would change'
    this.say(`Phase ${r.phase} of plan ${r.plan.name} (${r.plan.digest.slice(0, 19)}…), ${what}:`)
    for (const o of r.objects) {
      const hpa = o.replicasOwnedBy ? ` (spec.replicas left to ${o.replicasOwnedBy})` : ''
      this.say(`  ${o.ref.kind}/${o.ref.name}: ${o.action}${o.changes.length > 0 && o.action !== 'create' ? `, ${o.changes.length} field(s)` : ''}${hpa}`)
      if (diff && o.action !== 'unchanged') for (const c of o.changes) this.say(`      ${formatChange(c)}`)
    }
    if (r.mode !== 'rollback' && r.changed === 0) this.say('  no changes')
    if (r.gates) this.say(`Gates ${r.gates.passed ? 'passed' : 'failed'} in ${(r.gates.elapsedMs / 1000).toFixed(1)} s: ${formatGateStatus(r.gates.status)}`)
    this.say(`${r.requests.total} API requests in ${(r.elapsedMs / 1000).toFixed(1)} s`)
  }

  private async confirm(question: string): Promise<void> {
    if (this.flags.yes) return
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
}
