import {existsSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {ExitCode, FleetcapError, InputError, UnreachableError} from '../../src/errors.js'
import {findK6ForScript} from '../../src/k6/binary.js'
import {type LoadGateResult, runLoadGate} from '../../src/k6/run.js'
import {SCRIPT_FILE} from '../../src/k6/script.js'
import {parseHeaderFlags} from '../../src/k6/flags.js'

export default class K6Run extends FleetcapCommand<typeof K6Run> {
  static override summary = 'Run a generated k6 load test as a gate: pass only when every threshold holds.'

  static override description = `Runs k6 on a script written by \`fleetcap k6 export\` (give its directory or the script) and reports what it measured: requests, dropped iterations, error rate, latency, TTFT and TPOT quantiles, and each threshold. k6 is found with --k6, $FLEETCAP_K6, the fleetcap cache (scripts/test-deps/k6.sh builds it there) or PATH; a script exported with --stream-reader needs the k6 with fleetcap's stream reader: --k6, $FLEETCAP_K6_STREAM, or the cache (scripts/test-deps/k6-stream.sh).

The summary (k6 handleSummary data) is written to summary.json beside the script, or --summary; --k6-json also keeps k6's per-sample output for \`fleetcap calibrate --k6-json\`. The run is stopped past --timeout (default: the planned duration + graceful stop + 60 s), so it never hangs.

Exit codes: 0 every threshold held; 3 a threshold failed (the SLO is not met); 4 the endpoint is unreachable; 5 k6 failed otherwise (script error, time limit); 2 bad input (no k6, no script).`

  static override examples = [
    '<%= config.bin %> k6 run out/azure-load',
    '<%= config.bin %> k6 run out/azure-load --url http://vllm.example:8000 --header "Authorization: Bearer $TOKEN"',
    '<%= config.bin %> k6 run out/azure-load --k6-json out/azure-load/samples.json --json',
  ]

  static override args = {
    target: Args.string({description: 'Directory written by `fleetcap k6 export`, or its load.js.', required: true}),
  }

  static override flags = {
    k6: Flags.string({description: 'Path of the k6 binary (default: $FLEETCAP_K6, the fleetcap cache, PATH).'}),
    url: Flags.string({description: 'Send the load to this base URL instead of the one in the script.'}),
    header: Flags.string({description: 'Extra request header "Name: value" (repeatable); not written to disk.', multiple: true}),
    summary: Flags.string({description: 'Write the k6 summary JSON here (default: summary.json beside the script).'}),
    'k6-json': Flags.string({description: 'Also write k6\'s per-sample JSON output (--out json=FILE) here.'}),
    timeout: Flags.integer({description: 'Stop k6 after this many seconds.', min: 1}),
  }

  async run(): Promise<LoadGateResult> {
    const {target} = this.args
    if (!existsSync(target)) throw new InputError({file: target}, 'no such file or directory', {hint: 'write a load test with `fleetcap k6 export --out DIR`'})
    const script = statSync(target).isDirectory() ? join(target, SCRIPT_FILE) : target
    if (!existsSync(script)) throw new InputError({file: script}, 'no k6 script here', {hint: 'write one with `fleetcap k6 export --out DIR`'})
    const k6Binary = findK6ForScript(script, {explicit: this.flags.k6})
    const result = await runLoadGate({
      k6Binary,
      script,
      url: this.flags.url,
      headers: this.flags.header ? parseHeaderFlags(this.flags.header) : undefined,
      summaryPath: this.flags.summary,
      jsonOutPath: this.flags['k6-json'],
      timeoutS: this.flags.timeout,
      onOutput: this.jsonEnabled() ? undefined : (line) => this.note(`k6: ${line}`),
    })
    const m = result.summary
    if (m) {
      const q = (x?: {p50: number; p95: number; p99?: number}): string => (x ? `p50 ${x.p50.toFixed(1)} / p95 ${x.p95.toFixed(1)} / p99 ${x.p99?.toFixed(1) ?? 'n/a'} ms` : 'n/a')
      this.say(`requests ${m.requests}, dropped iterations ${m.droppedIterations}, error rate ${((m.errorRate ?? 0) * 100).toFixed(2)}%`)
      this.say(`latency ${q(m.latencyMs)}`)
      this.say(`ttft    ${q(m.ttftMs)}`)
      this.say(`tpot    ${q(m.tpotMs)}`)
      if (m.itlMs) this.say(`itl     ${q(m.itlMs)}`)
      for (const t of m.thresholds) this.say(`${t.ok ? 'PASS' : 'FAIL'} ${t.metric} ${t.expression}`)
      this.say(`summary: ${result.summaryPath}`)
    }
    if (!result.passed) {
      const exit = result.reason.startsWith('endpoint unreachable')
        ? ExitCode.UNREACHABLE
        : result.failedThresholds.length > 0
          ? ExitCode.SLO_NOT_MET
          : ExitCode.GATE_FAILED
      if (this.jsonEnabled()) {
        this.logJson(result)
        this.exit(exit)
      }
      if (exit === ExitCode.UNREACHABLE) throw new UnreachableError(result.reason, {hint: 'check --url and that the server is up'})
      throw new FleetcapError(`load gate failed: ${result.reason}`, {exit})
    }
    this.say(`load gate passed: ${result.reason}`)
    return result
  }
}
