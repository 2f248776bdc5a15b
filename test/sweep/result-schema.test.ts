import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {LocalSweepResultSchema, SweepResultSchema} from '../../src/sweep/sweep-result.js'
import {ROOT} from '../helpers/cli.js'
import {checkResultSchemas, compileResultSchema} from '../helpers/result-schemas.js'
import {runCommand} from '../helpers/run-command.js'
import {GRID_SPEC, tempDir, writeSpec} from './helpers.js'

const spec = writeSpec(tempDir(), GRID_SPEC)

/**
 * `sweep --json`: schemas/sweep.result.schema.json from src/sweep/sweep-result.ts, checked on a
 * grid sweep run here and a strategy comparison (a run on a cluster and a pod's shard are the
 * on-cluster suite's: test/sweep/on-cluster.test.ts).
 */
describe('sweep: typed --json result', () => {
  checkResultSchemas([
    {
      command: 'sweep',
      schema: SweepResultSchema,
      runs: [
        ['sweep', spec, '--workers', '0', '--json'],
        ['sweep', join(ROOT, 'scenarios', 'autoscale-seed-004-hpa.yaml'), '--strategies', '--json'],
      ],
    },
  ])

  it('the summary is typed down to the cells; a missing count or an extra field is refused', async () => {
    const r = await runCommand(['sweep', spec, '--workers', '0', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const result = LocalSweepResultSchema.parse(JSON.parse(r.stdout))
    expect(result.summary.cellMeans).toHaveLength(6)
    const validate = compileResultSchema('sweep')
    const {computed: _computed, ...withoutComputed} = result
    expect(validate(withoutComputed)).toBe(false)
    expect(validate({...result, summary: {...result.summary, extra: 1}})).toBe(false)
  })
})
