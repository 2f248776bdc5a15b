import {z} from 'zod'

import {RandomStreams} from '../engine/random.js'
import {InputError, UnknownNameError} from '../errors.js'
import {locationFor, parseWith, type YamlSource, YamlText} from './yaml-input.js'

/**
 * Failures to inject, scheduled or random (seeded): a replica lost (it restarts after its recovery
 * time), a GPU node lost (its replicas with it; a replacement after the recovery time), a pool
 * unreachable for a window (a network partition), a degraded GPU (its throughput multiplied by a
 * factor for a while). `expandFailures` turns the specification into one deterministic, time-sorted
 * list of events for a run; which replica or node is hit is left to the simulator, which maps the
 * event's uniform draws onto what is alive at that moment.
 */

const at = z.union([z.number().nonnegative(), z.array(z.number().nonnegative()).min(1)])
const random = z
  .strictObject({
    /** Mean seconds between failures (a Poisson process), from `fromS` to `untilS`; at least 1 s. */
    meanTimeBetweenS: z.number().min(1, {message: 'must be at least 1 s'}),
    fromS: z.number().nonnegative().optional(),
    untilS: z.number().positive().optional(),
  })

const common = {
  pool: z.string().min(1),
  at: at.optional(),
  random: random.optional(),
}

export const failureSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({type: z.literal('replica-loss'), ...common, count: z.number().int().positive().default(1), recoveryS: z.number().nonnegative()}),
  z.strictObject({type: z.literal('node-loss'), ...common, count: z.number().int().positive().default(1), recoveryS: z.number().nonnegative()}),
  z.strictObject({type: z.literal('partition'), ...common, durationS: z.number().positive()}),
  z.strictObject({
    type: z.literal('degraded-gpu'),
    ...common,
    count: z.number().int().positive().default(1),
    durationS: z.number().positive(),
    throughputFactor: z.number().gt(0).lt(1),
  }),
])

export const lostWorkPolicySchema = z.strictObject({
  /** In-flight work on a lost replica: sent again to another replica, or failed. */
  onLostWork: z.enum(['retry', 'fail']).default('retry'),
  /** Retries per task before it counts as failed. */
  maxRetries: z.number().int().nonnegative().default(2),
})

export const failuresSchema = z.strictObject({
  policy: lostWorkPolicySchema.default({onLostWork: 'retry', maxRetries: 2}),
  events: z.array(failureSpecSchema).default([]),
})

export type FailureSpec = z.output<typeof failureSpecSchema>
export type FailuresSpec = z.output<typeof failuresSchema>
export type LostWorkPolicy = z.output<typeof lostWorkPolicySchema>
export type FailureKind = FailureSpec['type']

export interface FailureEvent {
  kind: FailureKind
  pool: string
  timeS: number
  /** When it is over: the replica/node is back, the partition heals, the GPU is healthy again. */
  endS: number
  /** Replicas or nodes hit (1 for a partition, which takes the whole pool). */
  count: number
  /** degraded-gpu: throughput multiplier while it lasts. */
  throughputFactor?: number
  /** One uniform draw in [0, 1) per target, to pick among the replicas/nodes alive at timeS. */
  targetDraws: number[]
  /** Index of the entry in `events` it came from. */
  source: number
}

export interface FailuresParseOptions extends YamlSource {
  /** Pool names of the scenario; unknown names are errors. */
  knownPools?: readonly string[]
  text?: YamlText
}

export function parseFailures(value: unknown, options: FailuresParseOptions = {}): FailuresSpec {
  const where = {text: options.text, source: options}
  const spec = parseWith(failuresSchema, value, where)
  spec.events.forEach((e, i) => {
    const path = ['events', i]
    if ((e.at === undefined) === (e.random === undefined)) {
      throw new InputError(locationFor(path, where), 'give exactly one of "at" (scheduled) or "random"')
    }
    if (options.knownPools !== undefined && !options.knownPools.includes(e.pool)) {
      throw new UnknownNameError('pool', e.pool, options.knownPools, locationFor([...path, 'pool'], where))
    }
    if (e.random?.untilS !== undefined && e.random.untilS <= (e.random.fromS ?? 0)) {
      throw new InputError(locationFor([...path, 'random', 'untilS'], where), 'must be after fromS')
    }
  })
  return spec
}

export function parseFailuresYaml(text: string, options: Omit<FailuresParseOptions, 'text'> = {}): FailuresSpec {
  const yaml = new YamlText(text, options)
  return parseFailures(yaml.value, {...options, text: yaml})
}

/**
 * The failures of one run of `durationS` seconds, sorted by time (then by entry, then by order).
 * Random entries draw their inter-arrival times from the stream `failures/<index>`, and every
 * event's target draws from `failures/<index>/targets`: the same seed gives the same list, and
 * adding an entry does not move the others.
 */
export function expandFailures(spec: FailuresSpec, durationS: number, seed: number): FailureEvent[] {
  const streams = new RandomStreams(seed)
  const out: FailureEvent[] = []
  spec.events.forEach((e, source) => {
    const targets = streams.stream(`failures/${source}/targets`)
    const times: number[] = []
    if (e.at !== undefined) {
      for (const t of Array.isArray(e.at) ? e.at : [e.at]) if (t < durationS) times.push(t)
    } else if (e.random !== undefined) {
      const arrivals = streams.stream(`failures/${source}`)
      const until = Math.min(durationS, e.random.untilS ?? durationS)
      for (let t = (e.random.fromS ?? 0) + arrivals.exponential(1 / e.random.meanTimeBetweenS); t < until; t += arrivals.exponential(1 / e.random.meanTimeBetweenS)) {
        times.push(t)
      }
    }
    times.sort((a, b) => a - b)
    for (const timeS of times) {
      const count = e.type === 'partition' ? 1 : e.count
      const lasts = e.type === 'replica-loss' || e.type === 'node-loss' ? e.recoveryS : e.durationS
      const event: FailureEvent = {
        kind: e.type,
        pool: e.pool,
        timeS,
        endS: timeS + lasts,
        count,
        targetDraws: Array.from({length: count}, () => targets.next()),
        source,
      }
      if (e.type === 'degraded-gpu') event.throughputFactor = e.throughputFactor
      out.push(event)
    }
  })
  // Stable sort: equal times keep entry order, then draw order.
  return out.sort((a, b) => a.timeS - b.timeS)
}

/** Pick `draws.length` distinct indices among `alive` items with the event's draws (deterministic). */
export function pickTargets(draws: readonly number[], alive: number): number[] {
  const pool = Array.from({length: alive}, (_, i) => i)
  const picked: number[] = []
  for (const u of draws) {
    if (pool.length === 0) break
    const k = Math.min(pool.length - 1, Math.floor(u * pool.length))
    picked.push(pool[k])
    pool.splice(k, 1)
  }
  return picked
}

/** What happens to one task that was in flight on a lost replica, after `retriesSoFar` retries. */
export function lostWorkOutcome(policy: LostWorkPolicy, retriesSoFar: number): 'retry' | 'fail' {
  return policy.onLostWork === 'retry' && retriesSoFar < policy.maxRetries ? 'retry' : 'fail'
}
