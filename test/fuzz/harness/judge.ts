/**
 * The property every input must satisfy: it loads, or it is refused with fleetcap's input error, on
 * one line, naming the file (with its line) or the field. Anything else is a crash.
 */
import {basename} from 'node:path'

import {ExitCode, FleetcapError, InputError} from '../../../src/errors.js'

export type Verdict = {kind: 'accepted'} | {kind: 'refused'; message: string} | {kind: 'crash'; message: string}

export function judge(error: unknown, path: string): Verdict {
  if (error === undefined) return {kind: 'accepted'}
  if (!(error instanceof FleetcapError)) {
    const e = error as Error
    return {kind: 'crash', message: `${e?.name ?? typeof error}: ${e?.message ?? String(error)}`.split('\n')[0]}
  }
  const message = error.message
  if (error.exit !== ExitCode.INPUT) return {kind: 'crash', message: `exit ${error.exit} for bad input: ${message}`}
  if (message.includes('\n')) return {kind: 'crash', message: `a message of several lines: ${JSON.stringify(message.slice(0, 200))}`}
  // The input's own file, or a file it refers to (a trace a scenario names), or a field.
  const named = message.includes(basename(path)) || (error instanceof InputError && (error.location.file !== undefined || error.location.field !== undefined || error.location.line !== undefined))
  if (!named) return {kind: 'crash', message: `names neither the file nor a field: ${message}`}
  return {kind: 'refused', message}
}
