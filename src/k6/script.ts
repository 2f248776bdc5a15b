import {FleetcapError} from '../errors.js'
import type {LoadSlo} from '../slo/schema.js'
import {STREAM_MODULE} from './binary.js'
import {type LoadProfile, peakRatePerS, totalDurationS} from './load.js'

/** The SLO fields a load test checks (src/slo/schema.ts). */
export type {LoadSlo} from '../slo/schema.js'

/** Where and how the script sends requests. */
export interface EndpointOptions {
  /** Base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:8000 (no /v1 suffix). */
  url: string
  model: string
  api: 'completions' | 'chat'
  /** Ask for SSE streaming, which gives TTFT and time per output token. */
  stream: boolean
  /**
   * Read the stream with fleetcap's k6 extension (k6/x/fleetcap-stream, scripts/k6-stream), which
   * times each event as it arrives: true TTFT and inter-token gaps (metric itl). Without it k6
   * sees the body only when it ends and TTFT is the time to the response headers, which servers
   * such as llama-server send before the first token. Needs the extended k6 binary.
   */
  streamReader?: boolean
  headers: Record<string, string>
  /** Per-request timeout: a request that takes longer counts as an error. */
  requestTimeoutS: number
  /**
   * Send vLLM's `ignore_eos` so the server generates all `max_tokens` (the trace's output length).
   * Default true; turn off for servers that reject unknown fields.
   */
  ignoreEos?: boolean
}

/**
 * The service-level objectives a load test checks, as k6 thresholds; latencies in seconds, named as
 * a scenario's `slo` block names them. e2e is one request's latency (k6's http_req_duration of the
 * successful LLM requests).
 */

export interface ScriptOptions {
  endpoint: EndpointOptions
  slo: LoadSlo
  /** Latency one call is expected to take, for sizing the VU pool (Little's law). */
  expectedLatencyS: number
  /** Head-room on the Little's-law VU count. */
  vuSafety?: number
  /** Upper bound on VUs (each costs k6 memory); the pool is at least the pre-allocated VUs. */
  maxVUs?: number
  /** Seconds k6 lets in-flight iterations finish after the last stage. */
  gracefulStopS?: number
}

/** What the export writes: the script, its data file and the figures the script was sized with. */
export interface K6Export {
  script: string
  data: string
  meta: K6ExportMeta
}

export interface K6ExportMeta {
  executor: LoadProfile['executor']
  timeUnit: string
  /** Stage targets as k6 gets them: iterations per timeUnit (integers). */
  stages: Array<{durationS: number; target: number}>
  durationS: number
  gracefulStopS: number
  peakRatePerS: number
  preAllocatedVUs: number
  maxVUs: number
  expectedIterations: number
  thresholds: Record<string, string[]>
  endpoint: Omit<EndpointOptions, 'headers'> & {headerNames: string[]}
  origin: Record<string, string | number>
}

export const SCRIPT_FILE = 'load.js'
export const DATA_FILE = 'requests.json'
export const META_FILE = 'load-meta.json'

const TIME_UNITS: Array<[string, number]> = [
  ['1s', 1],
  ['10s', 10],
  ['1m', 60],
  ['10m', 600],
  ['1h', 3600],
]

/**
 * k6 takes arrival rates as whole iterations per timeUnit. Pick the shortest unit at which every
 * stage's rate rounds to within 1% of itself (a finer unit spreads iterations more evenly).
 */
export function chooseTimeUnit(ratesPerS: readonly number[]): [string, number] {
  for (const unit of TIME_UNITS) {
    const ok = ratesPerS.every((r) => r === 0 || Math.abs(Math.round(r * unit[1]) - r * unit[1]) <= 0.01 * r * unit[1])
    if (ok) return unit
  }
  return TIME_UNITS[TIME_UNITS.length - 1]
}

function ms(seconds: number): string {
  return String(Math.round(seconds * 1000 * 1000) / 1000)
}

