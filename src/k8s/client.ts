import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext} from '@kubernetes/client-node'

import {RandomStreams} from '../engine/random.js'
import {type FleetcapError, InputError, UnreachableError} from '../errors.js'
import {ApiError} from './api-error.js'
import {type ClusterTarget, describe, type KubeList, type KubeObject, type ObjectRef, refOf} from './kube-object.js'
import {inPodWithoutKubeconfig, resolveKubeconfigPath, SERVICEACCOUNT_DIR} from './kubeconfig.js'
import {systemClock} from './clock.js'
import {DEFAULT_RETRY, type RetryEvent, type RetryPolicy, retryable} from './retry.js'

export * from './api-error.js'
export * from './kube-object.js'
export * from './retry.js'

export interface ClientOptions {
  /** Path of the kubeconfig; default $KUBECONFIG (first existing entry), else ~/.kube/config. */
  kubeconfig?: string
  context?: string
  namespace?: string
  /** Per-request limit; the first contact uses at most 7 s so an unreachable cluster fails fast. */
  requestTimeoutMs?: number
  /** Retries after the first contact (connection errors, 5xx, 429): see RetryPolicy. */
  retry?: Partial<RetryPolicy>
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  timeoutMs?: number
  signal?: AbortSignal
  /** Internal: this is the one retry of a read. */
  retried?: boolean
}

interface ResourceInfo {
  plural: string
  namespaced: boolean
}

/** Counts of the requests a client made, by HTTP method (the benchmark reports them). */
export interface RequestCounts {
  total: number
  byMethod: Record<string, number>
}

/** First contact: short enough that the whole command fails within 10 s when nothing answers. */
const CONNECT_TIMEOUT_MS = 7_000

/**
 * A small JSON client over @kubernetes/client-node's KubeConfig (auth, TLS) and its fetch library.
 * It keeps objects as plain JSON (no typed models, which would drop or reshape fields we snapshot),
 * speaks every patch type (server-side apply included), counts requests and turns network failures
 * into one clear error. Credentials never appear in its messages.
 */
export class KubeClient {
  readonly target: ClusterTarget
  readonly counts: RequestCounts = {total: 0, byMethod: {}}
  private readonly kc: KubeConfig
  private readonly http = new IsomorphicFetchHttpLibrary()
  private readonly resources = new Map<string, Promise<Map<string, ResourceInfo>>>()
  private readonly requestTimeoutMs: number
  private dispatcher: unknown
  private contacted = false
  /** Retries after the first contact; tests shorten it, the CLI takes --retry-for. */
  retry: RetryPolicy = {...DEFAULT_RETRY}
  /** Called before each retry (the CLI prints it). */
  onRetry: ((e: RetryEvent) => void) | undefined
  /** Jitter for retry delays: a seeded stream per process, so two clients that fail together spread out. */
  private readonly jitter = new RandomStreams(process.pid).stream('k8s-retry-jitter')

  private constructor(kc: KubeConfig, target: ClusterTarget, requestTimeoutMs: number) {
    this.kc = kc
    this.target = target
    this.requestTimeoutMs = requestTimeoutMs
  }

  static load(options: ClientOptions = {}): KubeClient {
    if (options.kubeconfig === undefined && inPodWithoutKubeconfig()) return KubeClient.inCluster(options)
    const path = resolveKubeconfigPath(options.kubeconfig)
    const kc = new KubeConfig()
    try {
      kc.loadFromString(readFileSync(path, 'utf8'))
      kc.makePathsAbsolute(join(path, '..'))
    } catch (error) {
      // The parser's message may quote the file (tokens included): keep only a line number.
      const line = /line (\d+)/.exec(String((error as Error).message))?.[1]
      throw new InputError({file: path, line: line === undefined ? undefined : Number(line)}, 'not a valid kubeconfig (YAML or structure error)')
    }
    const contexts = kc.getContexts().map((c) => c.name)
    if (contexts.length === 0) throw new InputError({file: path}, 'kubeconfig has no contexts')
    if (options.context !== undefined) {
      if (!contexts.includes(options.context)) {
        throw new InputError({file: path}, `unknown context "${options.context}"; known: ${contexts.join(', ')}`, {hint: 'pass one of these to --context'})
      }
      kc.setCurrentContext(options.context)
    }
    const contextName = kc.getCurrentContext()
    const context = contextName ? kc.getContextObject(contextName) : null
    if (!context) throw new InputError({file: path, field: 'current-context'}, 'no current context; pass --context', {hint: `contexts: ${contexts.join(', ')}`})
    const cluster = kc.getCluster(context.cluster)
    if (!cluster?.server) throw new InputError({file: path, field: `contexts[${contextName}].cluster`}, `cluster "${context.cluster}" not found or has no server`)
    const target: ClusterTarget = {
      server: cluster.server.replace(/\/+$/, ''),
      context: contextName,
      cluster: context.cluster,
      user: context.user,
      namespace: options.namespace ?? context.namespace ?? 'default',
      kubeconfig: path,
    }
    const client = new KubeClient(kc, target, options.requestTimeoutMs ?? 30_000)
    client.retry = {...DEFAULT_RETRY, ...options.retry}
    return client
  }

