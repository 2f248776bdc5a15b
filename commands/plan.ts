import {FleetcapCommand} from '../src/cli/base-command.js'
import {planFlags} from '../src/planner/cli-flags.js'
import {runPlanCommand} from '../src/planner/command.js'
import type {PlanCommandResult} from '../src/planner/plan-result.js'

export default class Plan extends FleetcapCommand<typeof Plan> {
  static override summary = 'Plan GPU fleets per phase: the cheapest fleet that meets the SLOs, verified by simulation, with HPA manifests.'

  static override description = `For each phase (a load target in tasks/day, or by date), enumerates fleets (GPU type × tensor parallelism × replicas, and two-type mixes), prunes them with analytic bounds (capacity, Erlang-C queueing, limits, budget, dominance), then simulates the survivors cheapest first over the phase's peak window on several seeds and keeps the first that meets every SLO on every seed. Availability floor (default): at least 2 replicas in total at every size (--min-replicas), and the SLOs still met at the peak with the largest replica lost (--survive one-replica-loss, N+1), checked by simulating the fleet minus that replica. Tunes an autoscaling/v2 HPA per pool (min/max from the daily curve, in-flight target, behavior; a predictive minReplicas schedule where the curve is periodic), then simulates the whole forecast day as a scenario with those HPAs as its pools' autoscalers, as 'fleetcap simulate' would. The simulations run on a pool of worker threads (--workers). The seeds' own fleets (baselines) are simulated under the same load and SLOs.

--out DIR writes plan.yaml (fleetcap.dev/v1 CapacityPlan, read by apply-to-cluster), manifests/<phase>/ (Deployment, HPA or KEDA ScaledObject, PodDisruptionBudget per pool) and PLAN.md, all at once; a non-empty folder fleetcap did not write is refused.

Exit codes: 0 plan found; 2 bad input (flag, spec file with line and field, unknown GPU); 3 nothing meets the SLOs within the limits (the closest candidate and what it misses are printed; nothing is written); 1 internal error.`

  static override examples = [
    '<%= config.bin %> plan --phases 500,5000,50000 --out out/plan',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --out out/seeds-plan',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --fast',
    '<%= config.bin %> plan --series tasks-per-hour.csv --horizon 4w --phase-every 1w --quantile 0.9 --out out/plan',
    '<%= config.bin %> plan --phases 5000 --gpu A100-80GB=64 --gpu V100-32GB --ttft-p95 3s --json',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --min-replicas 3 --survive one-replica-loss --out out/ha-plan',
    '<%= config.bin %> plan --spec examples/plan-seeds.yaml --risk nominal --out out/nominal-plan',
  ]

  static override flags = planFlags

  async run(): Promise<PlanCommandResult> {
    return runPlanCommand(this.flags, {note: (line) => this.note(line), say: (line) => this.say(line), tty: process.stdout.isTTY})
  }
}
