/**
 * The flags of `fleetcap k6 export` and `fleetcap k6 run` (commands/k6/): each value parsed once by
 * its kind (src/cli/flags.ts), so src/k6/*-command.ts receives seconds and requests per second.
 */
import {Flags, type Interfaces} from '@oclif/core'

import {durationFlag, numberFlag, pick, rateFlag, sharedFlags, sloFlags} from '../cli/flags.js'
import {LOAD_TEST_SLO_FIELDS} from '../slo/schema.js'
import {TRACE_FORMATS} from '../workload/index.js'

const positive = numberFlag({above: 0})

export const k6ExportFlags = {
  out: Flags.string({description: 'Directory to write load.js, requests.json and load-meta.json into.', required: true}),
  url: Flags.string({description: 'Base URL of the OpenAI-compatible server (without /v1).', required: true}),
  model: Flags.string({description: 'Model name to send in requests.', required: true}),
  api: Flags.option({options: ['chat', 'completions'] as const, default: 'chat', description: '/v1/chat/completions or /v1/completions.'})(),
  header: Flags.string({description: 'Request header "Name: value" (repeatable). Written into the script: pass secrets at run time (`fleetcap k6 run --header`).', multiple: true}),
  stream: Flags.boolean({description: 'Stream responses (SSE) to measure TTFT and time per output token.', default: true, allowNo: true}),
  'stream-reader': Flags.boolean({
    description:
      "Read the stream with fleetcap's k6 extension (k6/x/fleetcap-stream: TTFT at the first token, every inter-token gap as itl). Needs the k6 that scripts/test-deps/k6-stream.sh builds; without it TTFT is the time to the response headers, which servers such as llama-server send before the first token.",
    default: false,
  }),
  'ignore-eos': Flags.boolean({description: "Send vLLM's ignore_eos so every request generates its full output length (--no-ignore-eos for servers that reject it).", default: true, allowNo: true}),
  trace: Flags.string({description: 'Trace to replay (CSV or JSONL; format detected).'}),
  format: Flags.option({options: TRACE_FORMATS, default: 'auto', description: 'Trace format.'})(),
  map: Flags.string({description: 'Trace column mapping, FIELD=COLUMN pairs: time, input, output, type, priority, model.'}),
  'skip-invalid': Flags.boolean({description: 'Skip and count bad trace rows instead of stopping at the first.'}),
  bucket: durationFlag()({description: 'Trace time per stage (a duration; a bare number is seconds).', default: '60s'}),
  'rate-scale': positive({description: "Multiply the trace's arrival rate by this.", default: '1'}),
  speedup: positive({description: 'Play the trace this many times faster (the rate grows by as much).', default: '1'}),
  from: durationFlag({min: 0})({description: 'Skip this much of the trace from its first arrival (trace time, a duration).'}),
  duration: durationFlag()({description: 'Length of the test (test time, a duration): cuts a trace replay; required with --rate.'}),
  rate: rateFlag()({description: "Constant arrival rate of requests (2/s, 120/min; a bare number is per second), e.g. a plan phase's peak, instead of the trace's shape.", exclusive: ['plan']}),
  plan: Flags.string({description: "Plan YAML: the workload --phase was verified on (or its tasks per day / 86,400 × --peak-factor), thresholds from its slo.", dependsOn: ['phase']}),
  phase: Flags.string({description: 'Phase of --plan to test.', dependsOn: ['plan']}),
  'peak-factor': numberFlag({min: 1})({description: 'Peak-to-mean ratio (at least 1) applied to the daily load of a plan phase that records no verified workload (default 1).'}),
  tokens: Flags.string({description: 'Token mix for --rate without --trace: INPUT:OUTPUT pairs, comma-separated.'}),
  'slo-from': Flags.string({description: 'Take thresholds from the slo block of this scenario or plan YAML (the SLO flags win).'}),
  ...sloFlags([...LOAD_TEST_SLO_FIELDS]),
  'expected-latency': durationFlag()({description: 'Latency of one call used to size the VU pool (default: the e2e p99, else p95 SLO, else 10s).'}),
  'request-timeout': durationFlag()({description: 'A request slower than this fails (a duration).', default: '60s'}),
  'max-vus': Flags.integer({description: 'Upper bound on k6 VUs.', default: 20_000, min: 1}),
  'max-tasks': Flags.integer({description: 'Token-mix entries kept in requests.json (later iterations reuse them in a cycle).', default: 100_000, min: 1}),
}

export type K6ExportFlags = Interfaces.InferredFlags<typeof k6ExportFlags>

export const k6RunFlags = {
  ...pick(sharedFlags, 'k6'),
  url: Flags.string({description: 'Send the load to this base URL instead of the one in the script.'}),
  header: Flags.string({description: 'Extra request header "Name: value" (repeatable); not written to disk.', multiple: true}),
  summary: Flags.string({description: 'Write the k6 summary JSON here (default: summary.json beside the script).'}),
  'k6-json': Flags.string({description: "Also write k6's per-sample JSON output (--out json=FILE) here."}),
  timeout: durationFlag()({description: 'Stop k6 after this long (a duration; a bare number is seconds; default: the planned duration + graceful stop + 60 s).'}),
}

export type K6RunFlags = Interfaces.InferredFlags<typeof k6RunFlags>
