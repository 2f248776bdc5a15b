import {z} from 'zod'

import {InputError} from '../errors.js'
import {locationFor, parseWith, readYamlFile, type YamlSource, YamlText} from './yaml-input.js'

/**
 * The hand-written threshold autoscaler of the seeds: scale up when any metric is above its upper
 * threshold (sustained for a duration where the table says so), scale down when every metric is
 * below its lower threshold (sustained), by a step, with a cooldown after each change. The table
 * comes from /work/shared/seeds/004_bf0c41bc270249de.txt ("Scaling Thresholds"); the evaluation
 * interval of 30 s and the idea of cooldowns from seed 003 ("Health Check Interval: 30s",
 * "Cooldown Periods: Prevents oscillation"). The seeds give no step size or cooldown length, so a
 * configuration must state them.
 */

/** Pool-level signals the simulator reports to a threshold autoscaler. */
export const THRESHOLD_SIGNALS = [
  'cpu',
  'memory',
  'gpu_utilization',
  'queue_pending',
  'inflight_requests',
  'waiting_requests',
  'p95_latency_ms',
  'error_rate_percent',
] as const
export type ThresholdSignal = (typeof THRESHOLD_SIGNALS)[number]

const step = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(\.\d+)?%$/, 'must be a replica count or a percentage like "50%"'),
])

export const thresholdAutoscalerSchema = z.strictObject({
  minReplicas: z.number().int().nonnegative(),
  maxReplicas: z.number().int().positive(),
  evaluationIntervalS: z.number().positive().default(30),
  scaleUp: z.strictObject({step, cooldownS: z.number().nonnegative()}),
  scaleDown: z.strictObject({step, cooldownS: z.number().nonnegative()}),
  rules: z
    .array(
      z.strictObject({
        metric: z.enum(THRESHOLD_SIGNALS),
        up: z.strictObject({above: z.number(), forS: z.number().nonnegative().default(0)}).optional(),
        down: z.strictObject({below: z.number(), forS: z.number().nonnegative().default(0)}).optional(),
      }),
    )
    .min(1),
})

export type ThresholdAutoscalerSpec = z.output<typeof thresholdAutoscalerSchema>

export function parseThresholdAutoscaler(value: unknown, source: YamlSource & {text?: YamlText} = {}): ThresholdAutoscalerSpec {
  const spec = parseWith(thresholdAutoscalerSchema, value, {text: source.text, source})
  if (spec.maxReplicas < spec.minReplicas) {
    throw new InputError(locationFor(['maxReplicas'], {text: source.text, source}), `must be at least minReplicas (${spec.minReplicas})`)
  }
  return spec
}

export function parseThresholdAutoscalerYaml(text: string, source: YamlSource = {}): ThresholdAutoscalerSpec {
  const yaml = new YamlText(text, source)
  return parseThresholdAutoscaler(yaml.value, {...source, text: yaml})
}

export async function loadThresholdAutoscalerFile(file: string): Promise<ThresholdAutoscalerSpec> {
  return parseThresholdAutoscalerYaml(await readYamlFile(file), {file})
}

export interface ThresholdDecision {
  timeS: number
  currentReplicas: number
  desiredReplicas: number
  direction: 'up' | 'down' | 'none'
  /** Rules whose condition held (up: any of them; down: all of them). */
  because: {metric: ThresholdSignal; value: number; threshold: number; sustainedS: number}[]
  limitedBy?: 'cooldown' | 'minReplicas' | 'maxReplicas'
}

/** The threshold autoscaler's state: since when each condition has held, and the last change. */
export class ThresholdAutoscaler {
  readonly spec: ThresholdAutoscalerSpec
  private readonly upSince: (number | undefined)[]
  private readonly downSince: (number | undefined)[]
  private lastScaleS: number | undefined

  constructor(spec: ThresholdAutoscalerSpec) {
    this.spec = spec
    this.upSince = spec.rules.map(() => undefined)
    this.downSince = spec.rules.map(() => undefined)
  }

  get evaluationIntervalS(): number {
    return this.spec.evaluationIntervalS
  }

  /** One evaluation at `nowS`; a signal missing from `signals` fails both of its conditions. */
  evaluate(nowS: number, currentReplicas: number, signals: Partial<Record<ThresholdSignal, number>>): ThresholdDecision {
    const up: ThresholdDecision['because'] = []
    const down: ThresholdDecision['because'] = []
    let allDown = true
    this.spec.rules.forEach((rule, i) => {
      const value = signals[rule.metric]
      const known = value !== undefined && Number.isFinite(value)
      if (rule.up !== undefined) {
        const on = known && value > rule.up.above
        this.upSince[i] = on ? (this.upSince[i] ?? nowS) : undefined
        const held = on ? nowS - this.upSince[i]! : -1
        if (on && held >= rule.up.forS) up.push({metric: rule.metric, value, threshold: rule.up.above, sustainedS: held})
      }
      if (rule.down !== undefined) {
        const on = known && value < rule.down.below
        this.downSince[i] = on ? (this.downSince[i] ?? nowS) : undefined
        const held = on ? nowS - this.downSince[i]! : -1
        if (on && held >= rule.down.forS) down.push({metric: rule.metric, value, threshold: rule.down.below, sustainedS: held})
        else allDown = false
      }
    })
    const decision: ThresholdDecision = {timeS: nowS, currentReplicas, desiredReplicas: currentReplicas, direction: 'none', because: []}
    const {minReplicas, maxReplicas} = this.spec
    const sinceLast = this.lastScaleS === undefined ? Infinity : nowS - this.lastScaleS
    if (up.length > 0) {
      decision.because = up
      if (sinceLast < this.spec.scaleUp.cooldownS) decision.limitedBy = 'cooldown'
      else if (currentReplicas >= maxReplicas) decision.limitedBy = 'maxReplicas'
      else {
        decision.desiredReplicas = Math.min(maxReplicas, currentReplicas + stepSize(this.spec.scaleUp.step, currentReplicas, 'up'))
        if (decision.desiredReplicas === maxReplicas) decision.limitedBy = 'maxReplicas'
      }
    } else if (allDown && down.length > 0) {
      decision.because = down
      if (sinceLast < this.spec.scaleDown.cooldownS) decision.limitedBy = 'cooldown'
      else if (currentReplicas <= minReplicas) decision.limitedBy = 'minReplicas'
      else {
        decision.desiredReplicas = Math.max(minReplicas, currentReplicas - stepSize(this.spec.scaleDown.step, currentReplicas, 'down'))
        if (decision.desiredReplicas === minReplicas) decision.limitedBy = 'minReplicas'
      }
    }
    if (decision.desiredReplicas !== currentReplicas) {
      decision.direction = decision.desiredReplicas > currentReplicas ? 'up' : 'down'
      this.lastScaleS = nowS
    }
    return decision
  }
}

/** A step of "50%" adds ceil(50% of n) replicas up, removes floor(…) down; at least one either way. */
function stepSize(step: number | string, n: number, direction: 'up' | 'down'): number {
  if (typeof step === 'number') return step
  const amount = (n * Number(step.slice(0, -1))) / 100
  return Math.max(1, direction === 'up' ? Math.ceil(amount) : Math.floor(amount))
}
