/** Benchmark cases that need the model catalog or a shipped scenario. */
import {join} from 'node:path'

import {resolveServingProfile} from '../src/fleet/profiles/index.js'
import {loadScenarioFile} from '../src/scenario/load.js'
import {simulate} from '../src/pipeline/simulate.js'
import type {LlmReplicaModel} from '../src/sim/types.js'

/** The LLM replica of the 200-replica case: llama-3.1-8b on one A100-80GB, from the model catalog. */
export function benchLlmServing(): {serving: LlmReplicaModel; label: string} {
  const serving = resolveServingProfile({model: 'llama-3.1-8b', gpu: 'A100-80GB', tensorParallel: 1})
  return {serving, label: serving.id}
}

/** The shipped Azure conversation replay (19,366 requests) on its A100 + H100 pools, via simulate(). */
export async function runAzureScenario(root: string): Promise<{tasks: number; events: number; note: string}> {
  const {scenario, baseDir} = await loadScenarioFile(join(root, 'scenarios', 'azure-conv-replay.yaml'))
  const {report} = await simulate(scenario, {baseDir})
  const ttft = report.latency.overall.ttftS
  return {
    tasks: report.calls.completed,
    events: report.run.events,
    note: `whole simulate() incl. trace parsing; TTFT p95 ${ttft ? ttft.p95S.toFixed(2) : '-'} s`,
  }
}
