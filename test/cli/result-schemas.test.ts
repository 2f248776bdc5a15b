import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ProfilesListResultSchema} from '../../src/fleet/profiles-list.js'
import {ProfilesShowResultSchema} from '../../src/fleet/profiles-show.js'
import {SimulateResultSchema} from '../../src/report/simulate-result.js'
import {TraceInspectionSchema} from '../../src/workload/inspect-result.js'
import {dataPath, ROOT} from '../helpers/cli.js'
import {checkResultSchemas, type CommandResult, compileResultSchema, resultSchemaFile} from '../helpers/result-schemas.js'
import {runCommand} from '../helpers/run-command.js'

/**
 * Each command with a typed --json result has its JSON Schema in schemas/, generated from the zod
 * schema that defines the result (test/helpers/result-schemas.ts). Commands of other areas keep
 * their list beside their tests (test/<area>/result-schema.test.ts).
 */
const RESULTS: CommandResult[] = [
  {
    command: 'profiles list',
    schema: ProfilesListResultSchema,
    runs: [
      ['profiles', 'list', '--json'],
      ['profiles', 'list', '--gpu', 'a100', '--json'],
    ],
  },
  {
    command: 'profiles show',
    schema: ProfilesShowResultSchema,
    runs: [
      ['profiles', 'show', 'llama-2-70b@A100-80GB:tp4', '--json'],
      ['profiles', 'show', '--model', 'llama-3.1-70b', '--gpu', 'h100', '--tp', '4', '--engine', 'tensorrt-llm', '--precision', 'fp8', '--json'],
      ['profiles', 'show', 'h100', '--json'],
      ['profiles', 'show', 'llama-3.1-8b', '--json'],
    ],
  },
  {
    command: 'trace inspect',
    schema: TraceInspectionSchema,
    runs: [['trace', 'inspect', dataPath('traces', 'AzureLLMInferenceTrace_conv.csv'), '--bucket', '5m', '--json']],
  },
  {
    command: 'simulate',
    schema: SimulateResultSchema,
    // The band (default --band edges), prefix caching, autoscaling with a node-loss failure, KEDA, overload.
    runs: [
      ['simulate', join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), '--json'],
      ['simulate', join(ROOT, 'scenarios', 'agents-prefix-cache.yaml'), '--band', 'none', '--json'],
      ['simulate', join(ROOT, 'scenarios', 'failure-node-loss-drill.yaml'), '--band', 'none', '--json'],
      ['simulate', join(ROOT, 'scenarios', 'autoscale-keda-scale-to-zero.yaml'), '--band', 'none', '--json'],
      ['simulate', join(ROOT, 'test', 'fixtures', 'scenarios', 'overload.yaml'), '--band', 'none', '--json'],
    ],
  },
]

describe('typed --json results', () => {
  checkResultSchemas(RESULTS)

  it('every command has its result schema in schemas/', () => {
    const commands = readdirSync(join(ROOT, 'commands'), {recursive: true})
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, '').split('/').join(' '))
    expect(commands.length).toBeGreaterThanOrEqual(13)
    expect(commands.filter((c) => !existsSync(resultSchemaFile(c)))).toEqual([])
  })

  it('a result that breaks the schema is refused (the check can fail)', async () => {
    const validate = compileResultSchema('profiles list')
    expect(validate({gpus: [], profiles: [{id: 'x'}]})).toBe(false)
    expect(validate({gpus: [], profiles: [], extra: 1})).toBe(false)
    const simulate = compileResultSchema('simulate')
    const r = await runCommand(['simulate', join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), '--band', 'none', '--json'])
    const report = JSON.parse(r.stdout) as Record<string, unknown>
    expect(simulate(report), JSON.stringify(simulate.errors)).toBe(true)
    expect(simulate({...report, kind: 'PlanReport'})).toBe(false)
    expect(simulate({...report, latency: {overall: (report.latency as {overall: unknown}).overall, byPriority: {}}})).toBe(false)
  })
})
