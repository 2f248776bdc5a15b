/** The workload area's public API: read, generate, write and inspect task traces. */
export * from './types.js'
export {readTrace, SKIP_REASONS} from './read-trace.js'
export type {TraceReader, TraceReadOptions, TraceReadReport, SkipCount, SkipReason} from './read-trace.js'
export {TRACE_FORMATS, HEADER_ALIASES, parseMappingFlag} from './formats.js'
export type {TraceFormat, TraceFormatOption, MappingField} from './formats.js'
export type {TimeUnit, TimeUnitOption} from './time.js'
export {parseIsoSeconds, detectTimeUnit} from './time.js'
export {
  WorkloadSpecSchema,
  TraceWorkloadSchema,
  SyntheticWorkloadSchema,
  NumericDistSchema,
  TokenDistSchema,
  DurationSchema,
} from './spec.js'
export type {WorkloadSpec, WorkloadSpecInput, TraceWorkloadSpec, SyntheticWorkloadSpec, NumericDist, TokenDist} from './spec.js'
export {createWorkload} from './create.js'
export type {WorkloadContext} from './create.js'
export {writeTraceCsv, TRACE_CSV_HEADER} from './write-trace.js'
export type {WriteTraceResult} from './write-trace.js'
export {inspectTrace} from './inspect.js'
export type {TraceInspection, TokenStats} from './inspect.js'
export {loadWorkloadSpecFile, explainIssue} from './spec-file.js'
export type {LoadedWorkloadSpec} from './spec-file.js'
