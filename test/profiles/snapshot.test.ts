import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {modelsDir} from '../../src/fleet/profiles/index.js'
import {packageRoot} from '../../src/fleet/profiles/paths.js'
import {snapshotOf} from '../../src/fleet/profiles/snapshot.js'

const built = existsSync(join(packageRoot(), 'dist', 'models', 'serving.yaml.json'))

// `npm run build` writes the snapshots; CI builds before it tests, so there they must exist.
describe.runIf(built || process.env.CI === 'true')('the catalog snapshots written at build', () => {
  for (const file of ['gpus.yaml', 'llms.yaml', 'serving.yaml']) {
    it(`${file}: the snapshot holds exactly what the YAML parses to`, () => {
      const path = join(modelsDir(), file)
      const text = readFileSync(path, 'utf8')
      const snap = snapshotOf(path, text)
      expect(snap, `${file} has no current snapshot: run npm run build`).toBeDefined()
      expect(snap?.data).toStrictEqual(parse(text))
    })
  }

  it('an edited file is never served from its snapshot', () => {
    const path = join(modelsDir(), 'gpus.yaml')
    const text = readFileSync(path, 'utf8')
    expect(snapshotOf(path, `${text}\n# edited`)).toBeUndefined()
    expect(snapshotOf(path, text.replace(/\d/, (d) => String((Number(d) + 1) % 10)))).toBeUndefined()
  })

  it('a file with no snapshot at all is parsed as YAML', () => {
    expect(snapshotOf('/nowhere/unknown.yaml', 'a: 1\n')).toBeUndefined()
  })
})
