/**
 * What `fleetcap plan` is asked: the load (phases or a forecast), the workload's shape, the SLOs, the
 * GPU catalog with limits, a budget, the quantile to size for and the headroom. Validated with zod at
 * the edge (a YAML file, `--spec`, and flags merged over it); everything inside trusts these types.
 */
import {dirname, resolve} from 'node:path'

import {LineCounter, parseDocument} from 'yaml'
import {z} from 'zod'

import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {joinPath, lineOfPath} from '../util/yaml-path.js'
import {reportedIssue, unknownFieldMessage} from '../util/zod-issue.js'
import {ENGINES, poolPrecision} from '../fleet/profiles/precision.js'
import {PoolPrecisionSchema, RoutingSchema, SloSchema} from '../scenario/schema.js'
import {SyntheticWorkloadSchema} from '../workload/spec.js'
import {readInputFileSync, yamlToJs} from '../util/read-input.js'

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, "-")')
  .max(40)

export const PhaseTargetSchema = z
  .strictObject({
    name: dnsLabel.optional().describe('Phase name (default phase-1, phase-2, …).'),
    tasksPerDay: z.number().positive().max(LIMITS.planTasksPerDay).describe('Tasks per day this phase must serve (at the sizing quantile).'),
    date: z.iso.date().optional().describe('Date the phase starts (its trigger); without it the trigger is the load.'),
  })
  .describe('One phase of the plan: a load target.')

export const GpuOfferSchema = z
  .strictObject({
    gpu: z.string().min(1).describe('GPU name or alias from models/gpus.yaml.'),
    maxGpus: z.number().int().positive().optional().describe('Most GPUs of this type available (per phase).'),
    pricePerGpuHourUsd: z.number().positive().optional().describe('Price instead of the catalog\'s.'),
  })
  .describe('A GPU type the planner may use.')

/** The seeds' own fleets, judged under the same load and SLOs. */
export const BaselineSchema = z
  .strictObject({
    phase: dnsLabel.describe('Phase the fleet is meant for.'),
    scenario: z.string().min(1).describe('Scenario YAML whose fleet.pools (LLM pools) are the baseline; relative to the spec file.'),
    label: z.string().optional().describe('Name shown in PLAN.md (default: the scenario name).'),
  })
  .describe('A hand-made fleet to compare with the plan.')

/** One command-line argument: printable, no line breaks (a newline would split the container's args). */
const engineArg = z
  .string()
  .min(1)
  .max(1024)
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'must be one printable argument without line breaks or control characters')
/** A container image reference as the distribution spec writes it: [host[:port]/]path[:tag][@digest]. */
const IMAGE_REFERENCE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/

export const ManifestConfigSchema = z
  .strictObject({
    image: z.string().min(1).regex(IMAGE_REFERENCE, 'not a container image reference (registry/name:tag or name@sha256:…; lowercase name, no spaces or newlines)').optional().describe('Serving container image (default vllm/vllm-openai:v0.6.3).'),
    namespace: dnsLabel.optional().describe('Namespace of every object (default: none, the kubectl context\'s).'),
    labels: z
      .record(
        // Kubernetes label syntax: an optional DNS-subdomain prefix and a name of up to 63 characters; values likewise (or empty).
        z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'not a Kubernetes label key (name, or prefix/name: letters, digits, "-", "_", ".")'),
        z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'not a Kubernetes label value (up to 63 letters, digits, "-", "_", ".")'),
      )
      .optional()
      .describe('Extra labels on every object.'),
    metric: z.string().min(1).optional().describe('Pods metric the HPA scales on (default vllm_num_requests_running).'),
    port: z.number().int().min(1).max(65535).optional().describe('Container port (default 8000).'),
    readinessPath: z.string().startsWith('/').optional().describe('Readiness probe HTTP path (default /health).'),
    keda: z.boolean().optional().describe('Write a KEDA ScaledObject (Prometheus trigger) instead of the HPA.'),
    prometheusUrl: z.string().optional().describe('KEDA: Prometheus server address (default http://prometheus.monitoring:9090).'),
    // Deployable as written (issue 13 item 6): what the engine loads and serves, and how it rolls out.
    models: z
      .record(
        z.string().min(1),
        z.strictObject({
          source: engineArg.describe('Hugging Face repo (org/name) or a path in the container that vLLM\'s --model loads.'),
          servedName: engineArg.optional().describe('Name clients request (--served-model-name; default: the plan\'s model id).'),
          engineArgs: z.array(engineArg).optional().describe('Extra engine arguments for this model\'s pools, one argument per item.'),
        }),
      )
      .optional()
      .describe('Per serving-profile model id: what the engine loads (default: the Hugging Face repo the catalog\'s figures come from).'),
    engineArgs: z.array(engineArg).optional().describe('Extra engine arguments for every pool, one argument per item (e.g. --max-model-len, 8192).'),
    createNamespace: z.boolean().optional().describe('Write a Namespace object for `namespace` (default false).'),
    rollout: z
      .enum(['replace-one', 'surge-one'])
      .optional()
      .describe('replace-one (default): maxSurge 0, maxUnavailable 1, fits a pool sized exactly to the plan; surge-one: maxSurge 1, maxUnavailable 0, needs one more replica\'s GPUs free during a rollout (budgeted in plan.yaml and PLAN.md).'),
  })
  .refine((c) => c.createNamespace !== true || c.namespace !== undefined, {message: 'createNamespace needs a namespace', path: ['createNamespace']})
  .describe('How manifests are written.')

