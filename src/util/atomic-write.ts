import {randomBytes} from 'node:crypto'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {mkdir, open, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {FleetcapError, InputError} from '../errors.js'
import {trackTemp, untrackTemp} from './temp-files.js'

/**
 * Check an output file the user named before any work is done: a directory is refused, and so is an
 * existing file unless `force` (the flag is named in the hint).
 */
export function checkOutputFile(path: string, force: boolean, flag = '--out'): void {
  const st = statSync(path, {throwIfNoEntry: false})
  if (st === undefined) return
  if (st.isDirectory()) throw new InputError({file: path}, 'is a directory; give a file name', {hint: `choose a file for ${flag}`})
  if (!force) throw new InputError({file: path}, 'the output file exists', {hint: `choose another ${flag}, or pass --force to replace it`})
}

/** A file-system failure while writing the user's output, said of the path they gave (not of our temp file). */
function cannotWrite(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (error instanceof FleetcapError || typeof code !== 'string') return error
  return new InputError({file: path}, `cannot write: ${code}`, {cause: error})
}

/** Write a file so that readers see either the old content or the whole new one, never half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  if (statSync(path, {throwIfNoEntry: false})?.isDirectory()) throw new InputError({file: path}, 'is a directory; give a file name')
  const dir = dirname(resolve(path))
  await mkdir(dir, {recursive: true})
  const tmp = join(dir, `.fleetcap-tmp-${basename(path)}-${randomBytes(6).toString('hex')}`)
  trackTemp(tmp)
  try {
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, {force: true})
    throw cannotWrite(path, error)
  } finally {
    untrackTemp(tmp)
  }
}

/** Marker that says a directory was written by fleetcap and may be replaced by it. */
export const OUTPUT_MARKER = '.fleetcap-output'

/**
 * Write a whole output directory: files go to a sibling temp directory, which replaces `dir` only
 * once everything is written. A `dir` that exists, is not empty and was not written by fleetcap
 * (no marker file) is refused: it is the user's, and we never overwrite it.
 */
export async function writeOutputDir(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const target = resolve(dir)
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new InputError({file: dir}, 'is a file; an output directory is needed here', {hint: 'choose a new --out directory'})
  }
  if (existsSync(target)) {
    const entries = readdirSync(target)
    if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
      throw new FleetcapError(`${dir}: directory exists, is not empty and was not written by fleetcap`, {
        hint: 'choose a new --out directory, or empty this one',
      })
    }
  }
  const parent = dirname(target)
  await mkdir(parent, {recursive: true})
  const tmp = join(parent, `.fleetcap-tmp-${basename(target)}-${randomBytes(6).toString('hex')}`)
  trackTemp(tmp)
  try {
    await mkdir(tmp)
    await writeFile(join(tmp, OUTPUT_MARKER), 'written by fleetcap; safe for fleetcap to replace\n')
    for (const [name, content] of Object.entries(files)) {
      const p = join(tmp, name)
      await mkdir(dirname(p), {recursive: true})
      await writeFile(p, content)
    }
    if (existsSync(target)) {
      const old = `${tmp}-old`
      await rename(target, old)
      await rename(tmp, target)
      await rm(old, {recursive: true, force: true})
    } else {
      await rename(tmp, target)
    }
  } catch (error) {
    await rm(tmp, {recursive: true, force: true})
    throw cannotWrite(dir, error)
  } finally {
    untrackTemp(tmp)
  }
}
