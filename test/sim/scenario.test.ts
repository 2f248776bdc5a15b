import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'
import {renderScenarioJsonSchema} from '../../src/scenario/json-schema.js'
import {parseScenario} from '../../src/scenario/load.js'

const base = `apiVersion: fleetcap.dev/v1
kind: Scenario
name: t
durationS: 1h
workload:
  {kind: synthetic, ratePerS: 1, tokens: {input: 100, output: 10}}
fleet:
  pools:
    - name: a
      gpu: A100-80GB
      model: llama-3.1-8b
      replicas: 2
`

const errorOf = (text: string): string => {
  try {
    parseScenario(text, 'x.yaml')
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected an error')
}

describe('scenario files', () => {
  it('parses durations, defaults and pools', () => {
    const s = parseScenario(`${base}queue:\n  deadlines: {low: 2m}\n`, 'x.yaml')
    expect(s.durationS).toBe(3600)
    expect(s.queue?.deadlines?.low).toBe(120)
    expect(s.fleet.pools[0]).toMatchObject({name: 'a', replicas: 2})
  })

  it('names file, line, column and field of a bad value', () => {
    const msg = errorOf(base.replace('replicas: 2', 'replicas: -2'))
    expect(msg).toMatch(/^x\.yaml:12:7: fleet\.pools\.0\.replicas: /)
    expect(msg.split('\n')).toHaveLength(1)
  })

  it('points at an unknown key', () => {
    expect(errorOf(base.replace('      replicas: 2', '      replicas: 2\n      replica: 3'))).toMatch(/^x\.yaml:13:7: fleet\.pools\.0: unknown field "replica"/)
  })

  it('reports the generic branch for a generic pool', () => {
    const text = base.replace(/ {4}- name: a[\s\S]*$/, '    - {name: g, kind: generic, servers: two}\n')
    expect(errorOf(text)).toMatch(/^x\.yaml:9:\d+: fleet\.pools\.0\.servers: /)
  })

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf(`${base}routing: {policy: score\n`)).toMatch(/^x\.yaml:1[34]:\d+: not valid YAML/)
  })

  it('rejects unknown routing policies, listing the valid ones', () => {
    const msg = errorOf(`${base}routing: {policy: random}\n`)
    expect(msg).toMatch(/^x\.yaml:13:\d+: routing\.policy: /)
    expect(msg).toContain('least-outstanding')
  })

  it('publishes an up-to-date JSON Schema (UPDATE_GOLDEN=1 rewrites it)', () => {
    const file = join(ROOT, 'schemas', 'scenario.schema.json')
    const want = renderScenarioJsonSchema()
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, want)
    expect(readFileSync(file, 'utf8')).toBe(want)
    const schema = JSON.parse(want) as {properties: Record<string, unknown>; required: string[]}
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['workload', 'fleet', 'routing', 'slo', 'seed']))
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'name', 'workload', 'fleet']))
  })
})
