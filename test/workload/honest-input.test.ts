/**
 * Workloads that would silently be something else than the user described (issue 13, items 2-4):
 * refused at validation with the field named, before any work.
 */
import {describe, expect, it} from 'vitest'

import {RandomStreams} from '../../src/engine/random.js'
import {parseScenario} from '../../src/scenario/load.js'
import {createWorkload, WorkloadSpecSchema} from '../../src/workload/index.js'

const base = `apiVersion: fleetcap.dev/v1
kind: Scenario
name: honest
duration: 1h
`
const llmFleet = `fleet:
  pools:
    - {name: a, gpu: A100-80GB, model: llama-3.1-8b, replicas: 2}
`
const errorOf = (text: string): string => {
  try {
    parseScenario(text, 'h.yaml')
  } catch (error) {
    return (error as Error).message
  }
  return 'no error'
}

describe('workloads that are not what they say', () => {
  it('service-time work on an LLM pool is refused, naming workload.service', () => {
    const text = `${base}workload: {kind: synthetic, tasksPerDay: 1000, service: {distribution: exponential, meanS: 1}}\n${llmFleet}`
    expect(errorOf(text)).toMatch(/^h\.yaml:\d+:\d+: workload\.service: service-time work \(workload\.service\) needs generic pools/)
  })

  it('maxContextTokens below every first prompt is refused; above some of them is kept', () => {
    const agent = (max: number): string => `${base}workload:\n  kind: synthetic\n  tasksPerDay: 100\n  tokens: {input: {dist: uniform, min: 2000, max: 4000}, output: 100}\n  agent: {callsPerTask: 3, maxContextTokens: ${max}}\n${llmFleet}`
    expect(errorOf(agent(1000))).toMatch(/workload\.agent\.maxContextTokens: below every first prompt/)
    expect(errorOf(agent(3000))).toBe('no error')
  })

  it('rate × duration beyond what one run may generate is refused before the first task', () => {
    const spec = WorkloadSpecSchema.parse({kind: 'synthetic', tasksPerDay: 9e9, tokens: {input: 100, output: 10}})
    expect(() => createWorkload(spec, {baseDir: '.', rng: new RandomStreams(1), durationS: 86_400})).toThrow(/^workload: tasksPerDay × duration is about 9\.00e\+9 tasks, more than the 1e\+9 one run may generate/)
    expect(() => createWorkload(spec, {baseDir: '.', rng: new RandomStreams(1), durationS: 60})).not.toThrow()
  })

  it('a lognormal cv whose log-variance overflows is refused (every draw was NaN: a crash found by fuzzing)', () => {
    const text = `${base}workload:\n  kind: synthetic\n  tasksPerDay: 100\n  tokens: {input: 100, output: 10}\n  agent:\n    callsPerTask: {dist: lognormal, mean: 4, cv: 1.7976931348623157e+308, min: 1, max: 12}\n${llmFleet}`
    expect(errorOf(text)).toMatch(/^h\.yaml:\d+:\d+: workload\.agent\.callsPerTask\.cv: Too big: expected number to be <=1000/)
  })
})
