/**
 * How an LLM pool's replicas hold KV cache (`scheduler.kvAllocation` in a scenario). Part of the
 * scenario's vocabulary, which the simulator reads: sim/ imports this, scenario/ never imports sim/.
 */

/** On demand in blocks (as engines do), or the whole call reserved at admission. */
export const KV_ALLOCATIONS = ['paged', 'reserve'] as const
export type KvAllocation = (typeof KV_ALLOCATIONS)[number]
