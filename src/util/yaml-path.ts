import {type Document, isNode, type LineCounter} from 'yaml'

/** Line of the deepest YAML node on `path` that exists (a missing key points at its parent). */
export function lineOfPath(doc: Document, lines: LineCounter, path: ReadonlyArray<string | number>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
  }
  return undefined
}

/** `spec.metrics[1].pods`: dotted keys, bracketed indices, after an optional prefix. */
export function joinPath(prefix: string | undefined, path: readonly PropertyKey[]): string {
  let s = prefix ?? ''
  for (const key of path) {
    if (typeof key === 'number') s += `[${key}]`
    else s += s === '' ? String(key) : `.${String(key)}`
  }
  return s
}
