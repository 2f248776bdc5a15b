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

/** YAML text read from `path` as plain values. A syntax error is an InputError at its line (its first line of text). */
export function parseYamlInput(path: string, text: string): unknown {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InputError({file: path, line: e.linePos?.[0]?.line}, e.message.split('\n')[0])
  }
  return doc.toJS()
}
