import {FleetcapCommand} from '../src/cli/base-command.js'
import {sweepArgs, sweepFlags} from '../src/sweep/cli-flags.js'
import {runSweepCommand, type SweepCommandResult} from '../src/sweep/command.js'

export default class Sweep extends FleetcapCommand<typeof Sweep> {
  static override summary = 'Run a what-if sweep: a grid or a random / Latin-hypercube design over scenario fields.'

  static override description = `SPEC (YAML, kind: Sweep) names a base scenario, the factors to vary (dotted scenario field paths with their values, or a range for random and LHS designs), the seeds per cell and the metrics to collect. Every cell is the base scenario with the cell's values set, validated again, and simulated on each of its seeds on a pool of worker threads.

Prints per-cell means over seeds, the Pareto front of cost against a latency metric and the sensitivity of each SLO metric to each factor (main effects). With --out DIR: DIR/results.jsonl (one line per cell and seed, sorted, canonical JSON), DIR/summary.json, and DIR/journal.jsonl, appended and fsync'd per finished cell: run the same command again after an interrupt and the finished cells are not recomputed. A directory written for another spec is refused.

The results are the same bytes whatever --workers is: a run's seed derives from the spec's seed and the cell's index only (docs/sweep.md).

Exit codes: 0 done; 2 bad input (spec, base scenario, a cell's scenario), with file, line and field; 1 internal error.`

  static override examples = [
    '<%= config.bin %> sweep examples/sweep/replicas-by-rate.yaml --out out/sweep',
    '<%= config.bin %> sweep examples/sweep/mmc-lhs.yaml --workers 2 --json',
    '<%= config.bin %> sweep scenarios/autoscale-seed-004-hpa.yaml --strategies',
  ]

  static override args = sweepArgs

  static override flags = sweepFlags

  async run(): Promise<SweepCommandResult> {
    return runSweepCommand(this.args.spec, this.flags, {note: (line) => this.note(line), json: this.jsonEnabled(), exit: (code) => this.exit(code)})
  }
}
