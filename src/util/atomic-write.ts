import {randomBytes} from 'node:crypto'
import {existsSync, readdirSync} from 'node:fs'
import {mkdir, open, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {FleetcapError} from '../errors.js'

/** Write a file so that readers see either the old content or the whole new one, never half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(resolve(path))
  await mkdir(dir, {recursive: true})
  const tmp = join(dir, `.fleetcap-tmp-${basename(path)}-${randomBytes(6).toString('hex')}`)
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
    throw error
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
    throw error
  }
}
