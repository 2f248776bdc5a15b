/**
 * `fleetcap k6 run` behind its flags (src/k6/cli-flags.ts): k6 on an exported script as a gate, what
 * it measured, and the exit code that says why a gate failed.
 */
import {existsSync, statSync} from 'node:fs'
import {join} from 'node:path'

import type {CommandIo} from '../cli/command-io.js'
import {ExitCode, FleetcapError, InputError, UnreachableError} from '../errors.js'
import {findK6ForScript} from './binary.js'
import type {K6RunFlags} from './cli-flags.js'
import {parseHeaderFlags} from './flags.js'
import {type LoadGateResult, runLoadGate} from './run.js'
import {SCRIPT_FILE} from './script.js'
import type {Quantiles} from './summary.js'

/** The gate's result, and the exit code of a failed gate whose result is still printed (--json). */
export interface K6RunOutcome {
  result: LoadGateResult
  failedExit?: number
}

export async function runK6Gate(target: string, f: K6RunFlags, io: CommandIo & {json: boolean}): Promise<K6RunOutcome> {
  if (!existsSync(target)) throw new InputError({file: target}, 'no such file or directory', {hint: 'write a load test with `fleetcap k6 export --out DIR`'})
  const script = statSync(target).isDirectory() ? join(target, SCRIPT_FILE) : target
  if (!existsSync(script)) throw new InputError({file: script}, 'no k6 script here', {hint: 'write one with `fleetcap k6 export --out DIR`'})
  const result = await runLoadGate({
    k6Binary: findK6ForScript(script, {explicit: f.k6}),
    script,
    url: f.url,
    headers: f.header ? parseHeaderFlags(f.header) : undefined,
    summaryPath: f.summary,
    jsonOutPath: f['k6-json'],
    timeoutS: f.timeout,
    onOutput: io.json ? undefined : (line) => io.note(`k6: ${line}`),
  })
  const m = result.summary
  if (m) {
    const q = (x?: Quantiles): string => (x ? `p50 ${x.p50.toFixed(1)} / p95 ${x.p95.toFixed(1)} / p99 ${x.p99?.toFixed(1) ?? 'n/a'} ms` : 'n/a')
    io.say(`requests ${m.requests}, dropped iterations ${m.droppedIterations}, error rate ${((m.errorRate ?? 0) * 100).toFixed(2)}%`)
    io.say(`latency ${q(m.latencyMs)}`)
    io.say(`ttft    ${q(m.ttftMs)}`)
    io.say(`tpot    ${q(m.tpotMs)}`)
    if (m.itlMs) io.say(`itl     ${q(m.itlMs)}`)
    for (const t of m.thresholds) io.say(`${t.ok ? 'PASS' : 'FAIL'} ${t.metric} ${t.expression}`)
    io.say(`summary: ${result.summaryPath}`)
  }
  if (result.passed) {
    io.say(`load gate passed: ${result.reason}`)
    return {result}
  }
  const exit = result.reason.startsWith('endpoint unreachable') ? ExitCode.UNREACHABLE : result.failedThresholds.length > 0 ? ExitCode.SLO_NOT_MET : ExitCode.GATE_FAILED
  // --json prints the measurement of a failed gate too; the command exits with `exit` after it.
  if (io.json) return {result, failedExit: exit}
  if (exit === ExitCode.UNREACHABLE) throw new UnreachableError(result.reason, {hint: 'check --url and that the server is up'})
  throw new FleetcapError(`load gate failed: ${result.reason}`, {exit})
}