  /** In a pod: the API server from KUBERNETES_SERVICE_HOST/PORT, the pod's ServiceAccount token and CA. */
  static inCluster(options: ClientOptions = {}): KubeClient {
    const kc = new KubeConfig()
    kc.loadFromCluster()
    const cluster = kc.getCurrentCluster()
    let namespace = options.namespace
    try {
      namespace ??= readFileSync(`${SERVICEACCOUNT_DIR}/namespace`, 'utf8').trim()
    } catch {
      namespace ??= 'default'
    }
    const target: ClusterTarget = {server: (cluster?.server ?? '').replace(/\/+$/, ''), context: 'in-cluster', cluster: 'in-cluster', user: 'serviceaccount', namespace, kubeconfig: SERVICEACCOUNT_DIR}
    const client = new KubeClient(kc, target, options.requestTimeoutMs ?? 30_000)
    client.retry = {...DEFAULT_RETRY, ...options.retry}
    return client
  }

  /** One API call; `what` names it in errors ("apply Deployment default/x"). Returns the parsed JSON body. */
  async request<T = unknown>(method: keyof typeof HttpMethod, path: string, what: string, options: RequestOptions = {}): Promise<T> {
    let first: number | undefined
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.requestOnce<T>(method, path, what, options)
      } catch (error) {
        const retry = this.contacted && !options.signal?.aborted ? retryable(error, method) : undefined
        if (retry === undefined) throw error
        const now = Date.now()
        first ??= now
        const elapsedMs = now - first
        const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1))
        // Full jitter over the upper half: spread out, never hammer; Retry-After (429/503) wins.
        const delayMs = retry.afterMs ?? Math.round(backoff * (0.5 + 0.5 * this.jitter.next()))
        if (elapsedMs + delayMs > this.retry.budgetMs) throw error
        this.onRetry?.({what, reason: retry.reason, attempt, delayMs, elapsedMs, budgetMs: this.retry.budgetMs})
        await systemClock.sleep(delayMs, options.signal)
      }
    }
  }

  private async requestOnce<T>(method: keyof typeof HttpMethod, path: string, what: string, options: RequestOptions): Promise<T> {
    const url = new URL(this.target.server + path)
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    const ctx = new RequestContext(url.toString(), HttpMethod[method])
    ctx.setHeaderParam('Accept', 'application/json')
    if (options.body !== undefined) {
      ctx.setHeaderParam('Content-Type', options.contentType ?? 'application/json')
      ctx.setBody(typeof options.body === 'string' ? options.body : JSON.stringify(options.body))
    }
    await this.kc.applySecurityAuthentication(ctx)
    // One dispatcher (connection pool) for the client's life, not a new TLS connection per call.
    if (this.dispatcher === undefined) this.dispatcher = ctx.getDispatcher()
    else ctx.setDispatcher(this.dispatcher as Parameters<RequestContext['setDispatcher']>[0])
    const timeoutMs = Math.min(options.timeoutMs ?? this.requestTimeoutMs, this.contacted ? Infinity : CONNECT_TIMEOUT_MS)
    const signals = [AbortSignal.timeout(timeoutMs)]
    if (options.signal) signals.push(options.signal)
    ctx.setSignal(AbortSignal.any(signals))
    this.counts.total++
    this.counts.byMethod[method] = (this.counts.byMethod[method] ?? 0) + 1
    let status: number
    let text: string
    let retryAfter: string | undefined
    try {
      const response = await this.http.send(ctx).toPromise()
      status = response.httpStatusCode
      text = await response.body.text()
      retryAfter = response.headers['retry-after'] ?? response.headers['Retry-After']
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error
      const failure = this.networkError(error, what, timeoutMs)
      // A pooled connection the server closed (it restarted): a read is safe to send once more.
      if (method === 'GET' && !options.retried && /connection reset|other side closed/.test(failure.message)) {
        return this.requestOnce<T>(method, path, what, {...options, retried: true})
      }
      throw failure
    }
    this.contacted = true
    let body: unknown
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      body = undefined
    }
    if (status >= 200 && status < 300) return body as T
    const s = (body ?? {}) as {reason?: string; message?: string; details?: ApiError['details']}
    const failure = new ApiError(status, s.reason ?? '', s.message ?? text.slice(0, 200), s.details, what)
    failure.retryAfterS = retryAfter === undefined ? undefined : Number(retryAfter)
    throw failure
  }

  /** Checks the cluster answers (GET /version), within 7 s. */
  async version(signal?: AbortSignal): Promise<{gitVersion: string}> {
    return this.request('GET', '/version', 'read the server version', {timeoutMs: CONNECT_TIMEOUT_MS, signal})
  }

  /** The REST path of an object (or of its collection when `name` is omitted), via API discovery (cached). */
  async path(apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string> {
    const info = await this.resource(apiVersion, kind)
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
    const ns = info.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? this.target.namespace)}` : ''
    return `${base}${ns}/${info.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)).namespaced
  }

  /** GET an object; null when it does not exist. */
  async get<T extends KubeObject = KubeObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T | null> {
    try {
      return await this.request<T>('GET', await this.path(ref.apiVersion, ref.kind, ref.namespace, ref.name), `read ${describe(ref)}`, {signal})
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null
      throw error
    }
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    query: {labelSelector?: string; fieldSelector?: string} = {},
    signal?: AbortSignal,
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', await this.path(apiVersion, kind, namespace), `list ${kind} in ${namespace ?? 'the cluster'}`, {query, signal})
  }

  /** Server-side apply with field manager `manager`. `dryRun` persists nothing; `force` takes conflicting fields over. */
  async apply<T extends KubeObject = KubeObject>(
    object: KubeObject,
    options: {manager: string; force?: boolean; dryRun?: boolean; signal?: AbortSignal; subresource?: string},
  ): Promise<T> {
    const path = await this.path(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name)
    return this.request<T>('PATCH', path + (options.subresource ? `/${options.subresource}` : ''), `${options.dryRun ? 'dry-run apply' : 'apply'} ${describe(refOf(object))}`, {
      query: {fieldManager: options.manager, force: options.force ? true : undefined, dryRun: options.dryRun ? 'All' : undefined},
      body: object,
      contentType: 'application/apply-patch+yaml',
      signal: options.signal,
    })
  }

  /** DELETE; false when it was already gone. */
  async delete(ref: ObjectRef, options: {signal?: AbortSignal; preconditionResourceVersion?: string} = {}): Promise<boolean> {
    try {
      await this.request('DELETE', await this.path(ref.apiVersion, ref.kind, ref.namespace, ref.name), `delete ${describe(ref)}`, {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: 'Background',
          preconditions: options.preconditionResourceVersion ? {resourceVersion: options.preconditionResourceVersion} : undefined,
        },
        signal: options.signal,
      })
      return true
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return false
      throw error
    }
  }

  /** Drop the pooled connections (tests restart the API server). */
  async close(): Promise<void> {
    const d = this.dispatcher as {close?: () => Promise<void>} | undefined
    this.dispatcher = undefined
    await d?.close?.().catch(() => undefined)
  }

  private async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let table = this.resources.get(apiVersion)
    if (!table) {
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
      table = this.request<{resources: Array<{name: string; kind: string; namespaced: boolean}>}>('GET', base, `discover ${apiVersion}`).then(
        (list) => new Map(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, {plural: r.name, namespaced: r.namespaced}])),
      )
      this.resources.set(apiVersion, table)
      table.catch(() => this.resources.delete(apiVersion))
    }
    let resources: Map<string, ResourceInfo>
    try {
      resources = await table
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) throw new InputError({field: 'apiVersion'}, `the cluster does not serve ${apiVersion}`)
      throw error
    }
    const info = resources.get(kind)
    if (!info) throw new InputError({field: 'kind'}, `the cluster serves no kind ${kind} in ${apiVersion}`)
    return info
  }

  private networkError(error: unknown, what: string, timeoutMs: number): FleetcapError {
    const e = error as Error & {cause?: {code?: string; message?: string}; code?: string}
    const code = e.cause?.code ?? e.code ?? ''
    const where = `the Kubernetes API at ${this.target.server} (context ${this.target.context})`
    let why: string
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT') why = `no answer within ${Math.round(timeoutMs / 1000)} s`
    else if (code === 'ECONNREFUSED') why = 'connection refused'
    else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') why = 'host not found'
    else if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') why = `connection reset (${e.cause?.message ?? code})`
    else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) why = `TLS verification failed (${code})`
    else why = (e.cause?.message ?? e.message ?? String(error)).split('\n')[0]
    return new UnreachableError(`cannot reach ${where} to ${what}: ${why}`, {
      hint: 'check that the cluster is up and that --kubeconfig/--context point at it',
      cause: error,
    })
  }
}
