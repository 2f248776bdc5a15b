import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {dirname, relative} from 'node:path'

import {expect} from 'vitest'

import {ROOT} from './cli.js'

/**
 * Compare `got` with the golden file at `path`. A missing golden file fails (a fresh checkout must
 * not pass by writing its own expectations); `UPDATE_GOLDEN=1` writes it instead, for a change
 * whose diff you then review.
 */
export function expectGolden(path: string, got: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(`${path}.tmp`, got)
    renameSync(`${path}.tmp`, path)
  } else if (!existsSync(path)) {
    throw new Error(`golden file ${relative(ROOT, path)} is missing: run the test with UPDATE_GOLDEN=1 to write it, then review and commit it`)
  }
  expect(got).toBe(readFileSync(path, 'utf8'))
}
