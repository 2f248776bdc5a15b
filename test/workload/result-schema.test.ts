import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {GenerateResultSchema} from '../../src/workload/generate-trace.js'
import {dataPath} from '../helpers/cli.js'
import {checkResultSchemas, type CommandResult, compileResultSchema} from '../helpers/result-schemas.js'

/** `trace generate --json` is typed: schemas/trace-generate.result.schema.json, from GenerateResultSchema. */
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-generate-schema-'))

const RESULTS: CommandResult[] = [
  {
    command: 'trace generate',
    schema: GenerateResultSchema,
    runs: [
      ['trace', 'generate', '--rate', '2/s', '--duration', '10m', '--input-tokens', '100', '--output-tokens', '20', '--out', join(tmp, 'flat.csv'), '--json'],
      [
        'trace',
        'generate',
        '--tasks-per-day',
        '5000',
        '--duration',
        '2h',
        '--shape',
        'daily',
        '--weekly',
        '1,1,1,1,1,0.5,0.5',
        '--tokens-from',
        dataPath('traces', 'AzureLLMInferenceTrace_conv.csv'),
        '--seed',
        '3',
        '--out',
        join(tmp, 'daily.csv'),
        '--json',
      ],
    ],
  },
]

describe('trace generate: typed --json result', () => {
  checkResultSchemas(RESULTS)

  it('a result that breaks the schema is refused (the check can fail)', () => {
    const validate = compileResultSchema('trace generate')
    const good = {out: 'x.csv', tasks: 3, rows: 4, durationS: 60, seed: 1, tasksPerDay: 4320}
    expect(validate(good)).toBe(true)
    expect(validate({...good, tasks: 2.5})).toBe(false)
    expect(validate({...good, extra: 1})).toBe(false)
    const {seed: _seed, ...noSeed} = good
    expect(validate(noSeed)).toBe(false)
  })
})
