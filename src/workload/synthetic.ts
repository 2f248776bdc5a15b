/**
 * Synthetic workloads: a non-homogeneous Poisson arrival process (daily and weekly shape, by
 * thinning) modulated by a Markov chain for bursts (MMPP), with token lengths, mixes, agent chains
 * or generic service times drawn from named random streams. Tasks come out in chunks from a plain
 * state machine: no closure or await per task, memory bounded by the chunk size.
 */
import {FleetcapError, InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import type {RandomStreams, Rng} from '../engine/random.js'
import {Sampler, tokens} from './dist.js'
import type {SyntheticWorkloadSpec} from './spec.js'
import {TokenSource} from './token-source.js'
import {PRIORITIES, type Priority, type Task, type TaskCall} from './types.js'

const DAY_S = 86_400
const WEEK_DAYS = 7

/**
 * The one call of every generic (service-time) task, shared: nothing reads its tokens, and one
 * array instead of an array and an object per task halves what the generator allocates. Frozen,
 * so a consumer that tried to change it would fail loudly instead of changing every task.
 */
const SERVICE_CALLS = Object.freeze([Object.freeze({inputTokens: 0, outputTokens: 0, delayS: 0})]) as unknown as TaskCall[]

/** The arrival rate's time shape: daily × weekly multipliers, each with mean 1. */
export class RateShape {
  /** 24 hourly multipliers (piecewise constant), or undefined for a cosine or flat day. */
  private readonly hourly?: Float64Array
  private readonly cosAmp: number
  private readonly peakHour: number
  private readonly weekly?: Float64Array
  private readonly startHour: number
  private readonly startDay: number
  /** Largest value multiplier() can take: the thinning bound. */
  readonly max: number
  /** No daily or weekly shape: multiplier() is 1 everywhere. */
  readonly flat: boolean

  constructor(shape: SyntheticWorkloadSpec['shape']) {
    const daily = shape?.daily
    this.startHour = shape?.startHour ?? 0
    this.startDay = shape?.startDay ?? 0
    this.cosAmp = 0
    this.peakHour = 0
    let dailyMax = 1
    if (Array.isArray(daily)) {
      this.hourly = normalized(daily, 'shape.daily')
      dailyMax = Math.max(...this.hourly)
    } else if (daily !== undefined) {
      const r = daily.peakToTrough
      this.cosAmp = (r - 1) / (r + 1)
      this.peakHour = daily.peakHour
      dailyMax = 1 + this.cosAmp
    }
    let weeklyMax = 1
    if (shape?.weekly !== undefined) {
      this.weekly = normalized(shape.weekly, 'shape.weekly')
      weeklyMax = Math.max(...this.weekly)
    }
    this.max = dailyMax * weeklyMax
    this.flat = this.hourly === undefined && this.cosAmp === 0 && this.weekly === undefined
  }

  /** Rate multiplier at time t (seconds from the workload start). */
  multiplier(t: number): number {
    const hours = t / 3600 + this.startHour
    let m = 1
    if (this.hourly !== undefined) m = this.hourly[Math.floor(hours) % 24]
    else if (this.cosAmp !== 0) m = 1 + this.cosAmp * Math.cos((2 * Math.PI * (hours - this.peakHour)) / 24)
    if (this.weekly !== undefined) m *= this.weekly[(Math.floor(hours / 24) + this.startDay) % WEEK_DAYS]
    return m
  }
}

function normalized(values: readonly number[], field: string): Float64Array {
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  if (!(mean > 0)) throw new FleetcapError(`${field}: at least one multiplier must be positive`)
  return Float64Array.from(values, (v) => v / mean)
}

/** Markov-modulated rate: the state's multiplier holds for an exponential dwell, then another state. */
class Modulation {
  readonly multipliers: Float64Array
  private readonly dwellRates: Float64Array
  state = 0
  endS = Number.POSITIVE_INFINITY

  constructor(
    bursts: SyntheticWorkloadSpec['bursts'],
    private readonly rng: Rng,
  ) {
    if (bursts === undefined || bursts.states.length === 0) {
      this.multipliers = Float64Array.of(1)
      this.dwellRates = Float64Array.of(0)
      return
    }
    const states = bursts.states
    const m = Float64Array.from(states, (s) => s.rateMultiplier)
    // Uniform choice among the other states makes every state equally often visited, so the time
    // share of a state is proportional to its mean dwell; normalize the time-weighted mean to 1.
    if (bursts.normalize ?? true) {
      let weighted = 0
      let total = 0
      for (const s of states) {
        weighted += s.rateMultiplier * s.meanDwellS
        total += s.meanDwellS
      }
      if (!(weighted > 0)) throw new FleetcapError('bursts: the time-weighted rate multiplier must be positive')
      for (let i = 0; i < m.length; i++) m[i] *= total / weighted
    }
    this.multipliers = m
    this.dwellRates = Float64Array.from(states, (s) => (s.meanDwellS > 0 ? 1 / s.meanDwellS : Number.POSITIVE_INFINITY))
    if (states.length > 1) {
      this.state = rng.weighted(states.map((s) => s.meanDwellS))
      this.endS = this.dwell(0)
    }
  }

  /** Move to the next state at the current state's end. */
  advance(): void {
    const n = this.multipliers.length
    const k = this.rng.int(n - 1)
    this.state = k >= this.state ? k + 1 : k
    this.endS = this.dwell(this.endS)
  }

  private dwell(from: number): number {
    const r = this.dwellRates[this.state]
    return from + (r === Number.POSITIVE_INFINITY ? 0 : this.rng.exponential(r))
  }
}

/** A weighted choice among names, drawn with one uniform. */
class Mix<T extends string> {
  private readonly cumulative: Float64Array
  constructor(
    readonly names: readonly T[],
    weights: readonly number[],
  ) {
    const total = weights.reduce((a, b) => a + b, 0)
    let acc = 0
    this.cumulative = Float64Array.from(weights, (w) => (acc += w / total))
  }

  pick(rng: Rng): T {
    if (this.names.length === 1) return this.names[0]
    const u = rng.next()
    const c = this.cumulative
    for (let i = 0; i < c.length - 1; i++) if (u < c[i]) return this.names[i]
    return this.names[c.length - 1]
  }
}

export interface SyntheticContext {
  baseDir: string
  rng: RandomStreams
  durationS?: number
  chunkSize?: number
}

/** Generates the tasks of a synthetic spec. Iterate once: the random streams advance. */
export class SyntheticWorkload implements AsyncIterable<readonly Task[]> {
  private readonly arrivals: Rng
  private readonly tokenRng: Rng
  private readonly mixRng: Rng
  private readonly agentRng: Rng
  private readonly serviceRng: Rng
  private readonly baseRate: number
  private readonly durationS: number
  private readonly shape: RateShape
  private readonly modulation: Modulation
  private readonly types: Mix<string>
  private readonly priorities: Mix<Priority>
  private readonly models?: Mix<string>
  private readonly deadlines: Partial<Record<Priority, number>>
  private readonly calls?: Sampler
  private readonly growth?: Sampler
  private readonly stepInput?: Sampler
  private readonly think?: Sampler
  private readonly maxContext: number
  private readonly service?: Sampler
  private readonly chunkSize: number
  private tokens?: TokenSource
  private t = 0
  private nextId = 0
  private started = false

  constructor(
    private readonly spec: SyntheticWorkloadSpec,
    private readonly ctx: SyntheticContext,
  ) {
    const rng = ctx.rng
    this.arrivals = rng.stream('arrivals')
    this.tokenRng = rng.stream('tokens')
    this.mixRng = rng.stream('mix')
    this.agentRng = rng.stream('agent')
    this.serviceRng = rng.stream('service')
    this.baseRate = spec.ratePerS ?? (spec.tasksPerDay as number) / DAY_S
    const duration = spec.durationS ?? ctx.durationS
    if (duration === undefined) {
      throw new FleetcapError('workload.durationS: a synthetic workload needs a duration (in the workload or the scenario)')
    }
    this.durationS = duration
    const expected = this.baseRate * duration
    if (expected > LIMITS.tasksPerRun) {
      throw new InputError({field: 'workload'}, `${spec.ratePerS !== undefined ? 'ratePerS' : 'tasksPerDay'} × duration is about ${expected.toExponential(2)} tasks, more than the ${LIMITS.tasksPerRun.toExponential(0)} one run may generate`, {
        hint: 'shorten the duration or lower the rate, or split the work into several runs',
      })
    }
    this.shape = new RateShape(spec.shape)
    this.modulation = new Modulation(spec.bursts, rng.stream('bursts'))
    const types = Object.entries(spec.taskTypes ?? {default: 1})
    this.types = new Mix(
      types.map(([n]) => n),
      types.map(([, w]) => w),
    )
    const prios = PRIORITIES.filter((p) => (spec.priorities ?? {normal: 1})[p] !== undefined)
    this.priorities = new Mix(
      prios,
      prios.map((p) => (spec.priorities ?? {normal: 1})[p] as number),
    )
    if (spec.models !== undefined) {
      const models = Object.entries(spec.models)
      this.models = new Mix(
        models.map(([n]) => n),
        models.map(([, w]) => w),
      )
    }
    this.deadlines = spec.deadlines ?? {}
    const agent = spec.agent
    if (agent !== undefined) {
      this.calls = Sampler.of(agent.callsPerTask)
      const g = agent.contextGrowthTokens ?? 'carry'
      if (g !== 'carry') this.growth = Sampler.of(g)
      this.stepInput = Sampler.of(agent.stepInputTokens ?? 0)
      this.think = Sampler.of(agent.thinkTimeS ?? 0)
    }
    this.maxContext = agent?.maxContextTokens ?? Number.POSITIVE_INFINITY
    if (spec.service !== undefined) {
      const s = spec.service
      this.service =
        s.distribution === 'deterministic'
          ? Sampler.of(s.meanS)
          : s.distribution === 'exponential'
            ? Sampler.of({dist: 'exponential', mean: s.meanS})
            : Sampler.lognormal(s.meanS, s.cv ?? 1)
    }
    this.chunkSize = ctx.chunkSize ?? 4096
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<readonly Task[]> {
    if (this.started) throw new FleetcapError('a synthetic workload can be iterated once (its random streams advance)')
    this.started = true
    if (this.spec.tokens !== undefined) {
      this.tokens = await TokenSource.create(this.spec.tokens, this.ctx.baseDir, this.ctx.rng.stream('tokens-fit'))
    }
    for (;;) {
      const chunk = this.nextChunk()
      if (chunk.length === 0) return
      yield chunk
    }
  }

  /** Up to chunkSize tasks; empty when the workload is over. */
  nextChunk(): Task[] {
    // Allocated at full size and cut to what was made: no regrowth while filling. Only the last chunk
    // comes out short. The loop is a function of its own so that V8's on-stack-compiled loop never
    // exits into code it has no feedback for (that cost a deoptimization per chunk).
    const out = new Array<Task>(this.chunkSize)
    const n = this.fill(out)
    return n === out.length ? out : out.slice(0, n)
  }

  /** Fill `out` with the next tasks; returns how many (fewer than its length when the workload ends). */
  private fill(out: Task[]): number {
    const size = out.length
    let n = 0
    while (n < size) {
      const t = this.nextArrival()
      if (t < 0) break
      out[n++] = this.task(t)
    }
    return n
  }

  /** Next accepted arrival time, or -1 past the duration. Thinning against the shape's maximum. */
  private nextArrival(): number {
    const mod = this.modulation
    const shapeMax = this.shape.max
    for (;;) {
      const rateMax = this.baseRate * mod.multipliers[mod.state] * shapeMax
      const next = rateMax > 0 ? this.t + this.arrivals.exponential(rateMax) : Number.POSITIVE_INFINITY
      if (next >= mod.endS && mod.endS < this.durationS) {
        // Memoryless: restart the clock at the state change with the new rate.
        this.t = mod.endS
        mod.advance()
        continue
      }
      if (next >= this.durationS) {
        this.t = this.durationS
        return -1
      }
      this.t = next
      // A flat shape accepts every candidate, but the thinning draw is still taken so that the
      // arrival stream (and every result) is the same as with the shape's multiplier evaluated.
      const u = this.arrivals.next()
      if (this.shape.flat || u * shapeMax < this.shape.multiplier(next)) return next
    }
  }

  private task(arrivalS: number): Task {
    // Draws in the same order as ever on each stream (mix: priority, type, model).
    const priority = this.priorities.pick(this.mixRng)
    const taskType = this.types.pick(this.mixRng)
    const id = this.nextId++
    let task: Task
    if (this.service !== undefined && this.models === undefined) {
      // Generic work: every field in one literal, so the object is allocated with room for all of
      // them (a property added later costs V8 a second allocation per task). Same key order as below.
      task = {id, arrivalS, taskType, priority, calls: SERVICE_CALLS, serviceTimeS: Math.max(0, this.service.sample(this.serviceRng))}
    } else {
      task = {id, arrivalS, taskType, priority, calls: this.service !== undefined ? SERVICE_CALLS : this.chain()}
      if (this.models !== undefined) task.model = this.models.pick(this.mixRng)
      if (this.service !== undefined) task.serviceTimeS = Math.max(0, this.service.sample(this.serviceRng))
    }
    const deadline = this.deadlines[priority]
    if (deadline !== undefined) task.deadlineS = deadline
    return task
  }

  private chain(): TaskCall[] {
    const src = this.tokens as TokenSource
    const rng = this.tokenRng
    let input = src.drawInput(rng)
    let output = src.drawOutput(rng, true)
    const first: TaskCall = {inputTokens: Math.min(input, this.maxContext), outputTokens: output, delayS: 0}
    if (this.calls === undefined) return [first]
    const a = this.agentRng
    const n = Math.min(LIMITS.callsPerTask, Math.max(1, Math.round(this.calls.sample(a))))
    const calls = new Array<TaskCall>(n)
    calls[0] = first
    for (let k = 1; k < n; k++) {
      // The context this call repeats: the previous prompt, and with "carry" the previous output too.
      const carried = this.growth !== undefined ? input : input + output
      const grown = this.growth !== undefined ? input + tokens(this.growth.sample(a)) : input + output + tokens((this.stepInput as Sampler).sample(a))
      input = Math.min(grown, this.maxContext)
      output = src.drawOutput(rng, false)
      // Past the context window the framework cuts old turns and the prompt no longer starts with the
      // previous one: count nothing as shared (how much of the start survives depends on the framework).
      const shared = grown <= this.maxContext ? carried : 0
      calls[k] = {inputTokens: input, outputTokens: output, delayS: Math.max(0, (this.think as Sampler).sample(a)), sharedPrefixTokens: shared}
    }
    return calls
  }
}
