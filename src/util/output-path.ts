/**
 * What an output path the user gave is, checked before any work: `-` (stdout), an existing FIFO or
 * character device (written into as a stream: `/dev/stdout`, a named pipe), or a regular file path
 * (written atomically: temp file, then rename). Nothing else is ever replaced, even with --force: a
 * rename over a device node, a socket or a block device would break the host.
 */
import {readdirSync, type Stats, statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

import {FleetcapError, InputError} from '../errors.js'

/** Marker that says a directory was written by fleetcap and may be replaced by it. */
export const OUTPUT_MARKER = '.fleetcap-output'

export type OutputTarget =
  | {kind: 'stdout'}
  /** An existing FIFO or character device: opened and written in place, never renamed over. */
  | {kind: 'stream'; path: string}
  /** A regular file (existing or new): temp file and rename. */
  | {kind: 'file'; path: string}

/** A one-word name for what a non-regular file is. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  if (st.isFile()) return 'a regular file'
  return 'not a regular file'
}

/** An empty path is a slip (an unset shell variable), never "no output". */
export function mustNotBeEmpty(path: string, flag: string): void {
  if (path.trim() === '') throw new InputError({field: flag}, 'empty path; give a file name', {hint: `${flag} - writes to stdout where a single file is written`})
}

/**
 * The parent folder of an output must exist: fleetcap creates only the last part of an output path
 * (a mistyped `/nonexistent/a/b` is refused, naming the first folder that is missing).
 */
export function mustHaveParent(path: string): void {
  const parent = dirname(resolve(path))
  const st = statSync(parent, {throwIfNoEntry: false})
  if (st?.isDirectory()) return
  if (st !== undefined) throw new InputError({file: path}, `${parent} is ${fileKind(st)}, not a folder`)
  let missing = parent
  for (let up = dirname(missing); up !== missing && statSync(up, {throwIfNoEntry: false}) === undefined; up = dirname(up)) missing = up
  throw new InputError({file: path}, `the folder ${missing} does not exist`, {hint: 'create it first (fleetcap creates only the last part of an output path)'})
}

/**
 * Check an output file the user named before any work is done. `-` is stdout (when `allowStdout`);
 * an existing FIFO or character device is written into; an existing regular file needs `force`;
 * a directory, socket, block device or other special file is refused whatever the flags.
 */
export function checkOutputFile(path: string, force: boolean, flag = '--out', options: {allowStdout?: boolean} = {}): OutputTarget {
  mustNotBeEmpty(path, flag)
  if (path === '-') {
    if (options.allowStdout === false) throw new InputError({field: flag}, '- (stdout) is not possible here; give a file name')
    return {kind: 'stdout'}
  }
  const st = statSync(path, {throwIfNoEntry: false})
  if (st === undefined) {
    mustHaveParent(path)
    return {kind: 'file', path}
  }
  if (st.isDirectory()) throw new InputError({file: path}, 'is a directory; give a file name', {hint: `choose a file for ${flag}`})
  if (st.isFIFO() || st.isCharacterDevice()) return {kind: 'stream', path}
  if (!st.isFile()) throw new InputError({file: path}, `is ${fileKind(st)}, not a regular file; fleetcap never replaces it`, {hint: `choose a file for ${flag}`})
  if (!force) throw new InputError({file: path}, 'the output file exists', {hint: `choose another ${flag}, or pass --force to replace it`})
  return {kind: 'file', path}
}

/**
 * Check an output directory before any work: not empty, not `-`, not a file or special file, its
 * parent exists, and an existing one was written by fleetcap (so it may be replaced).
 */
export function checkOutputDir(dir: string, flag = '--out'): void {
  mustNotBeEmpty(dir, flag)
  if (dir === '-') throw new InputError({field: flag}, '- (stdout) is not possible here: this output is a directory of several files')
  const st = statSync(dir, {throwIfNoEntry: false})
  if (st === undefined) {
    mustHaveParent(dir)
    return
  }
  if (!st.isDirectory()) {
    throw new InputError({file: dir}, `is ${st.isFile() ? 'a file' : fileKind(st)}; an output directory is needed here`, {hint: `choose a new ${flag} directory`})
  }
  // The user's own folder is never replaced: refused now, before a long run, not when writing.
  const entries = readdirSync(dir)
  if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
    throw new FleetcapError(`${dir}: directory exists, is not empty and was not written by fleetcap`, {hint: `choose a new ${flag} directory, or empty this one`})
  }
}
