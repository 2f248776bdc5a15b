import {Args} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {k6RunFlags} from '../../src/k6/cli-flags.js'
import type {LoadGateResult} from '../../src/k6/run.js'
import {runK6Gate} from '../../src/k6/run-command.js'

export default class K6Run extends FleetcapCommand<typeof K6Run> {
  static override summary = 'Run a generated k6 load test as a gate: pass only when every threshold holds.'

  static override description = `Runs k6 on a script written by \`fleetcap k6 export\` (give its directory or the script) and reports what it measured: requests, dropped iterations, error rate, latency, TTFT and TPOT quantiles, and each threshold. k6 is found with --k6, $FLEETCAP_K6, the fleetcap cache (scripts/test-deps/k6.sh builds it there) or PATH; a script exported with --stream-reader needs the k6 with fleetcap's stream reader: --k6, $FLEETCAP_K6_STREAM, or the cache (scripts/test-deps/k6-stream.sh).

The summary (k6 handleSummary data) is written to summary.json beside the script, or --summary; --k6-json also keeps k6's per-sample output for \`fleetcap calibrate --k6-json\`. The run is stopped past --timeout (a duration; default: the planned duration + graceful stop + 60 s), so it never hangs.

Exit codes: 0 every threshold held; 3 a threshold failed (the SLO is not met); 4 the endpoint is unreachable; 5 k6 failed otherwise (script error, time limit); 2 bad input (no k6, no script).`

  static override examples = [
    '<%= config.bin %> k6 run out/azure-load',
    '<%= config.bin %> k6 run out/azure-load --url http://vllm.example:8000 --header "Authorization: Bearer $TOKEN"',
    '<%= config.bin %> k6 run out/azure-load --k6-json out/azure-load/samples.json --json',
  ]

  static override args = {
    target: Args.string({description: 'Directory written by `fleetcap k6 export`, or its load.js.', required: true}),
  }

  static override flags = k6RunFlags

  async run(): Promise<LoadGateResult> {
    const {result, failedExit} = await runK6Gate(this.args.target, this.flags, {say: (line) => this.say(line), note: (line) => this.note(line), json: this.jsonEnabled()})
    if (failedExit !== undefined) {
      this.logJson(result)
      this.exit(failedExit)
    }
    return result
  }
}
