/**
 * Temporary files that become the user's output by rename. If the process is stopped by a signal
 * while one is being written (Ctrl-C, `timeout`, a closed terminal), it is removed before the
 * process ends, so nothing half-written is left beside the output. The handlers are installed only
 * while a temporary file exists, and the signal is then raised again for its usual effect (or for
 * the handlers a command installed itself, such as apply-to-cluster's rollback).
 */
import {rmSync} from 'node:fs'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
const live = new Set<string>()

function onSignal(signal: NodeJS.Signals): void {
  for (const path of live) rmSync(path, {recursive: true, force: true})
  live.clear()
  detach()
  process.kill(process.pid, signal)
}

function attach(): void {
  for (const s of SIGNALS) process.on(s, onSignal)
}

function detach(): void {
  for (const s of SIGNALS) process.off(s, onSignal)
}

/** `path` is being written and is not the user's yet. */
export function trackTemp(path: string): void {
  if (live.size === 0) attach()
  live.add(path)
}

/** `path` was renamed into place or removed. */
export function untrackTemp(path: string): void {
  if (live.delete(path) && live.size === 0) detach()
}
