/**
 * Lines of a file the user named, streamed, each at most `maxBytes` long. readline keeps a line in
 * memory however long it grows: a 1 GB file with no newline would be read whole (minutes, memory
 * growing) before the first line came out. Here such a line is an InputError as soon as it passes
 * the bound.
 */
import {createReadStream} from 'node:fs'
import {StringDecoder} from 'node:string_decoder'

import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {mustBeFile} from './read-input.js'

/** Each line without its line ending (LF or CRLF), with its 1-based number. */
export async function* readLines(path: string, maxBytes: number = LIMITS.lineBytes): AsyncGenerator<{text: string; line: number}> {
  mustBeFile(path)
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let line = 0
  try {
    for await (const chunk of createReadStream(path, {highWaterMark: 64 * 1024}) as AsyncIterable<Buffer>) {
      pending += decoder.write(chunk)
      let start = 0
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
        line++
        const end = nl > start && pending.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
        yield {text: pending.slice(start, end), line}
        start = nl + 1
      }
      pending = pending.slice(start)
      if (pending.length > maxBytes) tooLong(path, line + 1, maxBytes)
    }
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError({file: path, line: line + 1}, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  pending += decoder.end()
  if (pending.length > maxBytes) tooLong(path, line + 1, maxBytes)
  if (pending !== '') yield {text: pending.endsWith('\r') ? pending.slice(0, -1) : pending, line: line + 1}
}

function tooLong(path: string, line: number, maxBytes: number): never {
  throw new InputError({file: path, line}, `a line longer than ${(maxBytes / 2 ** 20).toFixed(0)} MiB: not a line-oriented text file`, {hint: 'is this the right file?'})
}
