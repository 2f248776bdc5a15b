import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, rm} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {FleetcapError} from '../errors.js'
import {findK6} from './binary.js'
import {META_FILE, type K6ExportMeta} from './script.js'
import {type K6Measurement, readK6Summary} from './summary.js'

/** k6's documented exit codes that the gate tells apart (go.k6.io/k6/errext/exitcodes). */
export const K6_EXIT = {
  THRESHOLDS_FAILED: 99,
  SETUP_TIMEOUT: 100,
  INVALID_CONFIG: 104,
  SCRIPT_EXCEPTION: 107,
  SCRIPT_ABORTED: 108,
} as const

export interface RunK6Options {
  /** The k6 binary; found with findK6() (flag, $FLEETCAP_K6, cache, PATH) when omitted. */
  k6Binary?: string
  script: string
  /** Where handleSummary writes its JSON (FLEETCAP_SUMMARY); default summary.json beside the script. */
  summaryPath?: string
  /** Also write k6's per-sample JSON stream here (`--out json=`), for `fleetcap calibrate --k6-json`. */
  jsonOutPath?: string
  /** Override the script's endpoint URL and add headers without regenerating it. */
  url?: string
  headers?: Record<string, string>
  /** Hard limit: k6 is interrupted (then killed) past it, so a run never hangs. */
  timeoutS: number
  /** Lines of k6's output as they come (progress for a command to show). */
  onOutput?: (line: string) => void
  /** Stop k6 early (an interrupted apply): SIGINT, so it still writes its summary. */
  signal?: AbortSignal
}

export interface RunK6Result {
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  aborted: boolean
  /** The last lines k6 wrote on stdout and stderr. */
  outputTail: string[]
  summaryPath: string
}

/** Run `k6 run` on a script and wait for it, within a time limit. */
export async function runK6(options: RunK6Options): Promise<RunK6Result> {
  const k6 = options.k6Binary ?? findK6()
  const script = resolve(options.script)
  if (!existsSync(script)) throw new FleetcapError(`${options.script}: no such k6 script`, {hint: 'write one with `fleetcap k6 export`'})
  const summaryPath = resolve(options.summaryPath ?? join(dirname(script), 'summary.json'))
  await mkdir(dirname(summaryPath), {recursive: true})
  // A summary left by an earlier run must never pass for this run's.
  await rm(summaryPath, {force: true})
  // No REST API (parallel runs would fight over port 6565), no usage report, no colour codes.
  const args = ['run', '--no-color', '--quiet', '--no-usage-report', '--address', '', basename(script)]
  if (options.jsonOutPath) args.splice(1, 0, '--out', `json=${resolve(options.jsonOutPath)}`)
  const env: NodeJS.ProcessEnv = {...process.env, FLEETCAP_SUMMARY: summaryPath, K6_NO_USAGE_REPORT: 'true'}
  if (options.url) env.FLEETCAP_URL = options.url
  if (options.headers) env.FLEETCAP_HEADERS = JSON.stringify(options.headers)
  const child = spawn(k6, args, {cwd: dirname(script), env, stdio: ['ignore', 'pipe', 'pipe']})
  const tail: string[] = []
  const onData = (buf: Buffer): void => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (line.trim() === '') continue
      tail.push(line)
      if (tail.length > 40) tail.shift()
      options.onOutput?.(line)
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  let timedOut = false
  let aborted = false
  // SIGINT lets k6 stop gracefully and still write its summary; SIGKILL 15 s later if it does not.
  const stop = (): void => {
    child.kill('SIGINT')
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref()
  }
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, options.timeoutS * 1000)
  const onAbort = (): void => {
    aborted = true
    stop()
  }
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, {once: true})
  try {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolveExit, reject) => {
      child.once('error', reject)
      child.once('close', (code, sig) => resolveExit([code, sig]))
    })
    return {exitCode, signal, timedOut, aborted, outputTail: tail, summaryPath}
  } catch (error) {
    throw new FleetcapError(`cannot run k6 (${k6}): ${(error as Error).message}`, {hint: 'check --k6 / $FLEETCAP_K6'})
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}

