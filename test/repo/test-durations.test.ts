import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {describe, expect, it} from 'vitest'

const SCRIPT = resolve('scripts/test-durations.mjs')
const ESC = String.fromCharCode(27)

describe('scripts/test-durations.mjs', () => {
  it('reads per-file times with and without a vitest project label, colours and all, longest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-durations-'))
    mkdirSync(join(dir, 'test'))
    const log = [
      // vitest with projects: the project's name between the mark and the file, on a coloured label.
      ` ${ESC}[32m✓${ESC}[39m ${ESC}[30m${ESC}[43m suite ${ESC}[49m${ESC}[39m test/k8s/drills.test.ts ${ESC}[2m(${ESC}[22m${ESC}[2m9 tests${ESC}[22m${ESC}[2m)${ESC}[22m${ESC}[33m 118054${ESC}[2mms${ESC}[22m${ESC}[39m`,
      ` ✓  timing  test/llama/closed-loop.test.ts (2 tests) 31787ms`,
      // Without projects, as before.
      ` ✓ test/sim/engine.test.ts (12 tests) 2048ms`,
      `   ✓ a test's own line is not a file's (1 test) 5ms`,
    ].join('\n')
    writeFileSync(join(dir, 'ci.log'), log)
    execFileSync(process.execPath, [SCRIPT, 'ci.log'], {cwd: dir})
    const durations = JSON.parse(readFileSync(join(dir, 'test', 'durations.json'), 'utf8')) as Record<string, number>
    expect(Object.entries(durations)).toEqual([
      ['test/k8s/drills.test.ts', 118054],
      ['test/llama/closed-loop.test.ts', 31787],
      ['test/sim/engine.test.ts', 2048],
    ])
  })
})
