/**
 * Contracts of the workload: what a trace row and a task are, and how tasks reach the simulator.
 *
 * A task is the unit the seeds count ("tasks per day"). A plain inference request is a task with
 * one call; an agent task is a chain of LLM calls, the next issued when the previous returns, after
 * a tool or think time. Generic (non-token) work carries a service time instead of tokens.
 */

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const
export type Priority = (typeof PRIORITIES)[number]

/** Priority rank: lower is served first. */
export const PRIORITY_RANK: Record<Priority, number> = {critical: 0, high: 1, normal: 2, low: 3}

export interface TaskCall {
  /** Prompt tokens of this call (for an agent chain: including the context carried from earlier calls). */
  inputTokens: number
  /** Tokens the call generates. */
  outputTokens: number
  /** Seconds between the previous call's return and this call's issue (tool or think time); 0 for the first call. */
  delayS: number
  /**
   * Leading prompt tokens that repeat the previous call's context (its prompt, and its output where
   * the chain carries it) token for token: what a prefix cache on the replica that served the previous
   * call can skip prefilling. Absent: nothing is known to be shared.
   */
  sharedPrefixTokens?: number
}

export interface Task {
  /** Sequence number in arrival order, from 0. */
  id: number
  /** Arrival time in seconds from the start of the workload (trace start for a trace). */
  arrivalS: number
  /** Free-form task type used by routing (type match) and reports; "default" when unknown. */
  taskType: string
  priority: Priority
  /** Model name when the trace names one. */
  model?: string
  /** One or more calls; a plain request has one. */
  calls: TaskCall[]
  /** For generic (non-token) work: service time in seconds on one server slot. */
  serviceTimeS?: number
  /** Seconds after arrival by which the task must have started service, else it is dropped. */
  deadlineS?: number
}

/**
 * A stream of tasks in non-decreasing arrival order, delivered in chunks so that a 10-million-task
 * workload costs one await per chunk, not per task. Memory stays bounded by the chunk size.
 */
export type TaskStream = AsyncIterable<readonly Task[]>

/** One row of a trace as read from a file, before it becomes a task. */
export interface TraceRow {
  /** 1-based line (CSV/JSONL) of this row in its file, for error messages. */
  line: number
  /** Absolute epoch seconds, or relative seconds when the file has relative times. */
  timeS: number
  inputTokens?: number
  outputTokens?: number
  taskType?: string
  priority?: Priority
  model?: string
  /** For agent chains written by fleetcap: the task this call belongs to, its index in the chain, and its delay. */
  taskId?: string
  callIndex?: number
  delayS?: number
  /** Leading prompt tokens shared with the previous call of its chain (TaskCall.sharedPrefixTokens). */
  prefixTokens?: number
  /** Generic (non-token) work: service time in seconds. */
  serviceTimeS?: number
  /** Seconds after arrival by which the task must have started. */
  deadlineS?: number
}

/** How the columns of a CSV trace map to fields. Each value is a header name. */
export interface ColumnMapping {
  time: string
  inputTokens?: string
  outputTokens?: string
  taskType?: string
  priority?: string
  model?: string
  taskId?: string
  callIndex?: string
  delayS?: string
  serviceTimeS?: string
  deadlineS?: string
  prefixTokens?: string
}
