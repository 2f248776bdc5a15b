/** `fleetcap plan`'s flags (commands/plan.ts); what they do is src/planner/command.ts's. */
import {Flags, type Interfaces} from '@oclif/core'

import {durationFlag, numberFlag, pick, sharedFlags, sloFlags} from '../cli/flags.js'
import type {SloField} from '../slo/schema.js'

/** The objectives a plan checks (every one: a simulation measures them all). */
export const PLAN_SLO_FIELDS = ['e2eP95S', 'e2eP99S', 'ttftP95S', 'ttftP99S', 'tpotP95S', 'queueWaitP95S', 'errorRateMax'] as const satisfies readonly SloField[]

const slo = sloFlags(PLAN_SLO_FIELDS)
const history = {helpGroup: 'HISTORY'}
// Shared flags with plan's own constraints added (same meaning, same default).
const prometheus: typeof sharedFlags.prometheus = {...sharedFlags.prometheus, exclusive: ['series', 'trace'], dependsOn: ['query']}
const errorRateMax: Interfaces.OptionFlag<number | undefined> = {...slo['error-rate-max'], aliases: ['error-rate'], deprecateAliases: true}

export const planFlags = {
  spec: Flags.string({description: 'Plan request YAML (phases, workload, SLOs, GPUs, baselines, manifests); flags override it.'}),
  phases: Flags.string({description: 'Phase targets in tasks/day, comma-separated (500,5000,50000), or by date (2026-12-01=500,2027-01-01=5000).', exclusive: ['series', 'trace', 'prometheus']}),
  series: Flags.string({
    description: 'Series CSV (timestamp,tasks): forecast it and plan one phase per --phase-every at the quantile.',
    exclusive: ['trace', 'prometheus'],
    aliases: ['history'],
    deprecateAliases: true,
    ...history,
  }),
  trace: Flags.string({description: 'Task trace (CSV/JSONL) as history: aggregated to an arrival rate in --step buckets, then forecast.', exclusive: ['series', 'prometheus'], ...history}),
  ...pick(sharedFlags, 'query', 'since', 'until'),
  prometheus,
  step: durationFlag()({description: 'Step of the history: the bucket of a trace, the Prometheus step, or the grid of a CSV (inferred when absent).', ...history}),
  unit: Flags.string({
    description: 'What a history value is: tasks in its step, or tasks per second (default: per-step for --series, per-second for --trace and --prometheus).',
    options: ['per-step', 'per-second'],
    ...history,
  }),
  horizon: durationFlag()({description: 'Forecast horizon of the history (at least a day).', default: '4w', ...history}),
  'phase-every': durationFlag()({description: 'Length of a phase planned from the history (at least a day).', default: '1w', ...history}),
  quantile: numberFlag({above: 0, max: 1})({description: 'Forecast quantile to size for, below 1 (default 0.9).'}),
  gpu: Flags.string({description: 'GPU type to consider, optionally with a limit: A100-80GB=64 (repeatable; default every catalog GPU).', multiple: true}),
  model: Flags.string({description: 'Model served (default llama-3.1-70b).'}),
  ...pick(sharedFlags, 'engine', 'precision'),
  ...slo,
  'error-rate-max': errorRateMax,
  budget: numberFlag({above: 0})({description: "Most a phase's fleet may cost per day, USD."}),
  headroom: numberFlag({min: 0, max: 4})({description: 'Extra load the fleet must carry: 0.1 = 10 % above the target (default 0.1).'}),
  seeds: Flags.integer({description: 'Seeds each fleet must pass on (default 3).', min: 1, max: 20}),
  baseline: Flags.string({description: 'Judge a hand-made fleet: PHASE=SCENARIO.yaml (repeatable).', multiple: true}),
  image: Flags.string({description: 'Serving image in the Deployments.'}),
  namespace: Flags.string({description: 'Namespace of the manifests.'}),
  metric: Flags.string({description: 'Pods metric the HPA scales on (default vllm_num_requests_running).'}),
  keda: Flags.boolean({description: 'Write KEDA ScaledObjects instead of HPAs.'}),
  'min-replicas': Flags.integer({description: 'Availability: fewest replicas a fleet may have in total, HPA floor included (default 2).', min: 1}),
  survive: Flags.string({
    description: 'Availability: one-replica-loss = the SLOs must hold at the peak with the largest replica lost (N+1; default); none = no such check.',
    options: ['none', 'one-replica-loss'],
  }),
  risk: Flags.string({
    description:
      "pessimistic: size and verify every fleet with its serving profiles' step times at the slow edge of their uncertainty band (default); nominal: as fitted. The other mode is planned too and PLAN.md shows the margin.",
    options: ['nominal', 'pessimistic'],
  }),
  'strategy-roi': Flags.boolean({description: 'PLAN.md: compare a fixed fleet, the HPA, KEDA and a predictive schedule per one-pool phase over its forecast day (4 more day-long simulations each).'}),
  fast: Flags.boolean({description: 'Analytic only: no simulation (under a second).'}),
  workers: Flags.integer({
    description: "Worker threads the simulations run on (the sweep's pool; default 0: in this process, which was faster on 2 cores). The plan is the same whatever the number.",
    min: 0,
  }),
  out: Flags.string({description: 'Write plan.yaml, manifests/ and PLAN.md (with its charts, charts/*.svg, and index.html) into this directory.'}),
  html: Flags.string({description: 'Also write the plan as a self-contained HTML report with charts to this file.'}),
}
