/**
 * The repository is complete on its own: nothing at run, test, bench or calibration time reads
 * `../shared` (the data fleetcap uses is vendored under data/). A citation of a design note or a
 * seed document that was never data (`shared/reference/…`, `shared/seeds/…`) is provenance and allowed.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

const TREES = ['src', 'commands', 'test', 'bench', 'scripts', 'models', 'scenarios']
const TEXT = /\.(ts|js|mjs|cjs|sh|ya?ml|json|csv|jsonl|md)$/

/** A path climbing out to a sibling `shared` folder, written as text or as path segments. */
const OUT_TO_SHARED = [/(?:\.\.\/)+shared(?!\/(?:reference|seeds)\/)\b/, /['"]\.\.['"]\s*,\s*['"]shared['"]/]

const THIS_FILE = fileURLToPath(import.meta.url)

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* files(path)
    else if (TEXT.test(name)) yield path
  }
}

export function readsOfShared(root: string): string[] {
  const found: string[] = []
  for (const tree of TREES) {
    for (const path of files(join(root, tree))) {
      if (path === THIS_FILE) continue // its examples are the patterns it looks for
      const lines = readFileSync(path, 'utf8').split('\n')
      lines.forEach((line, i) => {
        if (OUT_TO_SHARED.some((re) => re.test(line))) found.push(`${relative(root, path)}:${i + 1}: ${line.trim()}`)
      })
    }
  }
  return found
}

describe('self-contained repository', () => {
  it('reads nothing from ../shared (the data is vendored under data/)', () => {
    expect(readsOfShared(ROOT)).toEqual([])
  })

  it('the check sees both spellings of a read outside the repository', () => {
    expect(OUT_TO_SHARED.some((re) => re.test("resolve(root, '..', 'shared', 'traces')"))).toBe(true)
    expect(OUT_TO_SHARED.some((re) => re.test('path: ../../shared/traces/a.csv'))).toBe(true)
    expect(OUT_TO_SHARED.some((re) => re.test('source: "../shared/reference/serving-models.md §3"'))).toBe(false)
  })
})
