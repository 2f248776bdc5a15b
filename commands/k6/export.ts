import {FleetcapCommand} from '../../src/cli/base-command.js'
import {k6ExportFlags} from '../../src/k6/cli-flags.js'
import {runK6Export} from '../../src/k6/export-command.js'
import type {K6ExportResult} from '../../src/k6/export-result.js'

export default class K6Export extends FleetcapCommand<typeof K6Export> {
  static override summary = 'Write a k6 load test that replays a trace (or a constant peak) against an OpenAI-compatible endpoint.'

  static override description = `Writes a k6 script (load.js, an ES module type-checked against the k6 package's types), its data file (requests.json: the token mix) and load-meta.json into --out.

From --trace: one ramping-arrival-rate stage per --bucket of the trace, at the trace's arrival rate times --rate-scale, played --speedup times faster, cut at --duration (test time). With --rate: a constant-arrival-rate scenario at that rate for --duration, with the token mix of --trace or --tokens. With --plan and --phase: the workload the phase was verified on, as plan.yaml records it (spec.phases[].workload and workload/<phase>.json): the peak window's arrival shape at the sized load (compressed in time into --duration, rates kept), each iteration one recorded task with its calls chained by their think times and their prompt and output lengths; the plan's SLOs as thresholds. A plan written before fleetcap recorded workloads gets its trigger's tasks per day / 86,400 × --peak-factor single requests of --tokens or --trace, with a warning.

Each request asks for the trace's output length (max_tokens, with ignore_eos for vLLM) and carries a prompt of the trace's input length, built as words: a unique first word, then " the" repeated (one token each in Llama, Mistral, Qwen and GPT vocabularies, so a real server counts about the trace's tokens plus two or three; the fake server counts exactly). Streaming (the default) records TTFT (time to the first byte of the stream) and time per output token as the k6 Trends ttft and tpot.

Thresholds come from --slo-from (a scenario's or plan's slo block) and the SLO flags --e2e-p95, --e2e-p99, --ttft-p95, --ttft-p99, --tpot-p95 (durations) and --error-rate-max (a fraction); flags win. k6 pre-allocates VUs by Little's law: peak rate × --expected-latency × calls per task × 1.5, up to --max-vus; it reports dropped_iterations when that was not enough.

Exit codes: 0 written; 2 bad input (trace row, flag, SLO file, an --out directory fleetcap did not write); 1 internal error.`

  static override examples = [
    '<%= config.bin %> k6 export --trace data/traces/AzureLLMInferenceTrace_conv.csv --url http://127.0.0.1:8000 --model llama-3.1-8b --speedup 60 --duration 1m --e2e-p95 20s --out out/azure-load',
    '<%= config.bin %> k6 export --rate 120 --duration 5m --trace data/traces/AzureLLMInferenceTrace_conv.csv --slo-from scenarios/seed-phase2-5000-per-day.yaml --url http://vllm:8000 --model llama-3.1-70b --out out/peak',
    '<%= config.bin %> k6 export --plan out/plan/plan.yaml --phase phase-2 --duration 5m --url http://vllm:8000 --model llama-3.1-8b --out out/phase-2-load',
    '<%= config.bin %> k6 export --rate 10/s --duration 30s --tokens 512:128,2048:256 --url http://127.0.0.1:8000 --model m --api completions --out out/smoke',
  ]

  static override flags = k6ExportFlags

  async run(): Promise<K6ExportResult> {
    return runK6Export(this.flags, {say: (line) => this.say(line), note: (line) => this.note(line)})
  }
}
