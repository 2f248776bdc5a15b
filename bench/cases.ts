/** Benchmark cases that need the model catalog or a shipped scenario. */
import {resolveServingProfile} from '../src/fleet/profiles/index.js'
import type {LlmReplicaModel} from '../src/sim/types.js'

/** The LLM replica of the 200-replica case: llama-3.1-8b on one A100-80GB, from the model catalog. */
export function benchLlmServing(): {serving: LlmReplicaModel; label: string} {
  const serving = resolveServingProfile({model: 'llama-3.1-8b', gpu: 'A100-80GB', tensorParallel: 1})
  return {serving, label: serving.id}
}

export async function runAzureScenario(_root: string): Promise<{tasks: number; events: number; note: string}> {
  throw new Error('needs the workload and profiles areas (after the merge)')
}
