import {parseScenario} from '../../src/scenario/load.js'
import {simulate, type SimulationResult} from '../../src/pipeline/simulate.js'
import type {Task, TaskStream} from '../../src/workload/types.js'

/** A generic job of `serviceTimeS` arriving at `arrivalS`. */
export const job = (id: number, arrivalS: number, serviceTimeS: number): Task => ({id, arrivalS, taskType: 'default', priority: 'normal', calls: [], serviceTimeS})

export function listTasks(tasks: Task[]): TaskStream {
  return (async function* () {
    yield tasks
  })()
}

/** `count` jobs arriving together at `atS`. */
export function burst(count: number, atS: number, serviceTimeS: number, firstId = 0): Task[] {
  return Array.from({length: count}, (_, i) => job(firstId + i, atS, serviceTimeS))
}

/** Simulate a scenario written inline (YAML) with a fixed task list. */
export async function run(yaml: string, tasks: Task[], options: {seed?: number; withoutAutoscaling?: boolean} = {}): Promise<SimulationResult> {
  const scenario = parseScenario(yaml, 'test.yaml')
  return simulate(scenario, {tasks: listTasks(tasks), baseDir: process.cwd(), seed: options.seed, withoutAutoscaling: options.withoutAutoscaling})
}

/** Column `name` of a simulation's time series. */
export function column(result: SimulationResult, name: string): number[] {
  const {columns, rows} = result.timeSeries
  const j = columns.indexOf(name)
  if (j < 0) throw new Error(`no column ${name}: ${columns.join(', ')}`)
  const out: number[] = []
  for (let i = j; i < rows.length; i += columns.length) out.push(rows[i])
  return out
}

/** A scenario with one generic pool of single-slot servers and an autoscaler block (indented YAML). */
export function genericScenario(o: {servers: number; durationS: number; autoscaler?: string; capacity?: string; extra?: string; sampleIntervalS?: number}): string {
  return `apiVersion: fleetcap.dev/v1
kind: Scenario
name: t
durationS: ${o.durationS}
workload: {kind: synthetic, ratePerS: 1, service: {distribution: exponential, meanS: 1}}
fleet:
  pools:
    - name: p
      kind: generic
      servers: ${o.servers}
      pricePerHourUsd: 3600
${o.autoscaler ? `      autoscaler:\n${indent(o.autoscaler, 8)}\n` : ''}${o.capacity ? `      capacity:\n${indent(o.capacity, 8)}\n` : ''}report: {sampleIntervalS: ${o.sampleIntervalS ?? 15}}
${o.extra ?? ''}`
}

export function indent(text: string, n: number): string {
  return text
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n')
}
