/**
 * Phases from history: a series of tasks (CSV, a trace's arrival rate, or Prometheus) forecast by src/forecast
 * to a horizon at the sizing quantile, cut into phases (one per `phaseEveryS`, each triggered by its
 * start date and sized for its busiest day), and the daily curve the forecast expects (24 hourly
 * multipliers) as the workload's shape.
 */
import {forecast} from '../forecast/forecast.js'
import {loadSeries, type SeriesInput} from '../forecast/io.js'
import {quantileKey} from '../forecast/types.js'
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import type {ForecastSummary} from './plan-result.js'

export interface HistoryOptions {
  /** Where the history comes from: a CSV series, a trace aggregated to a rate, or a Prometheus range query. */
  input: SeriesInput
  /** What a value is: tasks in its step (CSV default) or tasks per second (a trace's rate, a PromQL rate()). */
  unit: 'per-step' | 'per-second'
  horizonS: number
  phaseEveryS: number
  quantile: number
  seed?: number
}

export interface ForecastPhases {
  phases: Array<{name: string; tasksPerDay: number; date: string}>
  /** 24 hourly multipliers (mean 1) of the forecast's daily curve, or undefined when steps exceed an hour. */
  daily?: number[]
  summary: Extract<ForecastSummary, {source: 'forecast'}>
}

const DAY_S = 86_400

export async function phasesFromHistory(o: HistoryOptions): Promise<ForecastPhases> {
  const {series, warnings} = await loadSeries(o.input)
  const stepS = series.stepS
  const where = {file: series.name}
  if (stepS > DAY_S) throw new InputError(where, `steps of ${stepS} s are longer than a day: give tasks per hour or per day`)
  const perStep = o.unit === 'per-second' ? stepS : 1
  if (o.phaseEveryS < DAY_S) throw new InputError({field: '--phase-every'}, 'a phase must last at least one day')
  const horizon = Math.ceil(o.horizonS / stepS)
  if (horizon < Math.ceil(DAY_S / stepS)) throw new InputError({field: '--horizon'}, 'the horizon must cover at least one day')
  if (horizon > LIMITS.forecastSteps) throw new InputError({field: '--horizon'}, `more than ${LIMITS.forecastSteps.toLocaleString('en-US')} steps of ${stepS} s`)
  const f = await forecast(series, {model: 'auto', horizon, quantiles: [o.quantile], seed: o.seed ?? 1})
  const q = f.quantiles[quantileKey(o.quantile)]
  // Tasks per calendar day (UTC) at the quantile.
  const perDay = new Map<number, number>()
  for (let i = 0; i < q.length; i++) {
    const day = Math.floor(f.timestamps[i] / DAY_S)
    perDay.set(day, (perDay.get(day) ?? 0) + Math.max(0, q[i]) * perStep)
  }
  const days = [...perDay.keys()].sort((a, b) => a - b)
  // A partial first/last day would understate the load: scale by the share of the day covered.
  const covered = new Map<number, number>()
  for (const t of f.timestamps) covered.set(Math.floor(t / DAY_S), (covered.get(Math.floor(t / DAY_S)) ?? 0) + stepS)
  const phases: ForecastPhases['phases'] = []
  const perPhaseDays = Math.max(1, Math.round(o.phaseEveryS / DAY_S))
  for (let k = 0; k * perPhaseDays < days.length; k++) {
    const group = days.slice(k * perPhaseDays, (k + 1) * perPhaseDays)
    let busiest = 0
    for (const d of group) busiest = Math.max(busiest, ((perDay.get(d) ?? 0) * DAY_S) / Math.max(stepS, covered.get(d) ?? DAY_S))
    if (busiest <= 0) continue
    phases.push({name: `phase-${phases.length + 1}`, tasksPerDay: Math.ceil(busiest), date: new Date(group[0] * DAY_S * 1000).toISOString().slice(0, 10)})
  }
  if (phases.length === 0) throw new InputError(where, 'the forecast is zero over the whole horizon: nothing to plan')
  let daily: number[] | undefined
  if (stepS <= 3600 && 3600 % stepS === 0) {
    const sums = new Array<number>(24).fill(0)
    for (let i = 0; i < q.length; i++) sums[Math.floor((f.timestamps[i] % DAY_S) / 3600)] += Math.max(0, q[i])
    const mean = sums.reduce((a, b) => a + b, 0) / 24
    if (mean > 0 && sums.some((v) => v > 0)) daily = sums.map((v) => Number((v / mean).toFixed(4)))
  }
  return {
    phases,
    ...(daily ? {daily} : {}),
    summary: {
      source: 'forecast',
      history: series.name,
      unit: o.unit,
      model: f.model,
      stepS,
      horizonSteps: horizon,
      from: new Date(f.timestamps[0] * 1000).toISOString(),
      quantile: o.quantile,
      intervals: f.intervals,
      phases: phases.map((p) => ({date: p.date, tasksPerDay: p.tasksPerDay})),
      ...(daily ? {dailyShape: daily} : {}),
      warnings: [...warnings, ...f.warnings],
    },
  }
}
