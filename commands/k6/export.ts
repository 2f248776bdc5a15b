import {dirname} from 'node:path'

import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {InputError, UnknownNameError} from '../../src/errors.js'
import {checkOutputDir} from '../../src/util/atomic-write.js'
import {writeK6Export} from '../../src/k6/export.js'
import {parseHeaderFlags} from '../../src/k6/flags.js'
import {type CallShape, constantLoad, type LoadProfile, loadFromTasks, peakRatePerS, verifiedLoad} from '../../src/k6/load.js'
import {readPhaseWorkloadTasks} from '../../src/plan/workload.js'
import {type K6ExportMeta, type LoadSlo, renderK6Script} from '../../src/k6/script.js'
import {readPlanPhases, readSloFile} from '../../src/k6/slo.js'
import {LIMITS} from '../../src/limits.js'
import {tryParseDuration} from '../../src/util/duration.js'
import {parseMappingFlag, readTrace, TRACE_FORMATS} from '../../src/workload/index.js'

interface ExportResult {
  dir: string
  script: string
  data: string
  meta: K6ExportMeta
}

function durationFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const v = tryParseDuration(text)
  if (v === undefined || !Number.isFinite(v) || v <= 0) throw new InputError({field: name}, `not a positive duration (got "${text}"); write e.g. 90s, 15m, 2h`)
  return v
}

function tokensFlag(text: string): CallShape[][] {
  return text.split(',').map((pair) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(pair)
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InputError({field: '--tokens'}, `"${pair}" is not INPUT:OUTPUT with positive token counts`)
    return [[Number(m[1]), Number(m[2]), 0]]
  })
}

export default class K6Export extends FleetcapCommand<typeof K6Export> {
  static override summary = 'Write a k6 load test that replays a trace (or a constant peak) against an OpenAI-compatible endpoint.'

  static override description = `Writes a k6 script (load.js, an ES module type-checked against the k6 package's types), its data file (requests.json: the token mix) and load-meta.json into --out.

From --trace: one ramping-arrival-rate stage per --bucket of the trace, at the trace's arrival rate times --rate-scale, played --speedup times faster, cut at --duration (test time). With --rate: a constant-arrival-rate scenario at that rate for --duration, with the token mix of --trace or --tokens. With --plan and --phase: the workload the phase was verified on, as plan.yaml records it (spec.phases[].workload and workload/<phase>.json): the peak window's arrival shape at the sized load (compressed in time into --duration, rates kept), each iteration one recorded task with its calls chained by their think times and their prompt and output lengths; the plan's SLOs as thresholds. A plan written before fleetcap recorded workloads gets its trigger's tasks per day / 86,400 × --peak-factor single requests of --tokens or --trace, with a warning.

Each request asks for the trace's output length (max_tokens, with ignore_eos for vLLM) and carries a prompt of the trace's input length, built as words: a unique first word, then " the" repeated (one token each in Llama, Mistral, Qwen and GPT vocabularies, so a real server counts about the trace's tokens plus two or three; the fake server counts exactly). Streaming (the default) records TTFT (time to the first byte of the stream) and time per output token as the k6 Trends ttft and tpot.

Thresholds come from --slo-from (a scenario's or plan's slo block) and the --e2e-*/--ttft-*/--tpot-*/--error-rate-max flags (flags win). k6 pre-allocates VUs by Little's law: peak rate × --expected-latency × calls per task × 1.5, up to --max-vus; it reports dropped_iterations when that was not enough.

Exit codes: 0 written; 2 bad input (trace row, flag, SLO file, an --out directory fleetcap did not write); 1 internal error.`

  static override examples = [
    '<%= config.bin %> k6 export --trace data/traces/AzureLLMInferenceTrace_conv.csv --url http://127.0.0.1:8000 --model llama-3.1-8b --speedup 60 --duration 1m --e2e-p95 20s --out out/azure-load',
    '<%= config.bin %> k6 export --rate 120 --duration 5m --trace data/traces/AzureLLMInferenceTrace_conv.csv --slo-from scenarios/seed-phase2-5000-per-day.yaml --url http://vllm:8000 --model llama-3.1-70b --out out/peak',
    '<%= config.bin %> k6 export --plan out/plan/plan.yaml --phase phase-2 --duration 5m --url http://vllm:8000 --model llama-3.1-8b --out out/phase-2-load',
    '<%= config.bin %> k6 export --rate 10 --duration 30s --tokens 512:128,2048:256 --url http://127.0.0.1:8000 --model m --api completions --out out/smoke',
  ]

