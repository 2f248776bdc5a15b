import {isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node} from 'yaml'
import type {z} from 'zod'

import {InputError, type InputLocation} from '../errors.js'
import {joinPath} from '../util/yaml-path.js'
import {reportedIssue, unknownFieldMessage} from '../util/zod-issue.js'
import {readInputFile, yamlToJs} from '../util/read-input.js'

/**
 * Reading a Kubernetes-style YAML object at the edge: YAML syntax errors and schema errors both
 * become one InputError naming `file:line` and the field path (`spec.metrics[1].pods.target`).
 */

export interface YamlSource {
  /** The file the text came from, for messages. */
  file?: string
  /** Field path of this object inside a larger document (e.g. `pools[0].hpa`), for messages. */
  fieldPrefix?: string
  /** Line of the object inside a larger file, added to the lines of `text`. */
  lineOffset?: number
}

/** A parsed YAML document that can say on which line a field path sits. */
export class YamlText {
  readonly value: unknown
  private readonly doc: Document.Parsed
  private readonly lines: LineCounter
  readonly source: YamlSource

  /**
   * `kind`: in a multi-document file (`---`), the one document of this kind is read (a manifest
   * file often holds the Deployment and its HPA together).
   */
  constructor(text: string, source: YamlSource = {}, kind?: string) {
    this.source = source
    this.lines = new LineCounter()
    const parsed = parseAllDocuments(text, {lineCounter: this.lines, prettyErrors: false, uniqueKeys: true})
    const docs = Array.isArray(parsed) ? parsed : []
    for (const doc of docs) {
      const first = doc.errors[0]
      if (first !== undefined) {
        const line = this.lines.linePos(first.pos[0]).line + (source.lineOffset ?? 0)
        throw new InputError({file: source.file, line}, `YAML syntax: ${first.message.split('\n')[0]}`)
      }
    }
    if (docs.length === 0) throw new InputError({file: source.file, field: source.fieldPrefix}, 'empty YAML document')
    let doc = docs[0]
    if (docs.length > 1) {
      const matching = kind === undefined ? [] : docs.filter((d) => d.get('kind') === kind)
      if (matching.length !== 1) {
        const kinds = docs.map((d) => String(d.get('kind') ?? '?')).join(', ')
        throw new InputError(
          {file: source.file},
          `${docs.length} YAML documents (${kinds}); expected exactly one${kind === undefined ? '' : ` of kind ${kind}`}`,
        )
      }
      doc = matching[0]
    }
    this.doc = doc
    this.value = yamlToJs(doc, source.file ?? 'YAML')
  }

  /** 1-based line of the node at `path` (or of its nearest existing parent). */
  lineOf(path: readonly PropertyKey[]): number | undefined {
    let node: unknown = this.doc.contents
    let line = this.nodeLine(node as Node | null)
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key))
        if (pair === undefined) break
        line = this.nodeLine(pair.key as Node) ?? line
        node = pair.value
      } else if (isSeq(node)) {
        const item = node.items[Number(key)]
        if (item === undefined) break
        line = this.nodeLine(item as Node) ?? line
        node = item
      } else break
    }
    return line
  }

  /** A location for a field path, with the prefix and file of this text. */
  locate(path: readonly PropertyKey[]): InputLocation {
    return {file: this.source.file, line: this.lineOf(path), field: joinPath(this.source.fieldPrefix, path)}
  }

  private nodeLine(node: Node | null | undefined): number | undefined {
    const range = node?.range
    if (range === undefined || range === null) return undefined
    return this.lines.linePos(range[0]).line + (this.source.lineOffset ?? 0)
  }
}

/** Validate `value` with `schema`; the first issue becomes an InputError at its line. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: {text?: YamlText; source?: YamlSource},
): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = reportedIssue(result.error.issues)
  const path = issue.path as PropertyKey[]
  let problem = issue.message
  let fieldPath = path
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as {keys: string[]}).keys
    fieldPath = [...path, keys[0]]
    problem = unknownFieldMessage({...issue, keys})
  }
  throw new InputError(locationFor(fieldPath, where), problem)
}

export function locationFor(path: readonly PropertyKey[], where: {text?: YamlText; source?: YamlSource}): InputLocation {
  if (where.text !== undefined) return where.text.locate(path)
  return {file: where.source?.file, line: where.source?.lineOffset, field: joinPath(where.source?.fieldPrefix, path)}
}

/** Read a file as UTF-8, turning a missing file into an InputError. */
export async function readYamlFile(file: string): Promise<string> {
  return readInputFile(file, {missing: 'file not found'})
}
