import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import Ajv2020 from 'ajv/dist/2020.js'
import {describe, expect, it} from 'vitest'
import type {z} from 'zod'

import {ProfilesListResultSchema} from '../../src/fleet/profiles-list.js'
import {ProfilesShowResultSchema} from '../../src/fleet/profiles-show.js'
import {SimulateResultSchema} from '../../src/report/simulate-result.js'
import {renderResultJsonSchema} from '../../src/util/result-schema.js'
import {TraceInspectionSchema} from '../../src/workload/inspect-result.js'
import {dataPath, ROOT} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'

/**
 * Each command with a typed --json result: its JSON Schema in schemas/ is generated from the zod
 * schema that defines the result (UPDATE_GOLDEN=1 rewrites it), and the command's real --json
 * output (run in-process) validates against the committed file (Ajv, draft 2020-12) and parses with
 * the zod schema.
 */
const RESULTS: {command: string; schema: z.ZodType; runs: string[][]}[] = [
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

const file = (command: string): string => join(ROOT, 'schemas', `${command.replaceAll(' ', '-')}.result.schema.json`)

describe('typed --json results', () => {
  for (const {command, schema, runs} of RESULTS) {
    it(`${command}: schemas/ holds the current JSON Schema (UPDATE_GOLDEN=1 rewrites it)`, () => {
      const want = renderResultJsonSchema(schema, command)
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file(command), want)
      expect(readFileSync(file(command), 'utf8')).toBe(want)
    })

    it(`${command}: the command's --json output validates against it`, async () => {
      const validate = new Ajv2020({allErrors: true, strict: false}).compile(JSON.parse(readFileSync(file(command), 'utf8')) as object)
      for (const args of runs) {
        const r = await runCommand(args)
        expect(r.code, r.stderr).toBe(0)
        const output = JSON.parse(r.stdout) as unknown
        expect(validate(output), `${args.join(' ')}: ${JSON.stringify(validate.errors)}`).toBe(true)
        expect(schema.safeParse(output).success).toBe(true)
      }
    })
  }

  it('a result that breaks the schema is refused (the check can fail)', async () => {
    const validate = new Ajv2020({strict: false}).compile(JSON.parse(readFileSync(file('profiles list'), 'utf8')) as object)
    expect(validate({gpus: [], profiles: [{id: 'x'}]})).toBe(false)
    expect(validate({gpus: [], profiles: [], extra: 1})).toBe(false)
    const simulate = new Ajv2020({strict: false}).compile(JSON.parse(readFileSync(file('simulate'), 'utf8')) as object)
    const r = await runCommand(['simulate', join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), '--band', 'none', '--json'])
    const report = JSON.parse(r.stdout) as Record<string, unknown>
    expect(simulate(report), JSON.stringify(simulate.errors)).toBe(true)
    expect(simulate({...report, kind: 'PlanReport'})).toBe(false)
    expect(simulate({...report, latency: {overall: (report.latency as {overall: unknown}).overall, byPriority: {}}})).toBe(false)
  })
})
