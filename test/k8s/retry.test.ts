/**
 * The client's retries (issue 13 item 8) against a real HTTP server on loopback that misbehaves on
 * purpose: 429 with Retry-After, 503, a connection reset, a refused connection. Which calls are sent
 * again is the point: a read or a server-side apply may repeat, a create whose connection reset may
 * have landed must not. Also: the stale-lock judgement and a namespace refused before connecting.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {UnreachableError} from '../../src/errors.js'
import {ApiError, KubeClient, type RetryEvent} from '../../src/k8s/client.js'
import {holderIdentity, holderIsDead} from '../../src/k8s/lock.js'
import {ROOT, runCli} from '../helpers/cli.js'

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void
let server: Server | undefined

async function serve(handler: Handler): Promise<KubeClient> {
  let n = 0
  server = createServer((req, res) => {
    if (req.url === '/version') return void res.end(JSON.stringify({gitVersion: 'v1.34.4'}))
    if (req.url === '/api/v1') return void res.end(JSON.stringify({resources: [{name: 'configmaps', kind: 'ConfigMap', namespaced: true}]}))
    handler(req, res, ++n)
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()))
  const {port} = server.address() as AddressInfo
  const dir = mkdtempSync(join(tmpdir(), 'fleetcap-retry-'))
  const kubeconfig = join(dir, 'kubeconfig')
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: ns}}]\ncurrent-context: x\n`,
  )
  const client = KubeClient.load({kubeconfig, retry: {baseDelayMs: 20, maxDelayMs: 200, budgetMs: 3_000}})
  await client.version()
  return client
}

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  server = undefined
})

const cm = {apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'x'}
const ok = (res: ServerResponse) => res.end(JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x', namespace: 'ns'}}))

describe('API retries with backoff', () => {
  it('waits out 429 with Retry-After and 503, then succeeds', async () => {
    const seen: RetryEvent[] = []
    const client = await serve((_req, res, n) => {
      if (n === 1) return void res.writeHead(429, {'retry-after': '1', 'content-type': 'application/json'}).end('{"reason":"TooManyRequests"}')
      if (n === 2) return void res.writeHead(503).end()
      ok(res)
    })
    client.onRetry = (e) => seen.push(e)
    const t0 = Date.now()
    expect((await client.get(cm))?.metadata.name).toBe('x')
    expect(seen.map((e) => e.reason)).toEqual(['HTTP 429, Retry-After 1 s', 'HTTP 503'])
    // Retry-After is honoured: a second, not the 20 ms backoff.
    expect(seen[0].delayMs).toBe(1000)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
  })

  it('sends a read again after a connection reset, but not a create that may have landed', async () => {
    const client = await serve((req, res, n) => {
      if (n === 1 || req.method === 'POST') return void req.socket.destroy()
      ok(res)
    })
    const seen: string[] = []
    client.onRetry = (e) => seen.push(`${e.what}: ${e.reason}`)
    expect(await client.get(cm)).not.toBeNull()
    const post = await client.request('POST', '/api/v1/namespaces/ns/configmaps', 'create ConfigMap ns/x', {body: {}}).catch((e: unknown) => e)
    expect(post).toBeInstanceOf(UnreachableError)
    expect(seen.filter((s) => s.startsWith('create'))).toEqual([])
  })

  it('gives up after the budget with the last error, and never retries a 409 or 422', async () => {
    const client = await serve((_req, res) => void res.writeHead(503).end())
    const t0 = Date.now()
    const e = await client.get(cm).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ApiError)
    expect((e as ApiError).status).toBe(503)
    expect(Date.now() - t0).toBeLessThan(3_500)
    await new Promise<void>((r) => server!.close(() => r()))
    let count = 0
    const again = await serve((_req, res) => {
      count++
      res.writeHead(409, {'content-type': 'application/json'}).end('{"reason":"Conflict","message":"the object has been modified"}')
    })
    expect(await again.get(cm).catch((x: unknown) => (x as ApiError).status)).toBe(409)
    expect(count).toBe(1)
  })
})

describe('stale lock judgement', () => {
  it('a holder on this host whose process is gone is dead; a live one, or another host\'s, is not', async () => {
    const child = spawn(process.execPath, ['-e', '0'])
    await new Promise((r) => child.on('close', r))
    expect(holderIsDead(holderIdentity(child.pid!))).toBe(true)
    expect(holderIsDead(holderIdentity(process.pid))).toBe(false)
    expect(holderIsDead(holderIdentity(process.ppid))).toBe(false)
    expect(holderIsDead(`not-${hostname()}/pid-${child.pid}`)).toBe(false)
    expect(holderIsDead('test-holder')).toBe(false)
  })
})

describe('apply-to-cluster input checks', () => {
  it('refuses a namespace that is not a DNS label before connecting (exit 2)', () => {
    const r = runCli(['apply-to-cluster', join(ROOT, 'test/fixtures/plans/two-phase'), '--kubeconfig', '/nonexistent/kubeconfig', '-n', 'Bad_NS', '--yes'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^Error: --namespace: "Bad_NS" is not a namespace name/m)
  })
})
