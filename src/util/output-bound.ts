/**
 * One bound on what a command writes: an output that grows with the input's size or a run's length
 * (trace rows, time-series rows, forecast rows, sweep results, k6 stages) is estimated before anything
 * is written or computed, and refused with one line naming the flag or field to change, the estimate
 * and the limit. Every command that writes such an output calls this with its own estimate.
 */
import {InputError, type InputLocation} from '../errors.js'

export interface OutputEstimate {
  /** The flag or field that sets the size (what the user changes), and the file it is in, if any. */
  where: InputLocation
  /** How the estimate is made, e.g. "rate × --duration". */
  from: string
  /** The estimate, in `unit`. */
  count: number
  /** What is counted, plural: "tasks", "time-series rows". */
  unit: string
  /** The most one output may hold, in `limitUnit` (default `unit`). */
  limit: number
  limitUnit?: string
  /** The output, e.g. "one trace", "timeseries.csv". */
  output: string
  hint: string
}

const num = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n))

/** Refuse (exit 2) an output estimated past its limit; an estimate that is not a number is refused too. */
export function boundOutput(e: OutputEstimate): void {
  if (e.count <= e.limit) return
  throw new InputError(e.where, `${e.from} is about ${num(e.count)} ${e.unit}, more than the ${num(e.limit)} ${e.limitUnit ?? e.unit} ${e.output} may hold`, {hint: e.hint})
}
