import {CLASSES, DROP_REASONS} from './events.js'

/**
 * What the whole fleet has done so far (the report's totals), what it did since the last time-series
 * sample, and whether arrivals are still open. The parts count into it on the hot path; FleetModel
 * shows it to readers.
 */
export class FleetCounters {
  tasksArrived = 0
  tasksCompleted = 0
  tasksFailed = 0
  callsCompleted = 0
  inputTokens = 0
  outputTokens = 0
  readonly drops = new Float64Array(DROP_REASONS * CLASSES) // [reason * CLASSES + class]
  readonly tasksByClass = new Float64Array(CLASSES)
  readonly failedByClass = new Float64Array(CLASSES)
  /** Calls dispatched to replicas and not yet finished. */
  inFlightCalls = 0
  /** Calls sent again after the replica holding them was lost or cut off. */
  callsRetried = 0
  /** Calls lost with their replica and not retried (counted in drops as DROP_LOST). */
  callsLost = 0
  /** Time of the last arrival, step, completion or issue (samples excluded): the run's real end. */
  lastWorkS = 0
  lastArrivalS = 0
  /** False once the driver said the workload has no more tasks. */
  moreArrivals = true
  // Since the last time-series sample.
  sArrivals = 0
  sCompleted = 0
  sDropped = 0
  sOutTokens = 0
}
