import {describe, expect, it} from 'vitest'

import {oneLine} from '../../src/cli/base-command.js'
import {runCli} from '../helpers/cli.js'

describe('the one error path', () => {
  it('folds oclif multi-line parse errors into one line', () => {
    const msg = 'The following errors occurred:\n  --a cannot also be provided when using --b\n  --c is required\nSee more help with --help'
    expect(oneLine(msg)).toBe('--a cannot also be provided when using --b; --c is required')
    expect(oneLine('Nonexistent flag: --nope\nSee more help with --help')).toBe('Nonexistent flag: --nope')
  })

  it('an unknown flag exits 2 with one error line and a hint, no stack', () => {
    const r = runCli(['simulate', 'scenarios/seed-phase1-500-per-day.yaml', '--nope'])
    expect(r.code).toBe(2)
    const lines = r.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/^Error: .*--nope/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a missing scenario file exits 2 naming it, and --debug adds the stack', () => {
    const plain = runCli(['simulate', 'no/such/scenario.yaml'])
    expect(plain.code).toBe(2)
    expect(plain.stderr).toMatch(/no\/such\/scenario\.yaml/)
    expect(plain.stderr).not.toMatch(/\n\s+at /)
    const debug = runCli(['simulate', 'no/such/scenario.yaml', '--debug'])
    expect(debug.code).toBe(2)
    expect(debug.stderr).toMatch(/\n\s+at /)
  })
})
