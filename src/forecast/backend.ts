import {createRequire} from 'node:module'
import {dirname} from 'node:path'

import type * as Tf from '@tensorflow/tfjs'

import {InputError} from '../errors.js'

/**
 * Which TensorFlow.js backend runs the neural models, chosen once at the entry point (the models use
 * only the portable API). `auto` tries, in order: the CUDA build of the native bindings
 * (@tensorflow/tfjs-node-gpu), the CPU build (@tensorflow/tfjs-node), the WASM backend, plain JS.
 * The native packages are optional dependencies that may be absent or unloadable (no CUDA, no
 * libtensorflow): each failure is caught and its reason recorded for the report.
 */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const
export type BackendChoice = (typeof BACKENDS)[number]

export interface BackendAttempt {
  backend: Exclude<BackendChoice, 'auto'>
  ok: boolean
  /** Why it was skipped (the loader's message), when it was. */
  reason?: string
  ms: number
}

export interface BackendReport {
  requested: BackendChoice
  /** The backend in use: tf.getBackend() plus which package provided it. */
  used: Exclude<BackendChoice, 'auto'>
  tfBackend: string
  attempts: BackendAttempt[]
  initMs: number
}

let current: BackendReport | undefined

/**
 * TensorFlow.js, imported on first use: loading it costs ~0.25 CPU-s, which every `forecast` run with
 * a classical model (and every other command that reaches this module) would otherwise pay.
 */
export async function tfjs(): Promise<typeof Tf> {
  tfModule ??= await import('@tensorflow/tfjs')
  return tfModule
}
let tfModule: typeof Tf | undefined

/** The backend chosen by `initBackend`, if any. */
export function backendReport(): BackendReport | undefined {
  return current
}

async function tryNative(pkg: string): Promise<void> {
  // A variable specifier: the optional package may not be installed, and TypeScript must not need its types.
  const specifier: string = pkg
  await import(specifier)
  const tf = await tfjs()
  if (!(tf.engine().registryFactory as Record<string, unknown>).tensorflow) {
    throw new Error(`${pkg} loaded but registered no "tensorflow" backend (a second copy of @tensorflow/tfjs?)`)
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") failed')
}

async function tryWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  // The .wasm binaries ship in the package's dist folder; Node reads them from disk by path.
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')
  wasm.setWasmPaths(`${dirname(entry)}/`)
  const tf = await tfjs()
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed')
}

async function attempt(backend: Exclude<BackendChoice, 'auto'>): Promise<void> {
  switch (backend) {
    case 'tensorflow-gpu':
      return tryNative('@tensorflow/tfjs-node-gpu')
    case 'tensorflow':
      return tryNative('@tensorflow/tfjs-node')
    case 'wasm':
      return tryWasm()
    case 'cpu':
      if (!(await (await tfjs()).setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed')
  }
}

function reasonOf(error: unknown): string {
  const e = error as {code?: string; message?: string}
  const first = String(e?.message ?? error).split('\n')[0]
  return e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND' ? `not installed (${first.slice(0, 160)})` : first.slice(0, 240)
}

/**
 * Select the backend: `auto` walks the order above and keeps the first that loads; a named backend
 * must load or this throws an InputError naming why. Idempotent: a second call returns the first report.
 */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendReport> {
  if (current && (requested === 'auto' || requested === current.requested || requested === current.used)) return current
  if (!(BACKENDS as readonly string[]).includes(requested)) {
    throw new InputError({field: '--backend'}, `unknown backend "${requested}"; known: ${BACKENDS.join(', ')}`)
  }
  const tf = await tfjs()
  tf.enableProdMode()
  const order: Exclude<BackendChoice, 'auto'>[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested]
  const attempts: BackendAttempt[] = []
  const t0 = performance.now()
  for (const backend of order) {
    const t = performance.now()
    try {
      await attempt(backend)
      attempts.push({backend, ok: true, ms: round(performance.now() - t)})
      current = {requested, used: backend, tfBackend: tf.getBackend(), attempts, initMs: round(performance.now() - t0)}
      return current
    } catch (error) {
      attempts.push({backend, ok: false, reason: reasonOf(error), ms: round(performance.now() - t)})
    }
  }
  const why = attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')
  throw new InputError({field: '--backend'}, `backend ${requested} could not be loaded (${why})`, {
    hint: requested === 'auto' ? undefined : 'use --backend auto to fall back to one that loads',
  })
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