  static override flags = {
    out: Flags.string({description: 'Directory to write load.js, requests.json and load-meta.json into.', required: true}),
    url: Flags.string({description: 'Base URL of the OpenAI-compatible server (without /v1).', required: true}),
    model: Flags.string({description: 'Model name to send in requests.', required: true}),
    api: Flags.option({options: ['chat', 'completions'] as const, default: 'chat', description: '/v1/chat/completions or /v1/completions.'})(),
    header: Flags.string({description: 'Request header "Name: value" (repeatable). Written into the script: pass secrets at run time (`fleetcap k6 run --header`).', multiple: true}),
    stream: Flags.boolean({description: 'Stream responses (SSE) to measure TTFT and time per output token.', default: true, allowNo: true}),
    'stream-reader': Flags.boolean({
      description: 'Read the stream with fleetcap\'s k6 extension (k6/x/fleetcap-stream: TTFT at the first token, every inter-token gap as itl). Needs the k6 that scripts/test-deps/k6-stream.sh builds; without it TTFT is the time to the response headers, which servers such as llama-server send before the first token.',
      default: false,
    }),
    'ignore-eos': Flags.boolean({description: 'Send vLLM\'s ignore_eos so every request generates its full output length (--no-ignore-eos for servers that reject it).', default: true, allowNo: true}),
    trace: Flags.string({description: 'Trace to replay (CSV or JSONL; format detected).'}),
    format: Flags.option({options: TRACE_FORMATS, default: 'auto', description: 'Trace format.'})(),
    map: Flags.string({description: 'Trace column mapping, FIELD=COLUMN pairs: time, input, output, type, priority, model.'}),
    'skip-invalid': Flags.boolean({description: 'Skip and count bad trace rows instead of stopping at the first.'}),
    bucket: Flags.string({description: 'Trace seconds per stage (a duration).', default: '60s'}),
    'rate-scale': Flags.string({description: 'Multiply the trace\'s arrival rate by this.', default: '1'}),
    speedup: Flags.string({description: 'Play the trace this many times faster (the rate grows by as much).', default: '1'}),
    from: Flags.string({description: 'Skip this much of the trace from its first arrival (trace time, a duration).'}),
    duration: Flags.string({description: 'Length of the test (test time, a duration): cuts a trace replay; required with --rate.'}),
    rate: Flags.string({description: 'Constant arrival rate in requests per second (a plan phase\'s peak) instead of the trace\'s shape.', exclusive: ['plan']}),
    plan: Flags.string({description: 'Plan YAML: a constant rate at --phase\'s planned load (tasks per day / 86,400 × --peak-factor), thresholds from its slo.', dependsOn: ['phase']}),
    phase: Flags.string({description: 'Phase of --plan to test.', dependsOn: ['plan']}),
    'peak-factor': Flags.string({description: 'Peak-to-mean ratio applied to the daily load of a plan phase that records no verified workload (default 1).'}),
    tokens: Flags.string({description: 'Token mix for --rate without --trace: INPUT:OUTPUT pairs, comma-separated.'}),
    'slo-from': Flags.string({description: 'Take thresholds from the slo block of this scenario or plan YAML.'}),
    'e2e-p95': Flags.string({description: 'Threshold: request latency p95 below this (a duration).'}),
    'e2e-p99': Flags.string({description: 'Threshold: request latency p99 below this.'}),
    'ttft-p95': Flags.string({description: 'Threshold: time to first token p95 below this.'}),
    'ttft-p99': Flags.string({description: 'Threshold: time to first token p99 below this.'}),
    'tpot-p95': Flags.string({description: 'Threshold: time per output token p95 below this.'}),
    'error-rate-max': Flags.string({description: 'Threshold: share of failed requests at most this (0.01 = 1%).'}),
    'expected-latency': Flags.string({description: 'Latency of one call used to size the VU pool (default: the p99, else p95 latency SLO, else 10s).'}),
    'request-timeout': Flags.string({description: 'A request slower than this fails (a duration).', default: '60s'}),
    'max-vus': Flags.integer({description: 'Upper bound on k6 VUs.', default: 20_000, min: 1}),
    'max-tasks': Flags.integer({description: 'Token-mix entries kept in requests.json (later iterations reuse them in a cycle).', default: 100_000, min: 1}),
  }

