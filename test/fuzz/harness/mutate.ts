/**
 * Generators of bad input, as fast-check arbitraries: text mutations of a real file (bytes flipped,
 * tokens that matter to YAML, CSV and JSON inserted, lines cut, doubled or swapped), and tree
 * mutations of a parsed YAML/JSON document (a value replaced by an odd one, a key renamed or
 * dropped). Every choice comes from fast-check's seeded generator, so a run is reproducible.
 */
import fc from 'fast-check'

/** Tokens that change how YAML, CSV or JSON parse, and values at the edges of what loaders check. */
const TOKENS = [
  '\n', '\r\n', ',', ':', ': ', '- ', '"', "'", '{', '}', '[', ']', '&a ', '*a', '<<: *a', '#', '!!str ', '!!binary ', '|', '>', '? ', '---\n', '...\n', '%YAML 1.2\n',
  '\t', ' ', '\u0000', '\uFEFF', '\u2028', 'é', '😀', '\\', '\\u0000', 'null', '~', 'true', 'NaN', '.nan', '.inf', '-.inf', 'Infinity', '-1', '0', '-0', '1e308', '1e-320',
  '9'.repeat(30), '0x1F', '1_000', '1d', '-5s', '0s', '1e9d', '2026-02-30T25:61:00Z', '1970-01-01T00:00:00Z', '253402300800', '{}', '[]', '""', '__proto__', 'constructor',
]

export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1, 0.5, 1e300, -1e300, 1e-300, 2 ** 53 + 1, 1e10, 1e7, 86_400, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constantFrom('', ' ', '0', '-1', '1d', '0s', '-5m', 'NaN', 'null', 'auto', 'A100', 'H100-SXM', 'llama-3.1-70b', '1e999', '2026-01-01', '__proto__', 'a\nb'),
  fc.string({maxLength: 12}),
  fc.constantFrom(null, true, false),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer({min: -5, max: 100}), {maxLength: 8}),
  fc.dictionary(fc.constantFrom('a', 'dist', 'mean', 'min', 'max', 'name', 'kind', 'value'), fc.oneof(fc.integer(), fc.string({maxLength: 5})), {maxKeys: 3}),
)

type TextOp = {op: 'insert' | 'replace' | 'delete' | 'dupline' | 'swaplines' | 'truncate' | 'byte'; at: number; len: number; token: string; byte: number}

const textOp: fc.Arbitrary<TextOp> = fc.record({
  op: fc.constantFrom('insert', 'replace', 'delete', 'dupline', 'swaplines', 'truncate', 'byte'),
  at: fc.nat(),
  len: fc.nat({max: 40}),
  token: fc.oneof(fc.constantFrom(...TOKENS), fc.string({maxLength: 6})),
  byte: fc.integer({min: 0, max: 255}),
}) as fc.Arbitrary<TextOp>

function applyTextOp(s: string, o: TextOp): string {
  const n = s.length
  const at = n === 0 ? 0 : o.at % (n + 1)
  switch (o.op) {
    case 'insert':
      return s.slice(0, at) + o.token + s.slice(at)
    case 'replace':
      return s.slice(0, at) + o.token + s.slice(at + Math.max(1, o.len % 8))
    case 'delete':
      return s.slice(0, at) + s.slice(at + o.len)
    case 'truncate':
      return s.slice(0, at)
    case 'byte':
      return s.slice(0, at) + String.fromCharCode(o.byte) + s.slice(at + 1)
    case 'dupline':
    case 'swaplines': {
      const lines = s.split('\n')
      if (lines.length === 0) return s
      const i = o.at % lines.length
      const j = (o.at + o.len) % lines.length
      if (o.op === 'dupline') lines.splice(i, 0, lines[i])
      else [lines[i], lines[j]] = [lines[j], lines[i]]
      return lines.join('\n')
    }
  }
}

/** A seed text with 1-6 text mutations. */
export function textMutation(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(textOp, {minLength: 1, maxLength: 6})).map(([seed, ops]) => ops.reduce(applyTextOp, seed))
}

type Path = Array<string | number>

function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = [...prefix, Array.isArray(value) ? Number(k) : k]
      out.push(p)
      pathsOf(v, p, out)
    }
  }
  return out
}

type TreeOp = {kind: 'set' | 'drop' | 'rename' | 'dup'; at: number; value: unknown; key: string}

const treeOp: fc.Arbitrary<TreeOp> = fc.record({
  kind: fc.constantFrom('set', 'set', 'set', 'drop', 'rename', 'dup'),
  at: fc.nat(),
  value: oddValue,
  key: fc.oneof(fc.constantFrom('name', 'kind', 'replicas', 'gpu', 'model', 'tp', 'tasksPerDay', 'ratePerS', 'durationS', 'path', 'phases', 'slo', 'x'), fc.string({maxLength: 8})),
}) as fc.Arbitrary<TreeOp>

function applyTreeOp(root: unknown, paths: Path[], o: TreeOp): void {
  if (paths.length === 0) return
  const path = paths[o.at % paths.length]
  let parent = root as Record<string | number, unknown>
  for (const k of path.slice(0, -1)) {
    const next = parent?.[k]
    if (next === null || typeof next !== 'object') return
    parent = next as Record<string | number, unknown>
  }
  const last = path[path.length - 1]
  if (parent === null || typeof parent !== 'object' || !(last in parent)) return
  if (o.kind === 'set') parent[last] = o.value
  else if (o.kind === 'drop') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1)
    else delete parent[last]
  } else if (o.kind === 'rename' && !Array.isArray(parent)) {
    parent[o.key] = parent[last]
    delete parent[last]
  } else if (o.kind === 'dup' && Array.isArray(parent)) parent.push(structuredClone(parent[Number(last)]))
}

/** A seed document (plain values) with 1-4 tree mutations, written back by `write`. */
export function treeMutation(seeds: readonly unknown[], write: (value: unknown) => string): fc.Arbitrary<string> {
  const withPaths = seeds.map((s) => ({seed: s, paths: pathsOf(s)}))
  return fc.tuple(fc.constantFrom(...withPaths), fc.array(treeOp, {minLength: 1, maxLength: 4})).map(([{seed, paths}, ops]) => {
    const doc = structuredClone(seed)
    for (const o of ops) applyTreeOp(doc, paths, o)
    return write(doc)
  })
}

/** A CSV cell: numbers at the edges, times of every kind, text that needs quoting. */
export const csvCell: fc.Arbitrary<string> = fc.oneof(
  fc.integer({min: -10, max: 100_000}).map(String),
  fc.double({noNaN: false}).map(String),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e400', 'NaN', 'abc', '"q"', '"a,b"', '"x""y"', '2026-01-01T00:00:00Z', '2026-13-45', '1700000000', '1700000000000', 'normal', 'critical', 'urgent', '{"a":1}', '\u0000'),
  fc.string({maxLength: 8}),
)

/** A CSV: a header picked from names fleetcap knows and does not, then rows of odd cells. */
export function csvTable(headerNames: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.oneof(fc.constantFrom(...headerNames), fc.string({maxLength: 6})), {minLength: 1, maxLength: 8}),
      fc.array(fc.array(csvCell, {maxLength: 9}), {maxLength: 12}),
      fc.constantFrom('\n', '\r\n'),
    )
    .map(([header, rows, eol]) => [header.join(','), ...rows.map((r) => r.join(','))].join(eol) + eol)
}
