import {type Document, isMap, isNode, isScalar, type LineCounter} from 'yaml'

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

/**
 * Line and column of the deepest YAML node on `path` (a missing key points at its parent; a key
 * that exists points at the key itself, not at its value).
 */
export function positionOf(doc: Document, lines: LineCounter, path: readonly (string | number)[]): {line: number; col: number} {
  for (let n = path.length; n >= 0; n--) {
    if (n > 0 && n === path.length) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true)
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === path[n - 1])
        if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0])
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)
    if (isNode(node) && node.range) return lines.linePos(node.range[0])
  }
  return {line: 1, col: 1}
}
