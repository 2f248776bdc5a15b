import type {Scenario} from '../scenario/schema.js'

/**
 * Whether a scenario has anything the cluster runtime drives: a pool's autoscaler or capacity, or
 * failures. Without any, simulate() never loads the autoscaling code (a faster start).
 */
export function hasClusterParts(scenario: Scenario): boolean {
  return scenario.fleet.pools.some((p) => p.autoscaler !== undefined || p.capacity !== undefined) || (scenario.failures?.events.length ?? 0) > 0
}