  async run(): Promise<ExportResult> {
    const f = this.flags
    checkOutputDir(f.out)
    if (f.model.trim() === '') throw new InputError({field: '--model'}, 'must name the model the endpoint serves')
    const number = (name: string, text: string): number => {
      const v = Number(text)
      if (!(Number.isFinite(v) && v > 0)) throw new InputError({field: name}, `must be a positive number (got "${text}")`)
      return v
    }
    const durationS = durationFlag('--duration', f.duration)
    let load: LoadProfile | undefined
    let planSlo: LoadSlo = {}
    let rateText = f.rate
    if (f.plan !== undefined) {
      const phases = await readPlanPhases(f.plan)
      const phase = phases.find((p) => p.name === f.phase)
      if (!phase) throw new UnknownNameError('phase', f.phase!, phases.map((p) => p.name), {file: f.plan})
      if (!Number.isFinite(phase.tasksPerDay)) throw new InputError({file: f.plan, field: `phase ${phase.name}`}, 'is triggered by a date, not a load: give --rate')
      planSlo = await readSloFile(f.plan)
      if (phase.workload !== undefined) {
        // The plan records the workload the phase was verified on: replay exactly that.
        if (f['peak-factor'] !== undefined) throw new InputError({field: '--peak-factor'}, `phase ${phase.name} records the peak it was verified at (${phase.workload.callsPerS} calls/s); --peak-factor applies only to plans without a recorded workload`)
        if (f.tokens !== undefined || f.trace !== undefined) throw new InputError({field: f.tokens === undefined ? '--trace' : '--tokens'}, `phase ${phase.name} records the token mix it was verified on; drop ${f.tokens === undefined ? '--trace' : '--tokens'} (or use --rate without --plan)`)
        if (durationS === undefined) throw new InputError({field: '--duration'}, 'a plan phase\'s load test needs a test length (--duration)')
        const tasks = readPhaseWorkloadTasks(dirname(f.plan), phase.workload)
        load = verifiedLoad(phase.workload, tasks, durationS, {plan: f.plan, phase: phase.name})
        rateText = undefined
      } else {
        this.note(`${f.plan}: phase ${phase.name} records no verified workload (a plan written before fleetcap recorded one): sending tasks/day ÷ 86,400 × --peak-factor single requests of --tokens/--trace; re-run \`fleetcap plan\` to replay the planned calls per task, peak and token mix`)
        rateText = String((phase.tasksPerDay / 86_400) * number('--peak-factor', f['peak-factor'] ?? '1'))
      }
    }
    if (load !== undefined) {
      // The plan's verified workload (above).
    } else if (rateText !== undefined) {
      const rate = number('--rate', rateText)
      if (durationS === undefined) throw new InputError({field: '--duration'}, 'a constant rate needs a test length (--duration)')
      let mix: CallShape[][]
      if (f.tokens !== undefined) mix = tokensFlag(f.tokens)
      else if (f.trace !== undefined) mix = (await this.traceLoad({bucketS: 3600, maxDurationS: undefined})).tasks
      else throw new InputError({field: '--tokens'}, 'a constant rate needs a token mix: --trace FILE or --tokens IN:OUT,...')
      load = constantLoad(rate, durationS, mix, {rate, ...(f.trace ? {trace: f.trace} : {}), ...(f.plan ? {plan: f.plan, phase: f.phase!} : {})})
    } else {
      if (f.trace === undefined) throw new InputError({field: '--trace'}, 'give a trace to replay (--trace FILE) or a constant --rate')
      if (f.tokens !== undefined) throw new InputError({field: '--tokens'}, 'only with --rate: a trace replay sends the trace\'s tokens')
      load = await this.traceLoad({bucketS: durationFlag('--bucket', f.bucket)!, maxDurationS: durationS})
    }
    // However the rate came (--rate, a plan phase, a trace sped up or scaled), a load no fleet could be
    // sent is a typo: k6 would plan ~rate × duration iterations.
    if (peakRatePerS(load) > LIMITS.ratePerS) {
      const field = f.plan !== undefined ? '--plan' : rateText !== undefined ? '--rate' : '--speedup/--rate-scale'
      throw new InputError({field}, `a peak of more than ${LIMITS.ratePerS.toLocaleString('en-US')} requests per second (got ${peakRatePerS(load).toPrecision(3)})`)
    }
    const slo: LoadSlo = f['slo-from'] ? await readSloFile(f['slo-from']) : planSlo
    const setS = (key: keyof LoadSlo, flag: string, text: string | undefined): void => {
      if (text !== undefined) slo[key] = durationFlag(flag, text)
    }
    setS('e2eP95S', '--e2e-p95', f['e2e-p95'])
    setS('e2eP99S', '--e2e-p99', f['e2e-p99'])
    setS('ttftP95S', '--ttft-p95', f['ttft-p95'])
    setS('ttftP99S', '--ttft-p99', f['ttft-p99'])
    setS('tpotP95S', '--tpot-p95', f['tpot-p95'])
    if (f['error-rate-max'] !== undefined) {
      const e = Number(f['error-rate-max'])
      if (!(e >= 0 && e <= 1)) throw new InputError({field: '--error-rate-max'}, `must be a share from 0 to 1 (got "${f['error-rate-max']}")`)
      slo.errorRateMax = e
    }
    const exp = renderK6Script(load, {
      endpoint: {
        url: f.url,
        model: f.model,
        api: f.api,
        stream: f.stream,
        streamReader: f['stream-reader'],
        headers: f.header ? parseHeaderFlags(f.header) : {},
        requestTimeoutS: durationFlag('--request-timeout', f['request-timeout'])!,
        ignoreEos: f['ignore-eos'],
      },
      slo,
      expectedLatencyS: durationFlag('--expected-latency', f['expected-latency']) ?? slo.e2eP99S ?? slo.e2eP95S ?? 10,
      maxVUs: f['max-vus'],
    })
    const files = await writeK6Export(f.out, exp)
    const m = exp.meta
    this.say(`${m.executor}: ${m.stages.length} stage(s), ${m.durationS.toFixed(1)} s, peak ${m.peakRatePerS.toFixed(2)} requests/s, ~${Math.round(m.expectedIterations)} iterations`)
    this.say(`VUs: ${m.preAllocatedVUs} pre-allocated, up to ${m.maxVUs}; thresholds: ${Object.entries(m.thresholds).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ') || 'none'}`)
    this.say(`wrote ${files.script}, ${files.data}, ${files.meta}`)
    this.note(`run it: fleetcap k6 run ${f.out}   (or: cd ${f.out} && k6 run load.js)`)
    return {dir: f.out, ...files, meta: m}
  }

  private async traceLoad(o: {bucketS: number; maxDurationS: number | undefined}): Promise<LoadProfile> {
    const f = this.flags
    const reader = readTrace(f.trace!, {format: f.format, mapping: f.map === undefined ? undefined : parseMappingFlag(f.map), skipInvalid: f['skip-invalid']})
    const number = (name: string, text: string): number => {
      const v = Number(text)
      if (!(Number.isFinite(v) && v > 0)) throw new InputError({field: name}, `must be a positive number (got "${text}")`)
      return v
    }
    return loadFromTasks(reader.tasks(), {
      bucketS: o.bucketS,
      rateScale: number('--rate-scale', f['rate-scale']),
      speedup: number('--speedup', f.speedup),
      fromS: durationFlag('--from', f.from) ?? 0,
      maxDurationS: o.maxDurationS,
      maxTasks: f['max-tasks'],
      origin: {trace: f.trace!},
    })
  }
}
