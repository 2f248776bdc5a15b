import {randomBytes} from 'node:crypto'
import {existsSync, statSync} from 'node:fs'
import {type FileHandle, mkdir, open, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {FleetcapError, InputError} from '../errors.js'
import {checkOutputDir, checkOutputFile, fileKind, mustHaveParent, OUTPUT_MARKER, type OutputTarget} from './output-path.js'
import {trackTemp, untrackTemp} from './temp-files.js'

export {checkOutputDir, checkOutputFile, type OutputTarget} from './output-path.js'

/** A file-system failure while writing the user's output, said of the path they gave (not of our temp file). */
function cannotWrite(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (error instanceof FleetcapError || typeof code !== 'string') return error
  return new InputError({file: path}, `cannot write: ${code}`, {cause: error})
}

/**
 * Write a file so that readers see either the old content or the whole new one, never half. `-` is
 * stdout; an existing FIFO or character device is written into (never renamed over); any other
 * special file is refused.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const sink = await openOutput(path, true)
  try {
    await sink.write(data)
    await sink.commit()
  } catch (error) {
    await sink.abort()
    throw error
  }
}

/** Where an output is being written: `commit` makes it the user's, `abort` leaves no trace of it. */
export interface OutputSink {
  readonly target: OutputTarget
  write(data: string | Uint8Array): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
}

/**
 * Open an output the user named (see checkOutputFile; `force` was asked there, and an existing regular
 * file is replaced here). A regular file is written to a sibling temp file that is fsynced and
 * renamed over the target on commit; stdout and FIFOs/character devices are written in place.
 */
export async function openOutput(path: string, force: boolean, flag = '--out'): Promise<OutputSink> {
  const target = checkOutputFile(path, force, flag)
  if (target.kind === 'stdout') return new StdoutSink()
  if (target.kind === 'stream') {
    const fh = await open(path, 'w').catch((error: unknown) => {
      throw cannotWrite(path, error)
    })
    return new HandleSink(target, path, fh, undefined)
  }
  const dir = dirname(resolve(path))
  const tmp = join(dir, `.fleetcap-tmp-${basename(path)}-${randomBytes(6).toString('hex')}`)
  trackTemp(tmp)
  try {
    return new HandleSink(target, path, await open(tmp, 'wx'), tmp)
  } catch (error) {
    untrackTemp(tmp)
    throw cannotWrite(path, error)
  }
}

class StdoutSink implements OutputSink {
  readonly target: OutputTarget = {kind: 'stdout'}
  async write(data: string | Uint8Array): Promise<void> {
    // The callback runs once the data is handed over, or with the error (EPIPE: the reader is gone).
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(new InputError({file: '-'}, `cannot write to stdout: ${(error as NodeJS.ErrnoException).code ?? error.message}`))
      process.stdout.once('error', onError)
      process.stdout.write(data, (error) => {
        process.stdout.off('error', onError)
        if (error) onError(error)
        else resolve()
      })
    })
  }
  async commit(): Promise<void> {}
  async abort(): Promise<void> {}
}

class HandleSink implements OutputSink {
  private closed = false
  constructor(
    readonly target: OutputTarget,
    private readonly path: string,
    private readonly fh: FileHandle,
    /** The temp file renamed over `path` on commit; undefined when writing in place. */
    private readonly tmp: string | undefined,
  ) {}

  async write(data: string | Uint8Array): Promise<void> {
    try {
      await this.fh.writeFile(data)
    } catch (error) {
      throw cannotWrite(this.path, error)
    }
  }

  async commit(): Promise<void> {
    try {
      if (this.tmp !== undefined) await this.fh.sync()
      this.closed = true
      await this.fh.close()
      if (this.tmp === undefined) return
      // The target may have become something else meanwhile: never rename over a special file.
      const st = statSync(this.path, {throwIfNoEntry: false})
      if (st !== undefined && !st.isFile()) throw new InputError({file: this.path}, `is now ${fileKind(st)}; fleetcap never replaces it`)
      await rename(this.tmp, this.path)
      untrackTemp(this.tmp)
    } catch (error) {
      await this.abort()
      throw cannotWrite(this.path, error)
    }
  }

  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      await this.fh.close().catch(() => undefined)
    }
    if (this.tmp !== undefined) {
      await rm(this.tmp, {force: true})
      untrackTemp(this.tmp)
    }
  }
}

/**
 * Put the finished directory `tmp` at `target`, moving an earlier one aside and removing it. Another
 * run may write the same target at the same time and move things between our two renames (ENOENT,
 * ENOTEMPTY, EEXIST): then try again, so that the last run to finish wins and nothing is left beside
 * the output.
 */
async function swapInto(tmp: string, target: string): Promise<void> {
  const old = `${tmp}-old`
  for (let attempt = 0; ; attempt++) {
    try {
      if (existsSync(target)) {
        await rename(target, old).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error
        })
      }
      await rename(tmp, target)
      await rm(old, {recursive: true, force: true})
      return
    } catch (error) {
      await rm(old, {recursive: true, force: true})
      const code = (error as NodeJS.ErrnoException).code
      if (attempt >= 20 || !(code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EEXIST')) throw error
    }
  }
}

export {OUTPUT_MARKER} from './output-path.js'

/**
 * Write a whole output directory: files go to a sibling temp directory, which replaces `dir` only
 * once everything is written. A `dir` that exists, is not empty and was not written by fleetcap
 * (no marker file) is refused: it is the user's, and we never overwrite it.
 */
export async function writeOutputDir(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  checkOutputDir(dir)
  const target = resolve(dir)
  const parent = dirname(target)
  mustHaveParent(target)
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
    await swapInto(tmp, target)
  } catch (error) {
    await rm(tmp, {recursive: true, force: true})
    await rm(`${tmp}-old`, {recursive: true, force: true})
    throw cannotWrite(dir, error)
  } finally {
    untrackTemp(tmp)
  }
}
