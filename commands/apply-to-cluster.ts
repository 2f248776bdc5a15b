import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline/promises'

import {Args, Flags} from '@oclif/core'

import {FleetcapCommand} from '../src/cli/base-command.js'
import {FleetcapError, InputError, UnknownNameError} from '../src/errors.js'
import {KubeClient} from '../src/k8s/client.js'
import {systemClock} from '../src/k8s/clock.js'
import {AllAppliedError, type ApplyResult, Executor, GateFailedError, type PhaseCheck} from '../src/k8s/executor.js'
import {holderIdentity} from '../src/k8s/lock.js'
import {findK6} from '../src/k6/binary.js'
import {parseHeaderFlags} from '../src/k6/flags.js'
import {runPhaseLoadGate} from '../src/k6/index.js'
import {tryParseDuration} from '../src/util/duration.js'
import {checkNamespaceName, progressPrinter, renderApplyResult} from '../src/k8s/apply-report.js'
import {requiredRole, requiredRoleYaml} from '../src/k8s/rbac.js'
import {type LoadedPlan, loadPlan} from '../src/plan/load.js'
import {readPhaseWorkloadTasks} from '../src/plan/workload.js'

export default class ApplyToCluster extends FleetcapCommand<typeof ApplyToCluster> {
  static override summary = 'Apply one phase of a capacity plan to a Kubernetes cluster, gated, with rollback.'