export const AvailabilitySchema = z
  .strictObject({
    minReplicas: z.number().int().min(1).max(1000).optional().describe('Fewest replicas a fleet may have in total, at its smallest (HPA floor included) (default 2).'),
    survive: z.enum(['none', 'one-replica-loss']).optional().describe('one-replica-loss: the fleet must still meet the SLOs at the peak with its largest replica lost (N+1) (default one-replica-loss).'),
  })
  .describe('Availability floor: no single pod failure, node drain or rollout may take the service down.')

/** A weight precision to compare plans at (`compare.precision`); the KV cache follows the engine's default for it. */
export const PrecisionSchema = z.enum(['fp16', 'bf16', 'fp8', 'int8', 'int4', 'fp4'])
export type Precision = z.output<typeof PrecisionSchema>

export const PlanSpecSchema = z
  .strictObject({
    apiVersion: z.literal('fleetcap.dev/v1').optional(),
    kind: z.literal('PlanRequest').optional(),
    name: dnsLabel.optional().describe('Plan name (metadata.name of plan.yaml).'),
    model: z.string().min(1).optional().describe('Model served (default llama-3.1-70b, the seeds\' stand-in).'),
    workload: SyntheticWorkloadSchema.optional().describe('Workload shape (synthetic spec); its rate is replaced by each phase\'s.'),
    phases: z.array(PhaseTargetSchema).min(1).optional(),
    slo: SloSchema.optional(),
    gpus: z.array(GpuOfferSchema).min(1).optional().describe('GPU types to consider (default: every catalog GPU, no limit).'),
    tensorParallel: z.array(z.number().int().min(1).max(64)).min(1).optional().describe('TP degrees to try (default 1, 2, 4, 8).'),
    engine: z.enum(ENGINES).optional().describe('Serving engine of every candidate: vllm (default), tensorrt-llm, vllm-splitwise-2023.'),
    precision: PoolPrecisionSchema.optional(),
    budgetPerDayUsd: z.number().positive().optional().describe('Most a phase\'s fleet may cost per day.'),
    quantile: z.number().gt(0).lt(1).optional().describe('Forecast quantile to size for (default 0.9).'),
    headroom: z.number().min(0).max(4).optional().describe('Extra load the fleet must carry: 0.1 = 10 % above the target (default 0.1).'),
    seeds: z.number().int().min(1).max(20).optional().describe('Seeds a fleet must pass on (default 3).'),
    peakWindowS: z.number().min(600).max(86_400).optional().describe('Simulated window around the daily peak, seconds (default 3600).'),
    routing: RoutingSchema.optional(),
    prefixCache: z
      .boolean()
      .optional()
      .describe('Simulate every fleet with vLLM\'s automatic prefix caching: an agent chain\'s context stays in its replica\'s KV cache between calls (default false; pair with routing policy prefix-affinity).'),
    queue: z.strictObject({deadlines: z.partialRecord(z.enum(['critical', 'high', 'normal', 'low']), z.number().positive()).optional()}).optional(),
    baselines: z.array(BaselineSchema).optional(),
    manifests: ManifestConfigSchema.optional(),
    availability: AvailabilitySchema.optional(),
    risk: z
      .enum(['nominal', 'pessimistic'])
      .optional()
      .describe('pessimistic: size and verify every fleet with its serving profiles\' step times at the slow edge of their uncertainty band; nominal: as fitted (default pessimistic).'),
    compare: z
      .strictObject({
        precision: z.array(PrecisionSchema).min(1).max(6).optional().describe('Plan each phase again at each precision, on the offered GPUs that support it.'),
        gpus: z.array(z.string().min(1)).min(1).optional().describe('Restrict the comparison to these offered GPUs (e.g. [H100-SXM]: fp16 against fp8 on H100).'),
      })
      .optional()
      .describe('Extra plans PLAN.md shows beside the choice.'),
  })
  .refine((s) => s.workload?.service === undefined, {message: 'the planner sizes LLM fleets: a workload with a service time (generic work) has no tokens to plan for', path: ['workload', 'service']})
  .refine((s) => s.routing?.policy !== 'prefix-affinity' || s.prefixCache === true, {message: 'prefix-affinity routes by cached context: set prefixCache: true', path: ['routing', 'policy']})
  .refine((s) => datesIncrease(s.phases ?? []), {message: 'phase dates must increase from one phase to the next', path: ['phases']})
  .describe('A capacity planning request.')

