/**
 * The routing policies a scenario may name (`routing.policy`). They belong to the scenario's
 * vocabulary, which the simulator reads: sim/ imports this, scenario/ never imports sim/.
 */
export const ROUTING_POLICIES = ['round-robin', 'least-outstanding', 'weighted', 'power-of-two', 'score', 'prefix-affinity'] as const
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number]
