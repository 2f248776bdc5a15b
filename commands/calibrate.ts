import {FleetcapCommand} from '../src/cli/base-command.js'
import {runCalibrate} from '../src/calibrate/calibrate-command.js'
import {calibrateFlags} from '../src/calibrate/cli-flags.js'
import type {CalibrateResult} from '../src/calibrate/command-result.js'

export default class Calibrate extends FleetcapCommand<typeof Calibrate> {
  static override summary = 'Compare a k6 measurement with the prediction for the same load and fleet, and fit the serving profile.'

  static override description = `Reads what k6 measured (--k6-summary: the summary.json a fleetcap load test writes, or k6's --summary-export file; or --k6-json: k6's --out json samples, exact quantiles) and the load it applied (--load: the \`fleetcap k6 export\` directory; default: the summary's directory). Predicts the same load (the exact tasks k6 sent, at the times it sent them) on --replicas replicas of the serving profile (--profile ID, or --model/--gpu/--tp) with \`fleetcap simulate\` (or --predictor replay: an independent continuous-batching replay), reports the error of each figure (latency, TTFT and TPOT p50/p95, throughput), fits one factor on the profile's step time that minimises the latency error, and reports the error after.

--write-profile FILE writes the adjusted profile (YAML, atomic): the base profile, the factor, and the measurement (file and SHA-256) as its source.

Exit codes: 0 done; 2 bad input (file, field, unknown profile); 1 internal error.`

  static override examples = [
    '<%= config.bin %> calibrate --k6-summary out/load/summary.json --model llama-3.1-8b --gpu A100-80GB',
    '<%= config.bin %> calibrate --k6-json out/load/samples.json --load out/load --profile llama-3.1-70b@H100-SXM:tp4 --replicas 2 --write-profile out/70b-h100-measured.yaml',
  ]

  static override flags = calibrateFlags

  async run(): Promise<CalibrateResult> {
    return runCalibrate(this.flags, {say: (line) => this.say(line), note: (line) => this.note(line)})
  }
}
