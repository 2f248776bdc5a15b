import {Args} from '@oclif/core'

import {FleetcapCommand} from '../src/cli/base-command.js'
import {type ApplyToClusterResult, runApplyToCluster} from '../src/rollout/apply.js'
import {applyToClusterFlags} from '../src/rollout/flags.js'

export default class ApplyToCluster extends FleetcapCommand<typeof ApplyToCluster> {
  static override summary = 'Apply one phase of a capacity plan to a Kubernetes cluster, gated, with rollback.'

  static override description = `Applies the manifests of one phase (default: the next one) with server-side apply (field manager "fleetcap"), then waits for the gates: Deployments rolled out, pods Ready, HPAs accepted, no pod Pending for lack of GPUs. A failed gate or an interrupt (Ctrl-C, SIGTERM) restores the objects as they were before the phase. History, the plan digest and the pre-apply snapshots are kept in the cluster (ConfigMap fleetcap-state), and a Lease (fleetcap-apply-lock) stops two applies at once. Objects an HPA scales never get spec.replicas from fleetcap.

With --load-test, k6 then replays the workload the phase was verified on (plan.yaml's spec.phases[].workload and workload/<phase>.json: the peak shape, calls per task with think times, the token mix; a plan without one gets its trigger's tasks per day / 86,400 × --load-test-peak-factor requests of --load-test-tokens; --load-test-rate sets a constant rate) against --load-test-url, with the plan's SLO (e2eP95S, e2eP99S, ttftP95S, ttftP99S, tpotP95S, errorRateMax, else --load-test-error-rate-max; src/slo/schema.ts) as thresholds; a failed threshold, an unreachable endpoint or a k6 failure fails the phase like a gate, and it is rolled back. The k6 script and summary stay in --load-test-out (default <plan>/load-tests/<phase>/), and the measurement (summary file and SHA-256, latency, error rate, failed thresholds) is kept with the phase's apply record in the cluster. k6 is found as \`fleetcap k6 run\` finds it (docs/k6.md).

API errors after the first contact (connection refused or reset, HTTP 5xx, 429 with Retry-After) are retried with exponential backoff and jitter for up to --retry-for (a duration), during apply, gates and rollback, so an API server restart is ridden out. A run that crashed leaves its Lease: a re-run on the same host takes it over at once when the holder's process is gone (elsewhere the lease expires in 15 s).

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

  static override flags = applyToClusterFlags

  async run(): Promise<ApplyToClusterResult> {
    return runApplyToCluster(this.args.plan, this.flags, {say: (line) => this.say(line), note: (line) => this.note(line)})
  }
}
