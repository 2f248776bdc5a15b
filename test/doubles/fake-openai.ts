import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {performance} from 'node:perf_hooks'

import {RandomStreams, type Rng} from '../../src/engine/random.js'
import {BatchingReplica, type ReplicaLimits} from '../../src/calibrate/batching-replica.js'
import {countPromptTokens} from '../../src/k6/tokens.js'

/**
 * A small OpenAI-compatible completions server for tests and demos: /v1/completions and
 * /v1/chat/completions, streaming (SSE) or not, on loopback. Its latency follows a serving profile:
 * each replica is a BatchingReplica (continuous batching, the profile's step time) driven by a wall
 * clock, so TTFT, time per output token and queueing respond to load the way a real engine's do.
 *
 * Tokens are words: the prompt's token count is its whitespace-separated words (countPromptTokens,
 * the same rule fleetcap's k6 scripts use to build prompts), and each generated token is one word.
 * `stepScale` makes the server slower or faster than its profile (a known profile error for the
 * calibration tests); `errorRate` fails that share of requests with HTTP 500, drawn from a seeded
 * stream so that the n-th request's fate is the same on every run.
 */
export interface FakeOpenAiOptions {
  profile: ReplicaLimits
  replicas?: number
  stepScale?: number
  errorRate?: number
  seed?: number
  /** Model name the server answers to and reports; requests naming another model get 404. */
  model?: string
  port?: number
  /**
   * Send a stream's headers as soon as the request is admitted, before its first token, as
   * llama.cpp's llama-server does: a client's time to first byte is then not its TTFT.
   */
  headersFirst?: boolean
}

export interface FakeOpenAiServer {
  readonly url: string
  readonly model: string
  /** Arrival times of requests (seconds since the server started), in arrival order. */
  readonly arrivalsS: readonly number[]
  /** Prompt tokens counted per request, in arrival order. */
  readonly promptTokens: readonly number[]
  readonly stats: {completed: number; failed: number; rejected: number}
  close(): Promise<void>
}

interface Pending {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly res: ServerResponse
  readonly kind: 'completion' | 'chat'
  readonly stream: boolean
  readonly includeUsage: boolean
  readonly id: string
  readonly created: number
  started: boolean
}

const MAX_CATCH_UP_MS = 1000

/** Drives one replica in real time: plans a step, sleeps for it, emits its tokens, repeats. */
class WallClockDriver {
  readonly replica: BatchingReplica<Pending>
  private busy = false
  private plannedEndMs = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    limits: ReplicaLimits,
    stepScale: number,
    private readonly emit: (token: {req: Pending; index: number; last: boolean}) => void,
  ) {
    this.replica = new BatchingReplica(limits, stepScale)
  }

  kick(): void {
    if (this.busy) return
    this.plannedEndMs = performance.now()
    this.next()
  }

  private next(): void {
    const durationS = this.replica.step()
    if (durationS === undefined) {
      this.busy = false
      return
    }
    this.busy = true
    // Steps follow each other on a planned schedule: a timer that fires late shortens the wait for
    // the next one, so timer slack and event-loop lag (a busy machine) do not pile up into a slower
    // server than the profile says. Only a stall of over a second resets the schedule.
    const now = performance.now()
    const start = now - this.plannedEndMs > MAX_CATCH_UP_MS ? now : this.plannedEndMs
    this.plannedEndMs = start + durationS * 1000
    this.timer = setTimeout(() => {
      this.timer = undefined
      for (const t of this.replica.finishStep().tokens) this.emit(t)
      this.next()
    }, Math.max(0, this.plannedEndMs - performance.now()))
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
  }
}

const MAX_BODY_BYTES = 64 * 1024 * 1024

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) reject(new Error('body too large'))
      else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

function apiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, {error: {message, type: status >= 500 ? 'server_error' : 'invalid_request_error'}})
}

