/** Benchmark cases that need the model catalog or a shipped scenario. */
import type {LlmReplicaModel} from '../src/sim/types.js'

/**
 * The LLM replica used by the 200-replica case. PRE-MERGE stand-in: BLIS's linear step model for
 * Llama-3.1-8B TP1 on A100-80GB (β0 = 16441.5 µs, β1 = 47.84 µs per prefill token, β2 = 18.21 µs per
 * decode token; ../shared/reference/serving-models.md §5), replaced by the catalog's profile at the merge.
 */
export function benchLlmServing(): {serving: LlmReplicaModel; label: string} {
  const b0 = 16441.5e-6
  const b1 = 47.84e-6
  const b2 = 18.21e-6
  return {
    serving: {
      kvCacheTokens: 400_000,
      maxBatchSeqs: 256,
      maxBatchTokens: 8192,
      stepTimeS: (prefill, seqs) => b0 + b1 * prefill + b2 * seqs,
      decodeRunTimeS: (k, seqs) => k * (b0 + b2 * seqs),
    },
    label: 'BLIS linear Llama-3.1-8B@A100',
  }
}

export async function runAzureScenario(_root: string): Promise<{tasks: number; events: number; note: string}> {
  throw new Error('needs the workload and profiles areas (after the merge)')
}