function datesIncrease(phases: ReadonlyArray<{date?: string}>): boolean {
  const dates = phases.map((p) => p.date).filter((d): d is string => d !== undefined)
  return dates.every((d, i) => i === 0 || d > dates[i - 1])
}

export type PlanSpecInput = z.input<typeof PlanSpecSchema>
export type PlanSpec = z.output<typeof PlanSpecSchema>
export type PhaseTarget = z.output<typeof PhaseTargetSchema>
export type GpuOffer = z.output<typeof GpuOfferSchema>
export type ManifestConfig = z.output<typeof ManifestConfigSchema>
export type SyntheticShape = z.output<typeof SyntheticWorkloadSchema>

/**
 * The seeds' agent workload, as scenarios/seed-phase1-500-per-day.yaml states its assumptions
 * (4-call agent chains, prompts ~1,500 tokens carried forward, answers ~250, daily cycle peaking at
 * 14:00 with peak/trough 4, priority mix 5/20/60/15, low-priority calls dropped after 10 minutes).
 */
export const SEED_WORKLOAD = {
  kind: 'synthetic',
  tasksPerDay: 1,
  shape: {daily: {peakHour: 14, peakToTrough: 4}},
  tokens: {
    input: {dist: 'lognormal', mean: 1500, cv: 0.6, min: 100, max: 8000},
    output: {dist: 'lognormal', mean: 250, cv: 0.8, min: 10, max: 2000},
  },
  priorities: {critical: 5, high: 20, normal: 60, low: 15},
  taskTypes: {research: 40, code: 35, ops: 25},
  agent: {
    callsPerTask: {dist: 'lognormal', mean: 4, cv: 0.5, min: 1, max: 12},
    contextGrowthTokens: 'carry',
    stepInputTokens: 300,
    thinkTimeS: 2,
    maxContextTokens: 32000,
  },
} as const

/** A request with every default filled in. */
export interface ResolvedRequest {
  name: string
  model: string
  workload: SyntheticShape
  phases: Array<{name: string; tasksPerDay: number; date?: string}>
  slo: NonNullable<PlanSpec['slo']>
  gpus: GpuOffer[] | undefined
  tensorParallel: number[]
  /** Engine and precision ("fp8" or "fp8/fp8") of every candidate; undefined: the defaults. */
  engine?: string
  precision?: string
  budgetPerDayUsd?: number
  quantile: number
  headroom: number
  seeds: number
  peakWindowS: number
  routing: NonNullable<PlanSpec['routing']>
  prefixCache: boolean
  queueDeadlines: Partial<Record<'critical' | 'high' | 'normal' | 'low', number>>
  baselines: Array<{phase: string; scenario: string; label?: string}>
  manifests: ManifestConfig
  availability: AvailabilityPolicy
  risk: 'nominal' | 'pessimistic'
  /** Precisions to plan each phase at beside the choice (PLAN.md). */
  comparePrecisions: Precision[]
  /** GPUs the precision comparison is restricted to (default: every offered GPU). */
  compareGpus?: string[]
}

