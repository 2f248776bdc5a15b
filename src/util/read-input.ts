import {createReadStream, type ReadStream, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'

import {parseDocument} from 'yaml'

import {InputError} from '../errors.js'

/** Read a file the user named, as UTF-8. A failure is an InputError naming the file: `cannot read: ENOENT`. */
export async function readInputFile(path: string, options: {hint?: string} = {}): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new InputError({file: path}, `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, options)
  }
}

/** Refuse, naming it, a path the user gave for a file that is missing or is a directory. */
export function mustBeFile(path: string): void {
  const st = statSync(path, {throwIfNoEntry: false})
  if (st === undefined) throw new InputError({file: path}, 'file not found')
  if (st.isDirectory()) throw new InputError({file: path}, 'is a directory, not a file')
}

/**
 * A stream of a file the user named, piped into `dest` (a parser). A path that is missing or a
 * directory is refused now; a read error later destroys `dest` with it, so the consumer's loop
 * fails with it (Readable.pipe alone leaves such an error unhandled and the process crashes).
 */
export function streamUserFile<T extends NodeJS.WritableStream & {destroy(error?: Error): unknown}>(path: string, dest: T): T {
  mustBeFile(path)
  const source: ReadStream = createReadStream(path)
  source.on('error', (error) => dest.destroy(error))
  return source.pipe(dest)
}

/** YAML text read from `path` as plain values. A syntax error is an InputError at its line (its first line of text). */
export function parseYamlInput(path: string, text: string): unknown {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InputError({file: path, line: e.linePos?.[0]?.line}, e.message.split('\n')[0])
  }
  return doc.toJS()
}
