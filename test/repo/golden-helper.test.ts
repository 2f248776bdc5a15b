import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it, vi} from 'vitest'

import {expectGolden} from '../helpers/golden.js'

describe('golden files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetcap-golden-'))
  afterEach(() => vi.unstubAllEnvs())

  it('fail when missing instead of writing themselves', () => {
    vi.stubEnv('UPDATE_GOLDEN', '')
    expect(() => expectGolden(join(dir, 'absent.json'), '{}\n')).toThrow(/golden file .*absent\.json is missing: run the test with UPDATE_GOLDEN=1/)
  })

  it('are written with UPDATE_GOLDEN=1, then compared', () => {
    vi.stubEnv('UPDATE_GOLDEN', '1')
    const path = join(dir, 'sub', 'written.json')
    expectGolden(path, '{"a": 1}\n')
    expect(readFileSync(path, 'utf8')).toBe('{"a": 1}\n')
    vi.stubEnv('UPDATE_GOLDEN', '')
    expect(() => expectGolden(path, '{"a": 2}\n')).toThrow()
    rmSync(dir, {recursive: true, force: true})
  })
})