export interface LoadGateOptions extends Omit<RunK6Options, 'timeoutS'> {
  /** Default: the script's planned duration (load-meta.json beside it) + graceful stop + 60 s. */
  timeoutS?: number
}

export interface LoadGateResult {
  passed: boolean
  /** What k6 measured; undefined when it wrote no summary (unreachable endpoint, crash, timeout). */
  summary?: K6Measurement
  summaryPath: string
  /** One line: why the gate failed, or what passed. */
  reason: string
  exitCode: number | null
  failedThresholds: string[]
  droppedIterations: number
}

/** The planned duration of a fleetcap-generated script, from the meta file written beside it. */
export function readExportMeta(script: string): K6ExportMeta | undefined {
  const path = join(dirname(resolve(script)), META_FILE)
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as K6ExportMeta
  } catch {
    return undefined
  }
}

function abortReason(tail: readonly string[]): string | undefined {
  for (let i = tail.length - 1; i >= 0; i--) {
    const m = /(endpoint unreachable[^"]*)/.exec(tail[i])
    if (m) return m[1].replace(/\\"/g, '"').trim()
  }
  return undefined
}

/**
 * A load gate: run the script and pass only when k6 finished and every threshold held. Any other
 * end fails the gate with a one-line reason: failed thresholds (named), an unreachable endpoint, a
 * script error, or a run that outlived its time limit. Callers (apply-to-cluster) roll back on a
 * failed gate and keep `summaryPath` with their record.
 */
export async function runLoadGate(options: LoadGateOptions): Promise<LoadGateResult> {
  const meta = readExportMeta(options.script)
  const timeoutS = options.timeoutS ?? (meta ? meta.durationS + meta.gracefulStopS + 60 : 600)
  const run = await runK6({...options, timeoutS})
  let summary: K6Measurement | undefined
  if (existsSync(run.summaryPath)) {
    try {
      summary = await readK6Summary(run.summaryPath)
    } catch {
      summary = undefined
    }
  }
  const failedThresholds = (summary?.thresholds ?? []).filter((t) => !t.ok).map((t) => `${t.metric} ${t.expression}`)
  const droppedIterations = summary?.droppedIterations ?? 0
  const base = {summary, summaryPath: run.summaryPath, exitCode: run.exitCode, failedThresholds, droppedIterations}
  const dropNote = droppedIterations > 0 ? `; k6 dropped ${droppedIterations} iterations (raise maxVUs or check the server)` : ''
  if (run.aborted) {
    return {...base, passed: false, reason: 'the load test was interrupted'}
  }
  if (run.timedOut) {
    return {...base, passed: false, reason: `k6 did not finish within ${timeoutS} s and was stopped`}
  }
  if (run.exitCode === K6_EXIT.SCRIPT_ABORTED || run.exitCode === K6_EXIT.SETUP_TIMEOUT) {
    const why = abortReason(run.outputTail) ?? `k6 aborted the test (exit ${run.exitCode}): ${run.outputTail.at(-1) ?? ''}`
    return {...base, passed: false, reason: why}
  }
  if (run.exitCode === K6_EXIT.THRESHOLDS_FAILED || (run.exitCode === 0 && failedThresholds.length > 0)) {
    return {...base, passed: false, reason: `thresholds failed: ${failedThresholds.join(', ') || 'see the k6 summary'}${dropNote}`}
  }
  if (run.exitCode !== 0) {
    return {...base, passed: false, reason: `k6 exited with code ${run.exitCode ?? run.signal}: ${run.outputTail.at(-1) ?? 'no output'}`}
  }
  if (summary === undefined) {
    return {...base, passed: false, reason: `k6 finished but wrote no summary at ${run.summaryPath}`}
  }
  const checked = summary.thresholds.length
  return {
    ...base,
    passed: true,
    reason: `${checked} threshold(s) held over ${summary.requests} requests${dropNote}`,
  }
}