  static override description = `Applies the manifests of one phase (default: the next one) with server-side apply (field manager "fleetcap"), then waits for the gates: Deployments rolled out, pods Ready, HPAs accepted, no pod Pending for lack of GPUs. A failed gate or an interrupt (Ctrl-C, SIGTERM) restores the objects as they were before the phase. History, the plan digest and the pre-apply snapshots are kept in the cluster (ConfigMap fleetcap-state), and a Lease (fleetcap-apply-lock) stops two applies at once. Objects an HPA scales never get spec.replicas from fleetcap.

With --load-test, k6 then replays the workload the phase was verified on (plan.yaml's spec.phases[].workload and workload/<phase>.json: the peak shape, calls per task with think times, the token mix; a plan without one gets its trigger's tasks per day / 86,400 × --load-test-peak-factor requests of --load-test-tokens; --load-test-rate sets a constant rate) against --load-test-url, with the plan's SLO (p95S, p99S, TTFT and TPOT objectives, errorRateMax, else --load-test-error-rate-max) as thresholds; a failed threshold, an unreachable endpoint or a k6 failure fails the phase like a gate, and it is rolled back. The k6 script and summary stay in --load-test-out (default <plan>/load-tests/<phase>/), and the measurement (summary file and SHA-256, latency, error rate, failed thresholds) is kept with the phase's apply record in the cluster. k6 is found as \`fleetcap k6 run\` finds it (docs/k6.md).

API errors after the first contact (connection refused or reset, HTTP 5xx, 429 with Retry-After) are retried with exponential backoff and jitter for up to --retry-for seconds, during apply, gates and rollback, so an API server restart is ridden out. A run that crashed leaves its Lease: a re-run on the same host takes it over at once when the holder's process is gone (elsewhere the lease expires in 15 s).

Exit codes: 0 applied, or nothing to do (every phase already applied); 2 bad input (plan, flags, namespace name), a field conflict, a different plan in the namespace, or a refused change (no --yes); 4 cluster unreachable (past --retry-for), credentials or permissions refused, or the apply lock lost to another run (the phase is applied but not recorded: re-run); 5 a gate or the load test failed, or the run was interrupted, and the phase was rolled back, or an earlier run's rollback was interrupted (finish it with --rollback).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> out/plan --dry-run',
    '<%= config.bin %> <%= command.id %> out/plan --diff --phase phase-2',
    '<%= config.bin %> <%= command.id %> out/plan --context prod --namespace llm --yes',
    '<%= config.bin %> <%= command.id %> out/plan --rollback --yes',
    '<%= config.bin %> <%= command.id %> out/plan --print-rbac --namespace llm',
    '<%= config.bin %> <%= command.id %> out/plan --yes --load-test --load-test-url http://llm.example:8000 --load-test-duration 2m',
    '<%= config.bin %> <%= command.id %> out/plan --phase phase-2 --dry-run --prune',
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
    prune: Flags.boolean({description: 'after the gates pass, delete what fleetcap applied in this namespace that the phase no longer contains (its ApplySet: objects labelled applyset.kubernetes.io/part-of by fleetcap; nothing else is touched); --dry-run/--diff show it'}),
    'print-rbac': Flags.boolean({description: 'print the least-privilege Role this plan needs in --namespace, and exit'}),
    timeout: Flags.integer({description: 'seconds to wait for the gates', default: 600, min: 1}),
    'gpu-pending-grace': Flags.integer({description: 'seconds a pod may stay Pending for lack of GPUs before the gate fails', default: 60, min: 0}),
    'retry-for': Flags.integer({description: 'seconds of API errors in a row (connection refused/reset, 5xx, 429) to ride out with backoff before giving up', default: 60, min: 0}),
    'lock-wait': Flags.integer({description: 'seconds to wait when another apply holds the lock (0: fail at once)', default: 0, min: 0}),
    'load-test': Flags.boolean({description: 'after the gates, run k6 at the phase\'s planned load; failed thresholds fail the phase (rolled back)', helpGroup: 'LOAD TEST'}),
    'load-test-url': Flags.string({description: 'base URL of the fleet\'s OpenAI-compatible endpoint', dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
    'load-test-model': Flags.string({description: 'model name to request (default: the phase\'s first pool\'s model)', dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
    'load-test-api': Flags.option({options: ['chat', 'completions'] as const, default: 'chat', description: 'endpoint API', helpGroup: 'LOAD TEST'})(),
    'load-test-header': Flags.string({description: 'request header "Name: value" (repeatable)', multiple: true, dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
    'load-test-duration': Flags.string({description: 'length of the load test (a duration)', default: '60s', helpGroup: 'LOAD TEST'}),
    'load-test-rate': Flags.string({description: 'requests per second (default: the phase\'s tasks per day / 86,400 × --load-test-peak-factor)', dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
    'load-test-peak-factor': Flags.string({description: 'peak-to-mean ratio applied to the daily load of a phase that records no verified workload (default 1)', helpGroup: 'LOAD TEST'}),
    'load-test-tokens': Flags.string({description: 'token mix of a phase that records no verified workload, INPUT:OUTPUT pairs, comma-separated (default 1024:256)', helpGroup: 'LOAD TEST'}),
    'load-test-error-rate-max': Flags.string({description: 'largest share of failed requests, when the plan\'s slo sets no errorRateMax', default: '0.01', helpGroup: 'LOAD TEST'}),
    'load-test-out': Flags.string({description: 'directory for the k6 script and summary (default: <plan>/load-tests/<phase>)', dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
    k6: Flags.string({description: 'k6 binary (default: $FLEETCAP_K6, the fleetcap cache, PATH)', dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
  }

  async run(): Promise<ApplyResult | {role: object} | {nothingToDo: true; message: string}> {
    const {flags, args} = this
    const plan = loadPlan(args.plan)
    // A phase the plan does not have is the user's typo: say so before printing or contacting anything.
    const phaseNames = plan.document.spec.phases.map((p) => p.name)
    if (flags.phase !== undefined && !phaseNames.includes(flags.phase)) throw new UnknownNameError('phase', flags.phase, phaseNames, {field: '--phase'})
    if (flags['print-rbac']) {
      const namespace = flags.namespace ?? 'default'
      this.say(requiredRoleYaml(plan, namespace).trimEnd())
      return {role: requiredRole(plan, namespace)}
    }
    checkNamespaceName(flags.namespace)
    const client = KubeClient.load({kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace, retry: {budgetMs: flags['retry-for'] * 1000}})
    client.onRetry = (e) => this.note(`  API: ${e.what}: ${e.reason}; retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}, ${Math.round(e.elapsedMs / 1000)} of ${Math.round(e.budgetMs / 1000)} s)`)
    const t = client.target
    const changes = !flags['dry-run'] && !flags.diff
    const verb = flags.rollback ? 'roll back the last phase of' : changes ? `apply ${flags.phase ? `phase ${flags.phase}` : 'the next phase'} of` : 'compare'
    this.note(`Target: cluster ${t.cluster} at ${t.server}, context ${t.context}, namespace ${t.namespace}`)
    if (changes) await this.confirm(`${verb} plan ${plan.document.metadata.name} on cluster ${t.cluster} (context ${t.context}, namespace ${t.namespace})?`)

    const controller = new AbortController()
    let current: Executor | undefined = undefined
    const onSignal = (sig: NodeJS.Signals): void => {
      if (controller.signal.aborted) {
        return this.note(`${sig}: already stopping, rolling back; please wait${current?.rollingBack ? `. If this process is killed now, the namespace is left part-way through the rollback; finish it with: ${current.finishRollbackCommand()}` : ''}`)
      }
      this.note(`${sig}: stopping; rolling back what this run changed`)
      controller.abort(new FleetcapError(`interrupted by ${sig}`))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const executor = new Executor({
      client,
      plan,
      clock: systemClock,
      holder: holderIdentity(),
      timeoutMs: flags.timeout * 1000,
      gpuPendingGraceMs: flags['gpu-pending-grace'] * 1000,
      lockWaitMs: flags['lock-wait'] * 1000,
      signal: controller.signal,
      afterGates: flags['load-test'] && changes && !flags.rollback ? this.loadTestCheck(plan) : undefined,
      onProgress: progressPrinter((line) => this.note(line)),
    })
    current = executor
    try {
      const result = flags.rollback
        ? await executor.rollback()
        : await executor.apply({phase: flags.phase, mode: flags.diff ? 'diff' : flags['dry-run'] ? 'dry-run' : 'apply', forceConflicts: flags['force-conflicts'], forcePlan: flags.force, prune: flags.prune})
      this.report(result, flags.diff)
      return result
    } catch (error) {
      if (error instanceof GateFailedError) this.report(error.result, false)
      if (error instanceof AllAppliedError) {
        this.say(error.message)
        return {nothingToDo: true, message: error.message}
      }
      throw error
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await client.close()
    }
  }

  /** The load gate: k6 at the phase's planned load (src/k6), thresholds from the plan's SLO. */
  private loadTestCheck(plan: LoadedPlan): PhaseCheck {
    const planDir = plan.dir
    const slo = plan.document.spec.slo
    const f = this.flags
    if (!f['load-test-url']) throw new InputError({field: '--load-test-url'}, 'a load test needs the fleet\'s endpoint URL')
    if (!URL.canParse(f['load-test-url']) || !/^https?:$/.test(new URL(f['load-test-url']).protocol)) {
      throw new InputError({field: '--load-test-url'}, `not an http(s) URL (got "${f['load-test-url']}")`)
    }
    const k6Binary = findK6({explicit: f.k6})
    const durationS = tryParseDuration(f['load-test-duration'])
    if (durationS === undefined || !(durationS > 0)) throw new InputError({field: '--load-test-duration'}, `not a positive duration (got "${f['load-test-duration']}")`)
    const positive = (name: string, text: string): number => {
      const v = Number(text)
      if (!(Number.isFinite(v) && v > 0)) throw new InputError({field: name}, `must be a positive number (got "${text}")`)
      return v
    }
    // A plan that records the workload its phases were verified on is replayed as recorded.
    const recorded = plan.document.spec.phases.some((p) => p.workload !== undefined)
    for (const flag of ['load-test-peak-factor', 'load-test-tokens'] as const) {
      if (recorded && f[flag] !== undefined) throw new InputError({field: `--${flag}`}, 'the plan records the workload its phases were verified on (calls per task, peak, token mix), and the load test replays it; drop the flag, or pass --load-test-rate for a constant rate')
    }
    // Read (and checked against plan.yaml's SHA-256) now, before anything in the cluster changes.
    const recordedTasks = new Map(plan.document.spec.phases.flatMap((p) => (p.workload ? [[p.name, readPhaseWorkloadTasks(planDir, p.workload)] as const] : [])))
    const peak = positive('--load-test-peak-factor', f['load-test-peak-factor'] ?? '1')
    // The plan's own error budget wins; the flag is the default for plans that set none.
    const errorRateMax = slo.errorRateMax ?? Number(f['load-test-error-rate-max'])
    if (!(errorRateMax >= 0 && errorRateMax <= 1)) throw new InputError({field: '--load-test-error-rate-max'}, `must be a share from 0 to 1 (got "${f['load-test-error-rate-max']}")`)
    const tasks = (f['load-test-tokens'] ?? '1024:256').split(',').map((pair) => {
      const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(pair)
      if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InputError({field: '--load-test-tokens'}, `"${pair}" is not INPUT:OUTPUT with positive token counts`)
      return [[Number(m[1]), Number(m[2]), 0] as [number, number, number]]
    })
    const headers = f['load-test-header'] ? parseHeaderFlags(f['load-test-header']) : {}
    // Checked now, before anything in the cluster changes; used once the phase's gates pass.
    const fixedRate = f['load-test-rate'] === undefined ? undefined : positive('--load-test-rate', f['load-test-rate'])
    return {
      name: 'load test',
      run: async (phase, signal) => {
        let ratePerS: number
        const verified = fixedRate === undefined ? phase.workload : undefined
        if (verified) ratePerS = verified.tasksPerS
        else if (fixedRate !== undefined) ratePerS = fixedRate
        else if ('tasksPerDay' in phase.trigger) ratePerS = (phase.trigger.tasksPerDay / 86_400) * peak
        else throw new InputError({field: '--load-test-rate'}, `phase ${phase.name} is triggered by a date, not a load: give --load-test-rate`)
        const model = f['load-test-model'] ?? phase.pools[0].model
        // The default folder lives in the plan's own directory, which fleetcap wrote: its load-tests/
        // parent is created here. A --load-test-out path must exist up to its last part.
        if (f['load-test-out'] === undefined) mkdirSync(join(planDir, 'load-tests'), {recursive: true})
        const dir = f['load-test-out'] ?? join(planDir, 'load-tests', phase.name)
        if (verified) this.note(`load test: the workload phase ${phase.name} was verified on: ${verified.tasksPerS} tasks/s × ${verified.callsPerTask} calls = ${verified.callsPerS} calls/s, prompts ${verified.meanInputTokens}, outputs ${verified.meanOutputTokens} tokens (mean)`)
        this.note(`load test: ${ratePerS.toFixed(2)} ${verified ? 'tasks' : 'requests'}/s for ${durationS} s against ${f['load-test-url']} (model ${model}); k6 script in ${dir}`)
        const r = await runPhaseLoadGate({
          dir,
          endpoint: {url: f['load-test-url']!, model, api: f['load-test-api'], stream: true, headers, requestTimeoutS: 60},
          ratePerS,
          durationS,
          tasks: verified ? recordedTasks.get(phase.name)! : tasks,
          ...(verified ? {verified} : {}),
          slo: {e2eP95S: slo.p95S, e2eP99S: slo.p99S, ttftP95S: slo.ttftP95S, ttftP99S: slo.ttftP99S, tpotP95S: slo.tpotP95S, errorRateMax},
          k6Binary,
          signal,
        })
        return {passed: r.passed, reason: r.reason, record: r.record}
      },
    }
  }

  private report(r: ApplyResult, diff: boolean): void {
    for (const line of renderApplyResult(r, diff)) this.say(line)
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
