/** `fleetcap apply-to-cluster`'s flags (commands/apply-to-cluster.ts); what they do is src/rollout/apply.ts's. */
import {Flags, type Interfaces} from '@oclif/core'

import {durationFlag, fractionFlag, numberFlag, rateFlag, sharedFlags} from '../cli/flags.js'

/** The shared --k6 (one meaning in every command), shown with the load test it serves. */
const k6: Interfaces.OptionFlag<string | undefined> = {...sharedFlags.k6, dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}

export const applyToClusterFlags = {
  phase: Flags.string({description: 'phase to apply (default: the first one not applied yet)'}),
  kubeconfig: sharedFlags.kubeconfig,
  context: sharedFlags.context,
  namespace: Flags.string({char: 'n', description: "namespace (default: the context's, else default)"}),
  'dry-run': Flags.boolean({description: 'server-side dry run: show what would change against the live objects, change nothing', exclusive: ['diff', 'rollback']}),
  diff: Flags.boolean({description: 'show the field-by-field diff against the live objects (server-side dry run), change nothing', exclusive: ['dry-run', 'rollback']}),
  rollback: Flags.boolean({description: 'restore the objects as they were before the last applied phase', exclusive: ['phase']}),
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (required when not run from a terminal)'}),
  force: Flags.boolean({description: 'apply although the namespace holds the history of a different plan'}),
  'force-conflicts': Flags.boolean({description: 'take over fields that other field managers own'}),
  prune: Flags.boolean({
    description:
      'after the gates pass, delete what fleetcap applied in this namespace that the phase no longer contains (its ApplySet: objects labelled applyset.kubernetes.io/part-of by fleetcap; nothing else is touched); --dry-run/--diff show it',
  }),
  'print-rbac': Flags.boolean({description: 'print the least-privilege Role this plan needs in --namespace, and exit'}),
  timeout: durationFlag()({description: 'how long to wait for the gates (a duration; a bare number is seconds)', default: '10m'}),
  'gpu-pending-grace': durationFlag({min: 0})({description: 'how long a pod may stay Pending for lack of GPUs before the gate fails (a duration)', default: '60s'}),
  'retry-for': durationFlag({min: 0})({description: 'how long API errors in a row (connection refused/reset, 5xx, 429) are ridden out with backoff before giving up (a duration)', default: '60s'}),
  'lock-wait': durationFlag({min: 0})({description: 'how long to wait when another apply holds the lock (a duration; 0: fail at once)', default: '0s'}),
  'load-test': Flags.boolean({description: "after the gates, run k6 at the phase's planned load; failed thresholds fail the phase (rolled back)", helpGroup: 'LOAD TEST'}),
  'load-test-url': Flags.string({description: "base URL of the fleet's OpenAI-compatible endpoint", dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
  'load-test-model': Flags.string({description: "model name to request (default: the phase's first pool's model)", dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
  'load-test-api': Flags.option({options: ['chat', 'completions'] as const, default: 'chat', description: 'endpoint API', helpGroup: 'LOAD TEST'})(),
  'load-test-header': Flags.string({description: 'request header "Name: value" (repeatable)', multiple: true, dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
  'load-test-duration': durationFlag()({description: 'length of the load test (a duration; a bare number is seconds)', default: '60s', helpGroup: 'LOAD TEST'}),
  'load-test-rate': rateFlag()({description: "a constant arrival rate of requests (2/s, 120/min; a bare number is per second) instead of the phase's recorded workload or its tasks per day / 86,400 × --load-test-peak-factor", dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
  'load-test-peak-factor': numberFlag({min: 1})({description: 'peak-to-mean ratio (at least 1) applied to the daily load of a phase that records no verified workload (default 1)', helpGroup: 'LOAD TEST'}),
  'load-test-tokens': Flags.string({description: 'token mix of a phase that records no verified workload, INPUT:OUTPUT pairs, comma-separated (default 1024:256)', helpGroup: 'LOAD TEST'}),
  'load-test-error-rate-max': fractionFlag()({description: "largest share of failed requests (0.01 = 1 %), when the plan's slo sets no errorRateMax", default: '0.01', helpGroup: 'LOAD TEST'}),
  'load-test-out': Flags.string({description: 'directory for the k6 script and summary (default: <plan>/load-tests/<phase>)', dependsOn: ['load-test'], helpGroup: 'LOAD TEST'}),
  k6,
}

export type ApplyToClusterFlags = Interfaces.InferredFlags<typeof applyToClusterFlags>
