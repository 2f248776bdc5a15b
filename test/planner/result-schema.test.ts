import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {PlanCommandResultSchema, PlanJsonOutputSchema} from '../../src/planner/plan-result.js'
import {ROOT} from '../helpers/cli.js'
import {checkResultSchemas, compileResultSchema} from '../helpers/result-schemas.js'
import {runCommand} from '../helpers/run-command.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-schema-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))
const example = (name: string) => join(ROOT, 'examples', name)

/** Two weeks of tasks per hour with a daily cycle: a history the forecast branch of the result reads. */
function series(): string {
  const start = 1_759_968_000 // 2025-10-09T00:00:00Z
  const rows = ['timestamp,tasks']
  for (let h = 0; h < 24 * 14; h++) rows.push(`${start + h * 3600},${((500 / 24) * (1 + 0.5 * Math.cos((2 * Math.PI * ((h % 24) - 14)) / 24))).toFixed(2)}`)
  const file = join(tmp, 'series.csv')
  writeFileSync(file, `${rows.join('\n')}\n`)
  return file
}

/**
 * `plan --json`: schemas/plan.result.schema.json from src/planner/plan-result.ts, checked on an
 * analytic plan, a forecast plan, a verified plan (simulated, with a baseline and its HPA day), and
 * a plan that meets nothing (exit 3: the error with the plan searched).
 */
describe('plan: typed --json result', () => {
  checkResultSchemas([
    {
      command: 'plan',
      schema: PlanJsonOutputSchema,
      runs: [
        ['plan', '--phases', '5000', '--fast', '--json'],
        ['plan', '--spec', example('plan-seeds.yaml'), '--fast', '--json'],
        ['plan', '--series', series(), '--horizon', '2d', '--phase-every', '1d', '--fast', '--json'],
        ['plan', '--phases', '500', '--seeds', '1', '--gpu', 'A100-80GB=8', '--json'],
      ],
    },
    {command: 'plan', schema: PlanJsonOutputSchema, code: 3, runs: [['plan', '--spec', example('plan-impossible.yaml'), '--fast', '--json']]},
  ])

  it('a verified plan fills what an analytic one leaves out; a wrong field is refused', async () => {
    const r = await runCommand(['plan', '--phases', '500', '--seeds', '1', '--gpu', 'A100-80GB=8', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const result = PlanCommandResultSchema.parse(JSON.parse(r.stdout))
    const phase = result.plan.status.phases[0]
    expect(phase.choice?.verdict).toBe('passed')
    expect(phase.choice?.slo.every((m) => 'target' in m)).toBe(true)
    expect(phase.autoscaledDay?.sloMet).toBeTypeOf('boolean')
    const validate = compileResultSchema('plan')
    const doc = JSON.parse(r.stdout) as {plan: {status: {phases: Array<Record<string, unknown>>}}}
    expect(validate(doc)).toBe(true)
    doc.plan.status.phases[0].surprise = 1
    expect(validate(doc)).toBe(false)
  }, 120_000)
})
