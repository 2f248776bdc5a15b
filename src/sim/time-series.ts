/**
 * The run's time series: one flat row every sampleIntervalS (queue, in flight, arrivals, completions,
 * throughput, and per pool busy replicas, utilization, KV occupancy, preemptions), then the columns
 * a controller adds (extraSeries). A sample is also where controllers such as autoscalers look at the
 * fleet (onSample).
 */
import type {Simulation} from '../engine/simulation.js'
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import type {TaskTable} from './calls.js'
import type {CentralQueue} from './central-queue.js'
import type {FleetCounters} from './counters.js'
import {EV_SAMPLE} from './events.js'
import type {FleetModel} from './fleet-model.js'
import type {KvManager} from './kv-manager.js'
import type {LlmBatcher} from './llm-batcher.js'
import type {PoolBooks} from './pool-books.js'
import type {ReplicaTable} from './replica-table.js'
import {type FleetModelConfig, type PoolConfig, ReplicaState} from './types.js'

export class SeriesSampler {
  readonly columns: string[]
  readonly rows: number[] = []
  private prevT = 0
  private readonly poolBusyPrev: Float64Array
  private readonly intervalS: number
  private readonly durationS: number
  private readonly onSample: FleetModelConfig['onSample']
  private readonly extraSeries: FleetModelConfig['extraSeries']

  constructor(
    config: FleetModelConfig,
    private readonly model: FleetModel,
    private readonly sim: Simulation,
    private readonly pools: readonly PoolConfig[],
    private readonly isLlm: boolean,
    private readonly replicas: ReplicaTable,
    private readonly tasks: TaskTable,
    private readonly queue: CentralQueue,
    private readonly batcher: LlmBatcher,
    private readonly kv: KvManager,
    private readonly books: PoolBooks,
    private readonly counters: FleetCounters,
  ) {
    this.intervalS = config.sampleIntervalS
    this.durationS = config.durationS
    this.onSample = config.onSample
    this.extraSeries = config.extraSeries
    this.columns = ['time_s', 'queue_depth', 'in_flight', 'tasks_in_system', 'arrivals', 'completed', 'dropped', 'throughput_per_s', 'output_tokens_per_s']
    for (const p of this.pools) {
      this.columns.push(`busy_${p.name}`, `utilization_${p.name}`, `kv_occupancy_${p.name}`)
      if (this.isLlm) this.columns.push(`preemptions_${p.name}`)
    }
    if (this.extraSeries) this.columns.push(...this.extraSeries.columns)
    this.poolBusyPrev = new Float64Array(this.pools.length)
    if (this.intervalS > 0) this.sim.schedule(this.intervalS, EV_SAMPLE, 0, 0)
  }

  /** A sample is due now (EV_SAMPLE): write its row, let controllers look, and schedule the next. */
  sample(): void {
    const now = this.sim.now
    // A sample due after the run's last work (nothing left to arrive, run or issue, the arrival window
    // over) is not written: finish() closes the books at the run's end, not at the next sample time.
    const windowEnd = Number.isFinite(this.durationS) ? this.durationS : 0
    const more = this.counters.moreArrivals
    if (!more && this.tasks.live === 0 && this.sim.queue.size === 0 && now > windowEnd) return
    this.queue.pruneExpired()
    this.write(now)
    // Controllers (autoscalers) look at the fleet here and may add or drain replicas.
    if (this.onSample) this.onSample(this.model, now)
    const next = now + this.intervalS
    // Keep sampling while work can still happen: arrivals to come, events pending (the heap holds only
    // this sample when nothing else is scheduled), or the arrival window not over yet.
    const pending = this.sim.queue.size > 0
    if (this.counters.moreArrivals || pending || (Number.isFinite(this.durationS) && next <= this.durationS)) {
      this.sim.schedule(next, EV_SAMPLE, 0, 0)
    }
  }

  /** Write the row at `now` (also the last one, at the run's end). */
  write(now: number): void {
    const dt = now - this.prevT
    if (dt <= 0) return
    if (this.rows.length >= LIMITS.seriesRows * this.columns.length) {
      throw new InputError(
        {field: 'report.sampleIntervalS'},
        `the run reached ${now.toExponential(3)} s of simulated time: more than ${LIMITS.seriesRows.toLocaleString('en-US')} time-series samples of ${this.intervalS} s`,
        {hint: 'give the scenario a duration, or a longer report.sampleIntervalS; check the trace for a far-off timestamp'},
      )
    }
    const R = this.replicas
    const c = this.counters
    if (this.isLlm) for (let r = 0; r < R.n; r++) this.batcher.bookRunTokens(r, now)
    const row = this.rows
    row.push(now, this.queue.size, c.inFlightCalls, this.tasks.live, c.sArrivals, c.sCompleted, c.sDropped, c.sCompleted / dt, c.sOutTokens / dt)
    for (let p = 0; p < this.pools.length; p++) {
      let busyNow = 0
      let kv = 0
      let kvCap = 0
      let reps = 0
      let unbooked = 0 // generic: busy time so far of the calls still running
      for (let r = 0; r < R.n; r++) {
        if (R.pool[r] !== p) continue
        if (this.isLlm) {
          this.books.setLevel(r, R.level[r])
          if (R.level[r] > 0) busyNow++
        } else {
          if (R.out[r] > 0) busyNow++
          unbooked += this.books.unbookedS(r) / R.cap[r]
        }
        if (R.state[r] !== ReplicaState.GONE) reps++
        kv += this.kv.used[r]
        kvCap += this.kv.cap[r]
      }
      const busyTotal = this.books.busyS[p] + unbooked
      const util = reps > 0 ? (busyTotal - this.poolBusyPrev[p]) / (reps * dt) : 0
      this.poolBusyPrev[p] = busyTotal
      row.push(busyNow, util, this.isLlm && kvCap > 0 ? kv / kvCap : 0)
      if (this.isLlm) {
        row.push(this.books.preemptionsSinceSample[p])
        this.books.preemptionsSinceSample[p] = 0
      }
    }
    if (this.extraSeries) this.extraSeries.write(now, row)
    c.sArrivals = 0
    c.sCompleted = 0
    c.sDropped = 0
    c.sOutTokens = 0
    this.prevT = now
  }
}