/**
 * Always-true thresholds that make k6 keep the kind:llm sub-metrics in its summary (it reports a
 * tagged sub-metric only when a threshold names it), so the probe request never counts as load.
 */
export const LLM_REQUESTS = 'http_reqs{kind:llm}'
/** Latency of the LLM requests that succeeded: a fast HTTP 500 must not make latency look good. */
export const LLM_LATENCY = 'http_req_duration{kind:llm,expected_response:true}'
export const TRACKING_THRESHOLDS: Record<string, string[]> = {
  [LLM_REQUESTS]: ['count>=0'],
  [LLM_LATENCY]: ['max>=0'],
}

export function thresholdsFor(slo: LoadSlo): Record<string, string[]> {
  const t: Record<string, string[]> = {}
  const duration: string[] = []
  if (slo.e2eP95S !== undefined) duration.push(`p(95)<${ms(slo.e2eP95S)}`)
  if (slo.e2eP99S !== undefined) duration.push(`p(99)<${ms(slo.e2eP99S)}`)
  if (duration.length > 0) t[LLM_LATENCY] = duration
  const ttft: string[] = []
  if (slo.ttftP95S !== undefined) ttft.push(`p(95)<${ms(slo.ttftP95S)}`)
  if (slo.ttftP99S !== undefined) ttft.push(`p(99)<${ms(slo.ttftP99S)}`)
  if (ttft.length > 0) t.ttft = ttft
  if (slo.tpotP95S !== undefined) t.tpot = [`p(95)<${ms(slo.tpotP95S)}`]
  if (slo.errorRateMax !== undefined) t.errors = [`rate<=${slo.errorRateMax}`]
  return t
}

