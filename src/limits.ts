/**
 * Bounds on what a user may ask for: far above any real fleet or load, far below what would run for
 * days or exhaust memory (a typo of 1e30 tasks a day must be refused at once, not hang). Each schema
 * and flag parser that takes one of these says so in its error.
 */
export const LIMITS = {
  /** Tasks per day of a workload or a plan phase (~116,000 tasks/s). */
  tasksPerDay: 1e10,
  /** Tasks (or requests) per second of a workload or a load test. */
  ratePerS: 1e5,
  /** Replicas of one pool. */
  replicasPerPool: 100_000,
  /** Tokens of one call's prompt or output (no served model has a context near this). */
  tokensPerCall: 10_000_000,
  /** Calls in one agent task. */
  callsPerTask: 10_000,
  /** Rate buckets of a trace inspection. */
  rateBuckets: 10_000_000,
  /** Tasks per day of a plan phase: the planner keeps its peak window's tasks in memory, per seed. */
  planTasksPerDay: 1e7,
  /** Rows of a simulation's time series. */
  seriesRows: 1_000_000,
  /** Replay speed of a trace, either way. */
  rateScale: 1e4,
  /** Seconds from a trace's start (or the epoch) to any row: past the year 9999 is a corrupt time. */
  traceTimeS: 253_402_300_799,
  /**
   * Calls waiting in a simulated fleet's central queue. An overloaded fleet's queue grows without
   * bound; past this many waiting calls an arrival is rejected and the run reported as overloaded
   * (a normal what-if), so that memory stays bounded (a few hundred MB at most).
   */
  queuedCalls: 100_000,
  /**
   * Tasks one synthetic workload may generate (mean rate × duration): a simulation or a trace of
   * 10^9 tasks already runs for hours; past it, split the run (shorter duration, several seeds).
   */
  tasksPerRun: 1e9,
  /** Rows `trace generate` writes (about 50 bytes each: ~5 GB). */
  traceRows: 1e8,
  /** Bytes of one line of a streamed input (a CSV row, a JSON line, a k6 sample). */
  lineBytes: 1 << 20,
  /** Steps of a forecast horizon or window. */
  forecastSteps: 1_000_000,
  /**
   * Rows of a forecast's or a backtest's output (series × horizon, or series × windows × holdout ×
   * models): each ~100-200 bytes in the CSV and again in the JSONL, built in memory (a JS string holds
   * at most ~512 M characters).
   */
  forecastRows: 2_000_000,
  /** Result rows of a sweep (cells × seedsPerCell; results.jsonl, ~300 bytes each, built in memory). */
  sweepRows: 1_000_000,
  /** Stages of a k6 export (one per rate bucket of a replayed trace, one line each in load.js). */
  k6Stages: 100_000,
} as const
