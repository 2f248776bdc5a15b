/**
 * The cluster around the fleet model for one run: a PoolRuntime per autoscaled (or failing) pool
 * and the failure injector, wired to the model's hooks; and the report section they produce.
 */
import {type ScalingEvent} from '../autoscale/scaling-stats.js'
import {expandFailures} from '../autoscale/failures.js'
import {InputError} from '../errors.js'
import type {AutoscalingConfig} from './autoscale-config.js'
import {PoolRuntime, type PoolAutoscalingReport} from './autoscaling.js'
import {FailureInjector, type FailureReport} from './failures.js'
import type {FleetModel} from './fleet-model.js'
import type {FleetModelConfig, PoolConfig} from './types.js'

export interface AutoscalingReport {
  pools: PoolAutoscalingReport[]
  /** Every scaling event of every pool, in time order. */
  events: ScalingEvent[]
  failures: FailureReport[]
  /** Calls sent again after their replica was lost or cut off, and calls lost (their tasks failed). */
  callsRetried: number
  callsLost: number
}

/** The parts of a simulation report that node billing rewrites. */
export interface CostedReport {
  pools: {name: string; gpuHours: number; costUsd: number; replicas: number}[]
  cost: {gpuHours: number; costUsd: number; costPer1000TasksUsd: number | null}
  tasks: {completed: number}
}

export class ClusterRuntime {
  readonly pools: PoolRuntime[]
  private readonly byName = new Map<string, PoolRuntime>()
  private readonly byIndex = new Map<number, PoolRuntime>()
  private readonly injector?: FailureInjector
  private model?: FleetModel

  constructor(config: AutoscalingConfig, pools: readonly PoolConfig[], durationS: number, seed: number) {
    this.pools = config.pools.map((c) => {
      const p = pools[c.pool]
      const rt = new PoolRuntime(c, Math.max(1, Math.ceil(p.gpusPerReplica)), p.pricePerHourUsd, p.replicas)
      this.byName.set(c.name, rt)
      this.byIndex.set(c.pool, rt)
      return rt
    })
    if (config.failures !== undefined && config.failures.events.length > 0) {
      if (!Number.isFinite(durationS) && config.failures.events.some((e) => e.random !== undefined)) {
        throw new InputError({field: 'failures'}, 'random failures need a scenario duration (durationS): they are drawn over it')
      }
      const horizon = Number.isFinite(durationS) ? durationS : Number.MAX_VALUE
      this.injector = new FailureInjector(config.failures, expandFailures(config.failures, horizon, seed), this.byName)
    }
  }

  /** The model hooks: replicas gone, and the replica columns of the time series. */
  modelHooks(): Pick<FleetModelConfig, 'onReplicaGone' | 'extraSeries'> {
    return {
      onReplicaGone: (r, now) => {
        const rt = this.model === undefined ? undefined : this.byIndex.get(this.model.replicaPool(r))
        rt?.replicaGone(r, now)
      },
      extraSeries: {
        columns: this.pools.flatMap((p) => p.seriesColumns()),
        write: (_now, row) => {
          for (const p of this.pools) p.writeSeries(row)
        },
      },
    }
  }

  attach(model: FleetModel): void {
    this.model = model
    for (const p of this.pools) p.attach(model)
    this.injector?.attach(model)
  }

  /**
   * The autoscaling section of the report; pool GPU-hours and cost become the node-billed figures.
   * Typed by the fields it rewrites, not by report/'s SimulationReport: the sim does not import report/.
   */
  report(report: CostedReport, endS: number): AutoscalingReport {
    const pools = this.pools.map((p) => p.report(endS))
    for (const pr of pools) {
      const pool = report.pools.find((p) => p.name === pr.name)
      if (pool === undefined) continue
      pool.gpuHours = pr.gpuHours
      pool.costUsd = pr.costUsd
      pool.replicas = pr.replicas.final
    }
    const costUsd = report.pools.reduce((s, p) => s + p.costUsd, 0)
    report.cost.gpuHours = report.pools.reduce((s, p) => s + p.gpuHours, 0)
    report.cost.costUsd = costUsd
    report.cost.costPer1000TasksUsd = report.tasks.completed > 0 ? (costUsd / report.tasks.completed) * 1000 : null
    const events = this.pools.flatMap((p) => p.events).sort((a, b) => a.timeS - b.timeS)
    return {
      pools,
      events,
      failures: this.injector?.report(endS) ?? [],
      callsRetried: this.model?.callsRetried ?? 0,
      callsLost: this.model?.callsLost ?? 0,
    }
  }
}
