/**
 * The codes the fleet model's parts share: the kinds of event they schedule on the engine (dispatched
 * by FleetModel.handle), why a call did not complete (the report's drop columns), the priority
 * classes, and a call's flags.
 */
import {InputError} from '../errors.js'
import {PRIORITIES, type Task} from '../workload/types.js'

export const EV_STEP = 1 // LLM replica reaches a step boundary; target = replica, payload = generation
export const EV_SERVICE_DONE = 2 // generic slot finishes; target = replica, payload = call slot
export const EV_CALL_ISSUE = 3 // an agent task issues its next call; target = task slot
export const EV_SAMPLE = 4 // time-series sample
export const EV_READY = 5 // a replica added at runtime finishes loading; target = replica
export const EV_CONTROL = 6 // a controller (autoscaler, failure injector) wakes up; target = controller, payload = its own

// Why a call did not complete.
export const DROP_DEADLINE = 0
export const DROP_QUEUE_FULL = 1
export const DROP_TOO_LARGE = 2
/** Still waiting when nothing else could happen (no replica able to take it will ever exist). */
export const DROP_UNSERVED = 3
/** In flight on a replica that failed (or a pool cut off), with no retry left. */
export const DROP_LOST = 4
/** Rejected because the fleet is overloaded: its queue reached LIMITS.queuedCalls waiting calls. */
export const DROP_OVERLOAD = 5
export const DROP_REASONS = 6

/** Priority classes, in PRIORITY_RANK order (0 critical … 3 low). */
export const CLASSES = PRIORITIES.length

// A call's flags.
export const F_RUNNING = 1
export const F_DISPATCHED = 2

/** PRIORITY_RANK without a keyed property lookup on the hot path (interned strings compare by pointer). */
export function rankOf(p: Task['priority']): number {
  if (p === 'normal') return 2
  if (p === 'high') return 1
  if (p === 'critical') return 0
  if (p === 'low') return 3
  throw new InputError({field: 'priority'}, `unknown priority "${String(p)}"`)
}