function validate(load: LoadProfile, options: ScriptOptions): void {
  let url: URL
  try {
    url = new URL(options.endpoint.url)
  } catch {
    throw new FleetcapError(`--url: "${options.endpoint.url}" is not a URL`, {hint: 'e.g. --url http://127.0.0.1:8000'})
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FleetcapError(`--url: ${options.endpoint.url} is not http(s)`)
  if (load.stages.length === 0) throw new FleetcapError('the load has no stages')
  if (!(options.expectedLatencyS > 0)) throw new FleetcapError(`expected latency must be > 0 s, got ${options.expectedLatencyS}`)
  if (!(options.endpoint.requestTimeoutS > 0)) throw new FleetcapError(`request timeout must be > 0 s, got ${options.endpoint.requestTimeoutS}`)
  const e = options.slo.errorRateMax
  if (e !== undefined && !(e >= 0 && e <= 1)) throw new FleetcapError(`max error rate must be in [0, 1], got ${e}`)
}

// The parts of the script that differ between plain k6 (http.post, the body at its end) and the
// stream reader (k6/x/fleetcap-stream, each event as it arrives).
const PLAIN_IMPORTS = "import { Counter, Rate, Trend } from 'k6/metrics';"
const STREAM_IMPORTS = `import { Counter, Rate } from 'k6/metrics';
// fleetcap's k6 extension (scripts/k6-stream): run with the k6 that scripts/test-deps/k6-stream.sh builds.
import stream from '${STREAM_MODULE}';`
const PLAIN_METRICS = `// Custom metrics: time to first token and time per output token need a streamed response.
const ttft = new Trend('ttft', true);
const tpot = new Trend('tpot', true);
const outputTokens = new Counter('output_tokens');`
const STREAM_METRICS = `// The stream reader records ttft, itl (each inter-token gap), tpot and output_tokens itself.`
const PLAIN_HELPERS = `/**
 * The completion tokens a response reports (usage), else the streamed chunks with text.
 * @param {string} body
 */
function streamedTokens(body) {
  let chunks = 0;
  const events = body.split('\\n\\n');
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.indexOf('"usage"') >= 0 && e.indexOf('"completion_tokens"') >= 0) {
      const usage = JSON.parse(e.slice(e.indexOf('{'))).usage;
      if (usage && typeof usage.completion_tokens === 'number') return { tokens: usage.completion_tokens, done: body.indexOf('[DONE]') >= 0 };
    }
  }
  for (const e of events) if (e.startsWith('data: {') && e.indexOf('"choices":[]') < 0) chunks++;
  return { tokens: chunks, done: body.indexOf('[DONE]') >= 0 };
}

`
const PLAIN_CALL = `    const res = http.post(BASE_URL + CONFIG.path, JSON.stringify(body), {
      headers: HEADERS,
      timeout: CONFIG.requestTimeout,
      tags: { kind: 'llm' },
      responseType: 'text',
    });
    let ok = res.status === 200;
    let tokens = 0;
    // A server that ignores stream: true answers with plain JSON: read it as such.
    const sse = String(res.headers['Content-Type'] || '').indexOf('text/event-stream') >= 0;
    if (ok && sse) {
      const s = streamedTokens(String(res.body));
      tokens = s.tokens;
      ok = s.done && tokens > 0;
      if (ok) {
        // The time to the response headers: TTFT only where the server sends them with the first
        // token (llama-server sends them before; export with the stream reader for it).
        ttft.add(res.timings.waiting, { kind: 'llm' });
        if (tokens > 1) tpot.add(res.timings.receiving / (tokens - 1), { kind: 'llm' });
      }
    } else if (ok) {
      const usage = res.json('usage');
      tokens = usage && typeof usage === 'object' && 'completion_tokens' in usage ? Number(usage.completion_tokens) : 0;
    }
    errors.add(!ok, { kind: 'llm' });
    if (ok) {
      outputTokens.add(tokens);
      inputTokens.add(inTokens);
    }
  }
`
const STREAM_CALL = `    const res = stream.post(BASE_URL + CONFIG.path, JSON.stringify(body), {
      headers: HEADERS,
      timeoutMs: CONFIG.requestTimeoutMs,
      tags: { kind: 'llm' },
    });
    const ok = res.status === 200 && res.done && res.tokens > 0;
    errors.add(!ok, { kind: 'llm' });
    if (ok) inputTokens.add(inTokens);
  }
`

/**
 * Render the k6 script (an ES module, type-checked against @types/k6 through JSDoc and `// @ts-check`)
 * and its data file. Deterministic: the same load and options give byte-identical files.
 */
export function renderK6Script(load: LoadProfile, options: ScriptOptions): K6Export {
  validate(load, options)
  const rates = load.stages.map((s) => s.ratePerS)
  const [timeUnit, unitS] = chooseTimeUnit(rates)
  const stages = load.stages.map((s) => ({durationS: s.durationS, target: Math.round(s.ratePerS * unitS)}))
  const peak = peakRatePerS(load)
  // Little's law: VUs busy at once = arrival rate × time an iteration takes (its calls and waits).
  const meanCalls = load.tasks.reduce((s, t) => s + t.length, 0) / load.tasks.length
  const meanDelay = load.tasks.reduce((s, t) => s + t.reduce((d, c) => d + c[2], 0), 0) / load.tasks.length
  const iterationS = options.expectedLatencyS * meanCalls + meanDelay
  const safety = options.vuSafety ?? 1.5
  const cap = options.maxVUs ?? 20_000
  const preAllocatedVUs = Math.min(cap, Math.max(1, Math.ceil(peak * iterationS * safety)))
  // Beyond the plan, VUs cover requests that take up to the timeout, so a slow server shows up as
  // latency (and failed thresholds) before k6 starts dropping iterations.
  const maxVUs = Math.min(cap, Math.max(preAllocatedVUs, Math.ceil(peak * options.endpoint.requestTimeoutS * meanCalls)))
  const gracefulStopS = options.gracefulStopS ?? Math.ceil(options.endpoint.requestTimeoutS)
  const thresholds = thresholdsFor(options.slo)
  const k6Thresholds: Record<string, string[]> = {...TRACKING_THRESHOLDS}
  for (const [metric, exprs] of Object.entries(thresholds)) k6Thresholds[metric] = [...(k6Thresholds[metric] ?? []), ...exprs]
  const durationS = totalDurationS(load)
  const expectedIterations = stages.reduce((s, st) => s + (st.target / unitS) * st.durationS, 0)

  const scenario =
    load.executor === 'constant-arrival-rate'
      ? {
          executor: 'constant-arrival-rate',
          rate: stages[0].target,
          timeUnit,
          duration: `${ms(durationS)}ms`,
          preAllocatedVUs,
          maxVUs,
          gracefulStop: `${gracefulStopS}s`,
        }
      : {
          executor: 'ramping-arrival-rate',
          startRate: stages[0].target,
          timeUnit,
          preAllocatedVUs,
          maxVUs,
          gracefulStop: `${gracefulStopS}s`,
          // A zero-length stage jumps to the bucket's rate; the next holds it: a step function,
          // not k6's linear ramp between targets.
          stages: stages.flatMap((s) => [
            {duration: '0s', target: s.target},
            {duration: `${ms(s.durationS)}ms`, target: s.target},
          ]),
        }

  const streamReader = options.endpoint.stream && options.endpoint.streamReader === true
  const config = {
    url: options.endpoint.url.replace(/\/+$/, ''),
    path: options.endpoint.api === 'chat' ? '/v1/chat/completions' : '/v1/completions',
    model: options.endpoint.model,
    api: options.endpoint.api,
    stream: options.endpoint.stream,
    headers: options.endpoint.headers,
    requestTimeout: `${ms(options.endpoint.requestTimeoutS)}ms`,
    ignoreEos: options.endpoint.ignoreEos ?? true,
    ...(streamReader ? {streamReader, requestTimeoutMs: Math.round(options.endpoint.requestTimeoutS * 1000)} : {}),
  }
  const k6Options = {
    scenarios: {replay: scenario},
    thresholds: k6Thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
    setupTimeout: '30s',
    noConnectionReuse: false,
  }
  const originLines = Object.entries(load.origin)
    .map(([k, v]) => `//   ${k}: ${String(v).replace(/[\r\n]/g, ' ')}`)
    .join('\n')

  const script = `// @ts-check
// Generated by \`fleetcap k6 export\`; regenerate rather than edit. Replays a load against an
// OpenAI-compatible ${config.path} endpoint: ${load.executor}, ${stages.length} stage(s),
// ${ms(durationS / 1000)} s, peak ${peak.toFixed(3)} requests/s, ${load.tasks.length} task shapes.
${originLines}
// Run: k6 run ${SCRIPT_FILE}   (env: FLEETCAP_URL, FLEETCAP_HEADERS as JSON, FLEETCAP_SUMMARY)
import http from 'k6/http';
import exec from 'k6/execution';
import { sleep } from 'k6';
import { SharedArray } from 'k6/data';
${streamReader ? STREAM_IMPORTS : PLAIN_IMPORTS}

const CONFIG = ${JSON.stringify(config, null, 2)};
const BASE_URL = __ENV.FLEETCAP_URL || CONFIG.url;
/** @type {Record<string, string>} */
const HEADERS = Object.assign({ 'content-type': 'application/json' }, CONFIG.headers, __ENV.FLEETCAP_HEADERS ? JSON.parse(__ENV.FLEETCAP_HEADERS) : {});
const SUMMARY_FILE = __ENV.FLEETCAP_SUMMARY || 'summary.json';

/** Token mix: per task, its calls as [input tokens, output tokens, seconds to wait before the call]. */
const TASKS = new SharedArray('tasks', function () {
  /** @type {{tasks: number[][][]}} */
  const data = JSON.parse(open(__ENV.FLEETCAP_DATA || './${DATA_FILE}'));
  return data.tasks;
});

${streamReader ? STREAM_METRICS : PLAIN_METRICS}
const errors = new Rate('errors');
const inputTokens = new Counter('input_tokens');

/** @type {import('k6/options').Options} */
export const options = ${JSON.stringify(k6Options, null, 2)};

/**
 * A prompt of n tokens, counted as words: a first word unique to the request and the run (no
 * shared prefix for a prefix cache to reuse, not even with an earlier run of this script) and
 * n - 1 copies of " the", one token in common BPE vocabularies.
 * @param {number} n
 * @param {number} iteration
 * @param {string} run
 */
function prompt(n, iteration, run) {
  return n <= 0 ? '' : 'r' + iteration + '.' + run + ' the'.repeat(n - 1);
}

${streamReader ? '' : PLAIN_HELPERS}export function setup() {
  // Fail fast, with a reason, when nothing answers at the URL: no point in minutes of timeouts.
  const probe = http.get(BASE_URL + '/v1/models', { headers: HEADERS, timeout: '5s', tags: { kind: 'probe' } });
  if (probe.status === 0) {
    exec.test.abort('endpoint unreachable: ' + BASE_URL + ': ' + probe.error);
  }
  // This run's mark in every prompt (FLEETCAP_RUN fixes it, e.g. to replay a run byte for byte).
  return { run: __ENV.FLEETCAP_RUN || (Date.now() % 46656).toString(36) };
}

/** @param {{run: string}} data */
export default function (data) {
  const iteration = exec.scenario.iterationInTest;
  const task = TASKS[iteration % TASKS.length];
  for (let c = 0; c < task.length; c++) {
    const [inTokens, outTokens, delayS] = task[c];
    if (c > 0 && delayS > 0) sleep(delayS);
    // Every sample of this call carries its id (k6 metadata: no time series per id), so that
    // \`fleetcap calibrate --k6-json\` can join each measured request with its simulated twin.
    exec.vu.metrics.metadata['fleetcap_call'] = iteration + '.' + c;
    const text = prompt(inTokens, iteration, data.run);
    /** @type {Record<string, unknown>} */
    const body = { model: CONFIG.model, max_tokens: outTokens, temperature: 0, stream: CONFIG.stream };
    if (CONFIG.ignoreEos) body.ignore_eos = true;
    if (CONFIG.stream) body.stream_options = { include_usage: true };
    if (CONFIG.api === 'chat') body.messages = [{ role: 'user', content: text }];
    else body.prompt = text;
${streamReader ? STREAM_CALL : PLAIN_CALL}  delete exec.vu.metrics.metadata['fleetcap_call'];
}

/** @param {Record<string, any>} data */
export function handleSummary(data) {
  const m = data.metrics;
  const d = m['http_req_duration{kind:llm,expected_response:true}'] || m.http_req_duration;
  const lines = [
    'fleetcap load: ' + (m.iterations ? m.iterations.values.count : 0) + ' iterations, ' +
      (m.dropped_iterations ? m.dropped_iterations.values.count : 0) + ' dropped, error rate ' +
      (m.errors ? m.errors.values.rate : 0),
    'latency p95 ' + (d ? d.values['p(95)'] : 'n/a') + ' ms, p99 ' + (d ? d.values['p(99)'] : 'n/a') + ' ms',
  ];
  /** @type {Record<string, string>} */
  const out = { stdout: lines.join('\\n') + '\\n' };
  out[SUMMARY_FILE] = JSON.stringify(data, null, 2);
  return out;
}
`
  const data = `${JSON.stringify({tasks: load.tasks})}\n`
  const meta: K6ExportMeta = {
    executor: load.executor,
    timeUnit,
    stages,
    durationS,
    gracefulStopS,
    peakRatePerS: peak,
    preAllocatedVUs,
    maxVUs,
    expectedIterations,
    thresholds,
    endpoint: {
      url: config.url,
      model: options.endpoint.model,
      api: options.endpoint.api,
      stream: options.endpoint.stream,
      requestTimeoutS: options.endpoint.requestTimeoutS,
      headerNames: Object.keys(options.endpoint.headers).sort(),
    },
    origin: load.origin,
  }
  return {script, data, meta}
}
