import {backtestPage, forecastPage} from '../../src/forecast/html-page.js'
import {renderPage} from '../../src/report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../../src/report/html/write.js'
import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {InputError} from '../../src/errors.js'
import {backtest, type BacktestResult, BACKENDS, type BackendChoice, type BackendReport, durationSteps, initBackend, loadSeries, MODEL_NAMES, type ModelChoice, parseMask, readM4, type Series} from '../../src/forecast/index.js'
import {seriesInputFromFlags} from '../../src/forecast/input-flags.js'

export default class ForecastBacktest extends FleetcapCommand<typeof ForecastBacktest> {
  static override description = `Backtest forecasting models: hold out the end of each series, forecast it, and print MASE, sMAPE,
pinball loss and interval coverage per model, and the best model (lowest MASE).

Input: the M4 competition's wide CSV (--m4, e.g. data/traces/m4_hourly_train.csv), or one series
(--series CSV, --prometheus, --trace) with --origins rolling windows.

Exit codes: 0 ok, 2 bad input, 4 Prometheus unreachable, 1 internal error.`

  static override examples = [
    '<%= config.bin %> forecast backtest --m4 data/traces/m4_hourly_train.csv --holdout 48',
    '<%= config.bin %> forecast backtest --series data/traces/nab_nyc_taxi_30min.csv --holdout 1d --origins 28 --models seasonal-naive,ets,linear,auto',
    '<%= config.bin %> forecast backtest --m4 data/traces/m4_hourly_train.csv --limit 20 --models seasonal-naive,nbeats --backend wasm --json',
  ]

  static override flags = {
    m4: Flags.string({description: 'M4 competition CSV (wide: "V1"=id, then values).'}),
    limit: Flags.integer({description: 'Only the first N series of --m4.', min: 1}),
    trace: Flags.string({description: 'Task trace to aggregate into a rate series (with --step).'}),
    series: Flags.string({description: 'Time-series CSV: timestamp,value.'}),
    prometheus: Flags.string({description: 'Prometheus base URL (with --query, --since, --step).'}),
    query: Flags.string({description: 'PromQL expression returning one series.'}),
    since: Flags.string({description: 'How far back to read from Prometheus.', default: '14d'}),
    until: Flags.string({description: 'End of the Prometheus range (ISO-8601; default now).'}),
    step: Flags.string({description: 'Step of the series (M4 hourly: 1h).'}),
    models: Flags.string({description: `Models to compare, comma separated (${['auto', ...MODEL_NAMES].join(', ')}).`, default: 'seasonal-naive,ets,linear,auto'}),
    holdout: Flags.string({description: 'Held-out window: a number of steps or a duration.', default: '48'}),
    origins: Flags.integer({description: 'Rolling windows of --holdout at the end of each series.', default: 1, min: 1}),
    mask: Flags.string({description: 'Anomaly window FROM/TO: fitted through, never scored; repeatable.', multiple: true}),
    gaps: Flags.string({description: 'Missing steps, NaN, duplicates, negatives: fill, drop or refuse.', options: ['fill', 'drop', 'refuse'], default: 'refuse'}),
    backend: Flags.string({description: 'TensorFlow.js backend for the neural model.', options: [...BACKENDS], default: 'auto', env: 'FLEETCAP_TF_BACKEND'}),
    'auto-method': Flags.string({description: 'How auto picks: refit (refit each candidate before the last 3 windows) or calibration (one fit, rolling-origin errors; faster).', options: ['refit', 'calibration'], default: 'refit'}),
    seed: Flags.integer({description: 'Seed of every random choice.', default: 1, min: 0}),
    html: Flags.string({description: 'Also write a self-contained HTML report with charts to this file.'}),
    epochs: Flags.integer({description: 'Training epochs of the neural model.', min: 1, max: 10_000}),
  }

  public async run(): Promise<BacktestResult & {backend?: BackendReport}> {
    const f = this.flags
    if (f.html !== undefined) checkHtmlOutput(f.html)
    const models = f.models.split(',').map((m) => m.trim()) as ModelChoice[]
    for (const m of models) {
      if (m !== 'auto' && !(MODEL_NAMES as readonly string[]).includes(m)) {
        throw new InputError({field: '--models'}, `unknown model "${m}"; known: auto, ${MODEL_NAMES.join(', ')}`)
      }
    }
    let series: Series[]
    let stepS: number
    if (f.m4) {
      if (f.series || f.trace || f.prometheus) throw new InputError({field: '--m4'}, 'give one input: --m4, or one of --series, --trace, --prometheus')
      stepS = f.step ? durationSteps(f.step, 1, '--step') : 3600
      series = await readM4(f.m4, {limit: f.limit, stepS})
    } else {
      const {series: s, warnings} = await loadSeries(seriesInputFromFlags(f, Date.now() / 1000), {
        gaps: f.gaps as 'fill' | 'drop' | 'refuse',
        masks: (f.mask ?? []).map((m) => parseMask(m)),
      })
      for (const w of warnings) this.note(`warning: ${w}`)
      series = [s]
      stepS = s.stepS
    }
    const holdout = durationSteps(f.holdout, stepS, '--holdout', true)
    let backend: BackendReport | undefined
    if (models.includes('nbeats')) {
      backend = await initBackend(f.backend as BackendChoice)
      for (const a of backend.attempts.filter((x) => !x.ok)) this.note(`backend ${a.backend} skipped: ${a.reason}`)
      this.note(`backend: ${backend.used}`)
    }
    const every = Math.max(1, Math.round(series.length / 10))
    const result = await backtest(series, {
      models,
      holdout,
      origins: f.origins,
      seed: f.seed,
      autoMethod: f['auto-method'] as 'refit' | 'calibration',
      neural: f.epochs ? {epochs: f.epochs} : undefined,
      keepWindows: f.html !== undefined,
      onSeries: (done, total) => {
        if (total > 1 && (done % every === 0 || done === total)) this.note(`${done}/${total} series`)
      },
    })
    this.say(`${result.series} series, ${result.origins} window(s) of ${result.holdout} steps held out`)
    this.say(['model', 'MASE', 'sMAPE%', 'pinball', 'cov[P5,P95]', '≤P90', '≤P99', 'points', 'seconds'].map((h, i) => (i === 0 ? h.padEnd(15) : h.padStart(12))).join(''))
    for (const s of result.scores) {
      const cells = [s.mase.toFixed(3), s.smape.toFixed(2), s.pinball.toFixed(4), pct(s.coverage90), pct(s.belowP90), pct(s.belowP99), String(s.points), s.seconds.toFixed(1)]
      this.say(String(s.model).padEnd(15) + cells.map((c) => c.padStart(12)).join(''))
      if (s.picked) this.say(`${''.padEnd(15)}picked: ${Object.entries(s.picked).map(([k, v]) => `${k} ${v}`).join(', ')}`)
      for (const [w, n] of Object.entries(s.warnings)) this.note(`warning (${n}×): ${w}`)
    }
    this.say(`best: ${result.best}`)
    if (f.html !== undefined) {
      await writeHtml(f.html, renderPage(backtestPage({series, result})))
      this.note(`wrote ${f.html}`)
    }
    const {windows: _windows, ...printed} = result
    return {...printed, ...(backend ? {backend} : {})}
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`
}
