import {Args, Flags} from '@oclif/core'

import {FleetcapCommand} from '../src/cli/base-command.js'
import {pick, sharedFlags} from '../src/cli/flags.js'
import {ExitCode} from '../src/errors.js'
import {runSimulate} from '../src/pipeline/simulate-command.js'
import type {SimulationReport} from '../src/report/report.js'

export default class Simulate extends FleetcapCommand<typeof Simulate> {
  static override summary = 'Simulate a scenario: a workload against a fleet of GPU replicas.'

  static override description = `Runs the discrete-event simulator on SCENARIO (YAML: workload, fleet, routing, queue, SLOs, duration, seed) and prints a summary: latency quantiles (queue wait, TTFT, TPOT, end-to-end) per priority, throughput, utilization per pool, cost, and SLO PASS/FAIL. The same scenario and seed always give the same report.

A pool may carry an autoscaler (a Kubernetes HPA, a KEDA ScaledObject or a threshold table, with an optional schedule of minimum replicas) and a capacity block (GPU nodes, quota, node provisioning, image pull, model load); the scenario may inject failures (replica or node loss, partition, degraded GPU). The report then has an autoscaling section: replicas over time, every scaling event with its reason, failures with time to recover, GPU-hours and cost from provisioning (docs/simulate-autoscaling.md).

Every predicted figure carries its band: with --band edges (the default) the scenario is run twice more, same seed and arrivals, with every LLM pool's step times at its serving profile's fast and slow edges; the summary and report.json (band) give each headline figure at both edges and what each pool's profile rests on (measured, transferred, roofline). --band none skips the two extra runs.

--out DIR writes report.json (deterministic), timeseries.csv (queue depth, in-flight, throughput, utilization and KV occupancy per pool over time) and summary.txt. A progress bar shows on stderr for a terminal (not with --json).

Exit codes: 0 done (SLOs may have failed: see the table); 2 bad input (scenario, trace, flag), with file, line and field; 3 SLOs not met, only with --check-slo; 1 internal error.`

  static override examples = [
    '<%= config.bin %> simulate scenarios/seed-phase1-500-per-day.yaml',
    '<%= config.bin %> simulate scenarios/hetero-a100-v100.yaml --seed 7 --out out/hetero',
    '<%= config.bin %> simulate scenarios/seed-phase2-5000-per-day.yaml --trace my-trace.csv --check-slo',
    '<%= config.bin %> simulate scenarios/azure-conv-replay.yaml --json',
    '<%= config.bin %> simulate scenarios/autoscale-seed-004-hpa.yaml --out out/hpa',
  ]

  static override args = {
    scenario: Args.string({description: 'Scenario YAML file.', required: true}),
  }

  static override flags = {
    trace: Flags.string({description: 'Replay this trace (CSV/JSONL, format detected) instead of the scenario\'s workload.'}),
    ...pick(sharedFlags, 'seed'),
    out: Flags.string({description: 'Write report.json, timeseries.csv and summary.txt into this directory.'}),
    html: Flags.string({description: 'Write a self-contained HTML report with charts to this file (also index.html in --out).'}),
    'check-slo': Flags.boolean({description: `Exit ${ExitCode.SLO_NOT_MET} when an SLO is not met.`}),
    band: Flags.string({description: 'edges: run twice more with every LLM pool\'s step times at its profile\'s uncertainty-band edges and report the band of the headline figures; none: the nominal run only.', options: ['none', 'edges'], default: 'edges'}),
  }

  async run(): Promise<SimulationReport> {
    const {rounded, failedSlos} = await runSimulate(this.args.scenario, this.flags, this.jsonEnabled())
    if (this.flags['check-slo'] && failedSlos.length > 0) {
      if (this.jsonEnabled()) this.logJson(rounded)
      else process.stderr.write(`SLO not met: ${failedSlos.join(', ')}\n`)
      this.exit(ExitCode.SLO_NOT_MET)
    }
    return rounded
  }
}
