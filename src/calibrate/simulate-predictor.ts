import type {ServingProfile} from '../fleet/types.js'
import {type LoadProfile, totalDurationS} from '../k6/load.js'
import {ScenarioSchema} from '../scenario/schema.js'
import {simulate} from '../pipeline/simulate.js'
import type {Task, TaskStream} from '../workload/types.js'
import {arrivalSchedule, type LoadFigures, type Predictor} from './predict.js'
import {scaleServingProfile} from './profile-file.js'
import type {FleetModelConfig} from '../sim/types.js'

/** The tasks k6 sends for a load: its arrival schedule, each with the token mix's calls. */
export async function* tasksOfLoad(load: LoadProfile, chunkSize = 4096): TaskStream {
  const times = arrivalSchedule(load)
  for (let start = 0; start < times.length; start += chunkSize) {
    const chunk: Task[] = []
    for (let i = start; i < Math.min(times.length, start + chunkSize); i++) {
      const calls = load.tasks[i % load.tasks.length]
      chunk.push({
        id: i,
        arrivalS: times[i],
        taskType: 'default',
        priority: 'normal',
        calls: calls.map(([inputTokens, outputTokens, delayS], c) => ({inputTokens, outputTokens, delayS: c === 0 ? 0 : delayS})),
      })
    }
    yield chunk
  }
}

/** One simulation of the load on `replicas` replicas of the profile with its step times × stepScale. */
export async function simulateLoad(
  profile: ServingProfile,
  replicas: number,
  load: LoadProfile,
  stepScale: number,
  onCallComplete?: FleetModelConfig['onCallComplete'],
): Promise<Awaited<ReturnType<typeof simulate>>['report']> {
  const scaled = scaleServingProfile(profile, stepScale)
  const scenario = ScenarioSchema.parse({
    apiVersion: 'fleetcap.dev/v1',
    kind: 'Scenario',
    name: 'k6 calibration',
    // Arrivals stop at durationS: leave room for the iteration k6 starts at the very end.
    durationS: totalDurationS(load) + 1,
    // Required by the schema; the tasks below replace it.
    workload: {kind: 'synthetic', ratePerS: 1, tokens: {input: 1, output: 1}},
    fleet: {pools: [{name: 'measured', model: profile.model, gpu: profile.gpu, tensorParallel: profile.tensorParallel, replicas}]},
    routing: {policy: 'least-outstanding'},
  })
  const {report} = await simulate(scenario, {tasks: tasksOfLoad(load), resolveProfile: () => scaled, onCallComplete})
  return report
}

/**
 * `fleetcap simulate` as the predictor: one pool of `replicas` replicas of the profile (step times
 * scaled), least-outstanding routing, fed the exact tasks k6 sent.
 */
export function simulatePredictor(profile: ServingProfile, replicas: number): Predictor {
  return async (load, stepScale): Promise<LoadFigures> => {
    const durationS = totalDurationS(load)
    const report = await simulateLoad(profile, replicas, load, stepScale)
    const o = report.latency.overall
    const ms = (s: number | undefined): number | undefined => (s === undefined ? undefined : s * 1000)
    return {
      latencyP50Ms: ms(o.e2eS?.p50S),
      latencyP95Ms: ms(o.e2eS?.p95S),
      latencyP99Ms: ms(o.e2eS?.p99S),
      ttftP50Ms: ms(o.ttftS?.p50S),
      ttftP95Ms: ms(o.ttftS?.p95S),
      tpotP50Ms: ms(o.tpotS?.p50S),
      tpotP95Ms: ms(o.tpotS?.p95S),
      throughputRps: report.calls.completed / durationS,
      outputTokensPerS: report.calls.outputTokens / durationS,
    }
  }
}
