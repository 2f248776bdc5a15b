import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createServer} from 'node:net'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {fleetcapCacheDir} from '../../src/k6/binary.js'

/**
 * The real engine the closed-loop tests and the llama bench measure: llama.cpp's llama-server
 * (scripts/test-deps/llama.sh builds it) on loopback, CPU only, with the tiny deterministic model
 * (scripts/llama/make-model.py). Started by scripts/llama/serve.sh, the same script a user runs.
 */
/** The repository root: the first folder above this file with scripts/llama (also from dist/). */
const repoRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'scripts', 'llama', 'serve.sh'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('scripts/llama/serve.sh not found above ' + fileURLToPath(import.meta.url))
    dir = up
  }
  return dir
})()

export const LLAMA_VERSION = '0.3.36'
export const LLAMA_MODEL = 'tiny-llama'

export function llamaRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(fleetcapCacheDir(env), 'llama', env.FLEETCAP_LLAMA_VERSION || LLAMA_VERSION)
}

/** The llama-server binary, or an error naming the script that builds it. */
export function findLlamaServer(env: NodeJS.ProcessEnv = process.env): string {
  const root = llamaRoot(env)
  if (!existsSync(join(root, '.complete'))) throw new Error(`llama-server is not built at ${root}`)
  return join(root, 'bin', 'llama-server')
}

/** Path of the tiny model (written on first use, cached by the script's hash). */
export function llamaModelPath(): string {
  return execFileSync('bash', [join(repoRoot, 'scripts', 'llama', 'model.sh')], {encoding: 'utf8'}).trim()
}

export interface LlamaEngineOptions {
  /** CPU threads for decode and prefill (fixed, so a busy machine changes contention, not parallelism). */
  threads?: number
  /** Slots: sequences decoded together (the engine's batch limit). */
  parallel?: number
  /** KV cache per slot, in tokens. */
  ctxPerSlot?: number
  extraArgs?: string[]
}

export interface LlamaEngine {
  readonly url: string
  readonly model: string
  readonly options: Required<Omit<LlamaEngineOptions, 'extraArgs'>>
  /** The server's log so far (stderr and stdout), for failure messages. */
  log(): string
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as {port: number}).port
      s.close(() => resolve(port))
    })
  })
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, {signal: AbortSignal.timeout(2000)})
    return res.status === 200
  } catch {
    return false
  }
}

export async function startLlamaEngine(options: LlamaEngineOptions = {}): Promise<LlamaEngine> {
  const opts = {threads: options.threads ?? 1, parallel: options.parallel ?? 4, ctxPerSlot: options.ctxPerSlot ?? 4096}
  llamaModelPath() // write the model before the server's start-up clock runs
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const args = [
    join(repoRoot, 'scripts', 'llama', 'serve.sh'),
    '--port',
    String(port),
    '--threads',
    String(opts.threads),
    '--parallel',
    String(opts.parallel),
    '--ctx-per-slot',
    String(opts.ctxPerSlot),
  ]
  if (options.extraArgs?.length) args.push('--', ...options.extraArgs)
  const child: ChildProcess = spawn('bash', args, {stdio: ['ignore', 'pipe', 'pipe'], detached: false})
  let log = ''
  const keep = (b: Buffer): void => {
    log = (log + b.toString()).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited: number | null | undefined
  child.once('exit', (code) => {
    exited = code
  })
  const deadline = Date.now() + 120_000
  while (!(await healthy(url))) {
    if (exited !== undefined) throw new Error(`llama-server exited (${exited}) before it was healthy:\n${log.slice(-3000)}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`llama-server not healthy after 120 s:\n${log.slice(-3000)}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    model: LLAMA_MODEL,
    options: opts,
    log: () => log,
    close: async () => {
      if (exited !== undefined) return
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await done
      clearTimeout(timer)
    },
  }
}