export async function startFakeOpenAi(options: FakeOpenAiOptions): Promise<FakeOpenAiServer> {
  const model = options.model ?? 'fake-model'
  const replicas = options.replicas ?? 1
  const errorRate = options.errorRate ?? 0
  if (!Number.isInteger(replicas) || replicas < 1) throw new RangeError(`replicas must be an integer >= 1, got ${replicas}`)
  if (!(errorRate >= 0 && errorRate <= 1)) throw new RangeError(`errorRate must be in [0, 1], got ${errorRate}`)
  const errors: Rng = new RandomStreams(options.seed ?? 1).stream('fake-openai-errors')
  const t0 = performance.now()
  const arrivalsS: number[] = []
  const promptTokens: number[] = []
  const stats = {completed: 0, failed: 0, rejected: 0}
  let sequence = 0

  const emit = ({req, index, last}: {req: Pending; index: number; last: boolean}): void => {
    const {res} = req
    if (res.destroyed) return
    if (!req.stream) {
      if (!last) return
      stats.completed++
      const text = ' tok'.repeat(req.outputTokens)
      const usage = {prompt_tokens: req.inputTokens, completion_tokens: req.outputTokens, total_tokens: req.inputTokens + req.outputTokens}
      const choice =
        req.kind === 'chat'
          ? {index: 0, message: {role: 'assistant', content: text}, finish_reason: 'length'}
          : {index: 0, text, finish_reason: 'length'}
      sendJson(res, 200, {id: req.id, object: req.kind === 'chat' ? 'chat.completion' : 'text_completion', created: req.created, model, choices: [choice], usage})
      return
    }
    if (!req.started) {
      // Headers go out with the first token, so a client's time to first byte is the TTFT.
      req.started = true
      res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'})
    }
    const object = req.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion'
    const delta = req.kind === 'chat' ? {index: 0, delta: index === 1 ? {role: 'assistant', content: ' tok'} : {content: ' tok'}} : {index: 0, text: ' tok'}
    const choice = {...delta, finish_reason: last ? 'length' : null}
    res.write(`data: ${JSON.stringify({id: req.id, object, created: req.created, model, choices: [choice]})}\n\n`)
    if (last) {
      stats.completed++
      if (req.includeUsage) {
        const usage = {prompt_tokens: req.inputTokens, completion_tokens: req.outputTokens, total_tokens: req.inputTokens + req.outputTokens}
        res.write(`data: ${JSON.stringify({id: req.id, object, created: req.created, model, choices: [], usage})}\n\n`)
      }
      res.end('data: [DONE]\n\n')
    }
  }

  const drivers = Array.from({length: replicas}, () => new WallClockDriver(options.profile, options.stepScale ?? 1, emit))

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && (path === '/health' || path === '/v1/models')) {
      sendJson(res, 200, path === '/health' ? {status: 'ok'} : {object: 'list', data: [{id: model, object: 'model'}]})
      return
    }
    const kind = path === '/v1/completions' ? 'completion' : path === '/v1/chat/completions' ? 'chat' : undefined
    if (req.method !== 'POST' || kind === undefined) {
      apiError(res, 404, `no route ${req.method} ${path}`)
      return
    }
    const arrival = (performance.now() - t0) / 1000
    let body: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(await readBody(req))
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      body = parsed as Record<string, unknown>
    } catch {
      stats.rejected++
      apiError(res, 400, 'request body is not a JSON object')
      return
    }
    if (body.model !== undefined && body.model !== model) {
      stats.rejected++
      apiError(res, 404, `model "${String(body.model)}" does not exist; this server serves "${model}"`)
      return
    }
    let prompt: string
    if (kind === 'chat') {
      if (!Array.isArray(body.messages)) {
        stats.rejected++
        apiError(res, 400, 'messages must be an array')
        return
      }
      prompt = body.messages.map((m) => (typeof m === 'object' && m !== null && typeof (m as {content?: unknown}).content === 'string' ? (m as {content: string}).content : '')).join(' ')
    } else {
      const p = body.prompt
      prompt = typeof p === 'string' ? p : Array.isArray(p) ? p.filter((x) => typeof x === 'string').join(' ') : ''
    }
    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? 16
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
      stats.rejected++
      apiError(res, 400, 'max_tokens must be an integer >= 1')
      return
    }
    const inputTokens = countPromptTokens(prompt)
    arrivalsS.push(arrival)
    promptTokens.push(inputTokens)
    if (errorRate > 0 && errors.next() < errorRate) {
      stats.failed++
      apiError(res, 500, 'injected failure')
      return
    }
    const streamOptions = body.stream_options as {include_usage?: unknown} | undefined
    const pending: Pending = {
      inputTokens,
      outputTokens: maxTokens,
      res,
      kind,
      stream: body.stream === true,
      includeUsage: streamOptions?.include_usage === true,
      id: `cmpl-${sequence++}`,
      created: 1_700_000_000,
      started: false,
    }
    let driver = drivers[0]
    for (const d of drivers) if (d.replica.load < driver.replica.load) driver = d
    if (options.headersFirst && pending.stream) {
      pending.started = true
      res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'})
      res.flushHeaders()
    }
    driver.replica.enqueue(pending)
    // A client that hangs up (k6 at the end of its graceful stop, a timeout) frees its batch slot.
    res.once('close', () => {
      if (!res.writableFinished) driver.replica.abort(pending)
    })
    driver.kick()
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) apiError(res, 500, error instanceof Error ? error.message : String(error))
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    model,
    arrivalsS,
    promptTokens,
    stats,
    close: async () => {
      for (const d of drivers) d.stop()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Requests per whole second since the server started: index i counts arrivals in [i, i+1). */
export function arrivalsPerSecond(arrivalsS: readonly number[]): number[] {
  const counts: number[] = []
  for (const t of arrivalsS) {
    const i = Math.floor(t)
    while (counts.length <= i) counts.push(0)
    counts[i]++
  }
  return counts
}
