import {createReadStream, existsSync, readFileSync, type ReadStream, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'

import {type Document, parseDocument} from 'yaml'

import {InputError} from '../errors.js'
import {fileKind} from './output-path.js'

/**
 * Bytes of a file read whole (a scenario, a plan, a series, a summary): far above any real one, and
 * small enough that reading it cannot exhaust memory. Traces and k6 samples are streamed instead.
 */
export const MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024

/**
 * Refuse, naming it, a path the user gave for a file that is missing, a directory, or not a regular
 * file: a FIFO, socket or device would block a read forever or never end, so fleetcap reads only
 * regular files (`cat fifo > file` first). With `maxBytes`, a larger file is refused at once.
 */
export function mustBeFile(path: string, maxBytes?: number): void {
  const st = statSync(path, {throwIfNoEntry: false})
  if (st === undefined) throw new InputError({file: path}, 'file not found')
  if (st.isDirectory()) throw new InputError({file: path}, 'is a directory, not a file')
  if (!st.isFile()) throw new InputError({file: path}, `is ${fileKind(st)}, not a regular file; fleetcap reads only regular files`, {hint: 'save the data to a file first'})
  if (maxBytes !== undefined && st.size > maxBytes) {
    throw new InputError({file: path}, `is ${(st.size / 2 ** 20).toFixed(0)} MiB, more than the ${(maxBytes / 2 ** 20).toFixed(0)} MiB fleetcap reads whole`, {hint: 'is this the right file?'})
  }
}

/** Read a file the user named, as UTF-8. A failure is an InputError naming the file: `cannot read: ENOENT`. */
export async function readInputFile(path: string, options: {hint?: string; missing?: string} = {}): Promise<string> {
  try {
    if (!existsSync(path)) throw new InputError({file: path}, options.missing ?? 'cannot read: ENOENT', options)
    mustBeFile(path, MAX_WHOLE_FILE_BYTES)
    return await readFile(path, 'utf8')
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError({file: path}, `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, options)
  }
}

/** readInputFile, synchronously. */
export function readInputFileSync(path: string, options: {hint?: string; missing?: string} = {}): string {
  try {
    if (!existsSync(path)) throw new InputError({file: path}, options.missing ?? 'cannot read: ENOENT', options)
    mustBeFile(path, MAX_WHOLE_FILE_BYTES)
    return readFileSync(path, 'utf8')
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError({file: path}, `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, options)
  }
}

/** Aliases one YAML document may expand (the yaml package's own default), counted per alias use. */
const MAX_YAML_ALIASES = 100

/**
 * A parsed YAML document as plain values. A document whose aliases expand past the bound (a "billion
 * laughs" bomb) is an InputError naming the file, not a crash.
 */
export function yamlToJs(doc: Document, file: string): unknown {
  // A mapping used as a key is stringified (and then refused by the schema as an unknown key):
  // without a warning on stderr, which would break the one-line error.
  doc.options.logLevel = 'error'
  try {
    return doc.toJS({maxAliasCount: MAX_YAML_ALIASES})
  } catch (error) {
    throw new InputError({file}, `its YAML aliases expand too much (${(error as Error).message.split('\n')[0]})`, {hint: 'write the repeated values out, or use fewer aliases'})
  }
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
  // A consumer that stops early (a bad row) destroys the parser: close the file with it, or every
  // refused input leaks a descriptor (found by the long fuzz run: EMFILE after ~15,000 inputs).
  ;(dest as unknown as NodeJS.EventEmitter).once('close', () => source.destroy())
  return source.pipe(dest)
}

/** YAML text read from `path` as plain values. A syntax error is an InputError at its line (its first line of text). */
export function parseYamlInput(path: string, text: string): unknown {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InputError({file: path, line: e.linePos?.[0]?.line}, e.message.split('\n')[0])
  }
  return yamlToJs(doc, path)
}
