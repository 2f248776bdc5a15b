/**
 * The folders of src/ and which may import which (docs/architecture.md explains the table). Built
 * from the import statements themselves: static, `export … from`, `import('…')` (dynamic or in a
 * type). Fails on a folder import cycle, on an import the table does not allow, on a folder the
 * table does not know, and if src/engine imports anything outside itself.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

const SRC = join(ROOT, 'src')
/** errors.ts and limits.ts at the top of src/: the basics every folder may use. */
const BASICS = '(src)'

/**
 * Which folders each folder may import, lowest layer first: load (workload, scenario) → build
 * (fleet, autoscale, sim's model) → run (engine, sim) → report, joined by pipeline (run, then
 * report); planner, calibrate and the commands
 * sit on top. A folder always may import itself and BASICS.
 */
export const MAY_IMPORT: Record<string, readonly string[]> = {
  engine: [],
  util: [],
  slo: [],
  cli: ['util', 'slo'],
  prometheus: ['util'],
  workload: ['engine', 'util'],
  fleet: ['util'],
  autoscale: ['engine', 'util'],
  plan: ['slo', 'util'],
  k8s: ['engine', 'plan', 'util'],
  k6: ['workload', 'plan', 'slo', 'cli', 'util'],
  rollout: ['k8s', 'k6', 'plan', 'cli', 'util'],
  forecast: ['engine', 'prometheus', 'workload', 'report', 'cli', 'util'],
  scenario: ['engine', 'workload', 'fleet', 'autoscale', 'slo', 'util'],
  sim: ['engine', 'workload', 'fleet', 'autoscale', 'scenario', 'util'],
  report: ['engine', 'workload', 'fleet', 'scenario', 'sim', 'util'],
  pipeline: ['engine', 'workload', 'fleet', 'scenario', 'sim', 'report', 'util'],
  calibrate: ['engine', 'workload', 'fleet', 'k6', 'scenario', 'sim', 'report', 'pipeline', 'cli', 'util'],
  sweep: ['engine', 'workload', 'fleet', 'autoscale', 'k8s', 'scenario', 'sim', 'report', 'pipeline', 'cli', 'util'],
  planner: ['engine', 'workload', 'fleet', 'autoscale', 'forecast', 'k8s', 'plan', 'scenario', 'sim', 'report', 'pipeline', 'sweep', 'cli', 'slo', 'util'],
}

/**
 * Known debt, file by file, each with why it is still here. The test fails if one disappears
 * (then delete its line) as well as on any new breach. None today.
 */
export const KNOWN_BREACHES: readonly string[] = []

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

/** The relative module specifiers a TypeScript file imports (comments removed first). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3])
}

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* tsFiles(path)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) yield path
  }
}

/** The folder of a path under src/: its first segment, or BASICS for a file at the top. */
function folderOf(path: string): string {
  const parts = relative(SRC, path).split('/')
  return parts.length === 1 ? BASICS : parts[0]
}

interface Edge {
  from: string
  to: string
  file: string
}

function folderEdges(): Edge[] {
  const edges: Edge[] = []
  for (const file of tsFiles(SRC)) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec)
      const from = folderOf(file)
      const to = target.startsWith(`${SRC}/`) ? folderOf(target) : relative(ROOT, target)
      if (from !== to) edges.push({from, to, file: relative(SRC, file)})
    }
  }
  return edges
}

/** Strongly connected components with more than one folder (Tarjan): the import cycles. */
export function cycles(edges: {from: string; to: string}[]): string[][] {
  const next = new Map<string, Set<string>>()
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set())
    if (!next.has(e.to)) next.set(e.to, new Set())
    next.get(e.from)!.add(e.to)
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1) found.push(scc.sort())
    }
  }
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v)
  return found
}

describe('folder imports of src/', () => {
  const edges = folderEdges()
  const isKnown = (e: Edge): boolean => KNOWN_BREACHES.includes(`${e.file} -> ${e.to}`)

  it('has no import cycle between folders (known debt aside)', () => {
    expect(cycles(edges.filter((e) => !isKnown(e)))).toEqual([])
  })

  it('keeps to the table of which folder may import which', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory())
    expect(
      folders.filter((f) => !(f in MAY_IMPORT)),
      'folders missing from MAY_IMPORT (add a row, and to docs/architecture.md)',
    ).toEqual([])
    const breaches = edges.filter((e) => e.to !== BASICS && !isKnown(e) && !(MAY_IMPORT[e.from] ?? []).includes(e.to)).map((e) => `${e.file} -> ${e.to}`)
    expect([...new Set(breaches)].sort()).toEqual([])
  })

  it('src/engine imports nothing outside itself', () => {
    expect(edges.filter((e) => e.from === 'engine').map((e) => `${e.file} -> ${e.to}`)).toEqual([])
  })

  it('still has each known breach (delete the line once it is gone)', () => {
    const present = new Set(edges.map((e) => `${e.file} -> ${e.to}`))
    expect(KNOWN_BREACHES.filter((b) => !present.has(b))).toEqual([])
  })

  it('finds imports and cycles the way it claims', () => {
    expect(
      importsOf(
        "import {a} from './a.js'\nimport type {B} from '../b/b.js'\nexport {c} from \"../c.js\"\n// import {x} from '../x.js'\nconst d = await import('../d/d.js')\nlet e: import('../e/e.js').E",
      ),
    ).toEqual(['./a.js', '../b/b.js', '../c.js', '../d/d.js', '../e/e.js'])
    expect(
      cycles([
        {from: 'a', to: 'b'},
        {from: 'b', to: 'c'},
        {from: 'c', to: 'a'},
        {from: 'c', to: 'd'},
      ]),
    ).toEqual([['a', 'b', 'c']])
    expect(cycles([{from: 'a', to: 'b'}])).toEqual([])
  })
})