/** The availability floor every fleet is held to (src/planner/availability.ts enforces it). */
export interface AvailabilityPolicy {
  minReplicas: number
  survive: 'none' | 'one-replica-loss'
}

/** Fill defaults: the seeds' workload and SLOs (TTFT p95 5 s, errors < 0.1 %), least-outstanding routing. */
export function resolveRequest(spec: PlanSpec, baseDir: string): ResolvedRequest {
  if (spec.phases === undefined || spec.phases.length === 0) {
    throw new InputError({field: 'phases'}, 'no phases: give --phases 500,5000,50000, phases: in the spec, or --history')
  }
  const names = new Set<string>()
  const phases = spec.phases.map((p, i) => {
    const name = p.name ?? `phase-${i + 1}`
    if (names.has(name)) throw new InputError({field: `phases[${i}].name`}, `duplicate phase name "${name}"`)
    names.add(name)
    return {name, tasksPerDay: p.tasksPerDay, ...(p.date === undefined ? {} : {date: p.date})}
  })
  for (const [i, b] of (spec.baselines ?? []).entries()) {
    if (!names.has(b.phase)) throw new InputError({field: `baselines[${i}].phase`}, `unknown phase "${b.phase}"; phases: ${[...names].join(', ')}`)
  }
  return {
    name: spec.name ?? 'capacity-plan',
    model: spec.model ?? 'llama-3.1-70b',
    workload: spec.workload ?? SyntheticWorkloadSchema.parse(SEED_WORKLOAD),
    phases,
    slo: spec.slo ?? {ttftP95S: 5, errorRateMax: 0.001},
    gpus: spec.gpus,
    tensorParallel: [...new Set(spec.tensorParallel ?? [1, 2, 4, 8])].sort((a, b) => a - b),
    ...(spec.engine === undefined ? {} : {engine: spec.engine}),
    ...(spec.precision === undefined ? {} : {precision: poolPrecision(spec.precision)}),
    budgetPerDayUsd: spec.budgetPerDayUsd,
    quantile: spec.quantile ?? 0.9,
    headroom: spec.headroom ?? 0.1,
    seeds: spec.seeds ?? 3,
    peakWindowS: spec.peakWindowS ?? 3600,
    // Least outstanding requests: what LLM routers do; the seeds' score balancer herds load onto the
    // replica with the best recent latency (docs/planner.md measures what that costs).
    routing: spec.routing ?? {policy: 'least-outstanding'},
    prefixCache: spec.prefixCache ?? false,
    queueDeadlines: spec.queue?.deadlines ?? {low: 600},
    baselines: (spec.baselines ?? []).map((b) => ({...b, scenario: resolve(baseDir, b.scenario)})),
    manifests: spec.manifests ?? {},
    // Two replicas that survive losing one: a pod failure, node drain or rollout never takes the service down.
    availability: {minReplicas: spec.availability?.minReplicas ?? 2, survive: spec.availability?.survive ?? 'one-replica-loss'},
    // Buy for the slow edge of what the profiles know: an unmeasured GPU is not taken at its best guess.
    risk: spec.risk ?? 'pessimistic',
    comparePrecisions: [...new Set(spec.compare?.precision ?? [])],
    ...(spec.compare?.gpus ? {compareGpus: spec.compare.gpus} : {}),
  }
}

/** Read and validate a plan request YAML; errors name the file, line and field. */
export function loadPlanSpecFile(file: string): {spec: PlanSpec; baseDir: string; text: string} {
  const text = readInputFileSync(file)
  return {spec: parsePlanSpec(text, file), baseDir: dirname(resolve(file)), text}
}

export function parsePlanSpec(text: string, file = 'plan spec'): PlanSpec {
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InputError({file, line: lines.linePos(e.pos[0]).line}, `invalid YAML: ${e.message.split('\n')[0]}`)
  }
  const parsed = PlanSpecSchema.safeParse(yamlToJs(doc, file) ?? {})
  if (!parsed.success) {
    const issue = reportedIssue(parsed.error.issues)
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
    // An unknown key: point at the key itself.
    if (issue.code === 'unrecognized_keys') path.push(issue.keys[0])
    const message = issue.code === 'unrecognized_keys' ? unknownFieldMessage(issue) : issue.message
    throw new InputError({file, line: lineOfPath(doc, lines, path), field: joinPath(undefined, path) || undefined}, message)
  }
  return parsed.data
}
