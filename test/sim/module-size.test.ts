/**
 * The simulator stays in parts a newcomer can read (docs/architecture.md, "The simulator's parts"):
 * no module of src/sim over 400 lines, and routing policies are objects, not numeric codes.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

const SIM = join(ROOT, 'src', 'sim')
const files = readdirSync(SIM).filter((f) => f.endsWith('.ts'))

describe('src/sim in parts', () => {
  it('has no module over 400 lines', () => {
    const long = files.map((f) => [f, readFileSync(join(SIM, f), 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > 400)
    expect(long).toEqual([])
  })

  it('compares no routing policy by a numeric code', () => {
    const coded = files.filter((f) => /\bpolicy\s*===\s*\d/.test(readFileSync(join(SIM, f), 'utf8')))
    expect(coded).toEqual([])
  })
})
