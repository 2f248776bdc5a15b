import {backtestPage} from '../../src/forecast/html-page.js'
import {renderPage} from '../../src/report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../../src/report/html/write.js'
import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {InputError} from '../../src/errors.js'
import {loadMany} from '../../src/forecast/batch-io.js'
import {neuralFlags, neuralOptions, reportBackend} from '../../src/forecast/cli-flags.js'
import {backtest, type BacktestResult, BACKENDS, type BackendChoice, type BackendReport, durationSteps, MODEL_NAMES, type ModelChoice, type ModelName, parseMask, usesNetwork} from '../../src/forecast/index.js'
import {backtestFiles} from '../../src/forecast/outputs.js'
import {LIMITS} from '../../src/limits.js'
import {writeOutputDir} from '../../src/util/atomic-write.js'
import {boundOutput} from '../../src/util/output-bound.js'

export default class ForecastBacktest extends FleetcapCommand<typeof ForecastBacktest> {
  static override description = `Backtest forecasting models on held-out data, many series in one process, and print the scores.

Holds out the end of each series (--holdout steps, --origins rolling windows), forecasts it with each model fitted only on the data before, and prints per model MASE, sMAPE, pinball loss, the coverage of the 80% [P10,P90] and 90% [P5,P95] intervals, which model produced the windows, and the best model (lowest MASE). The neural model is trained once across all series, before the oldest window.

Input: a wide file in the M4 layout (--wide or --m4, e.g. data/traces/m4_hourly_train.csv), a CSV, a long CSV series_id,timestamp,value or a directory of CSVs (--series), a trace (--trace), or a Prometheus query (one or many series). --out DIR writes every window's forecast (CSV and JSONL), per-series scores and the totals.

Exit codes: 0 ok, 2 bad input (or a model that cannot run), 4 Prometheus unreachable, 1 internal error.`

  static override examples = [
    '<%= config.bin %> forecast backtest --wide data/traces/m4_hourly_train.csv --holdout 48 --models seasonal-naive,ets,nbeats,auto --candidates ets,nbeats --backend wasm',
    '<%= config.bin %> forecast backtest --series data/traces/nab_nyc_taxi_30min.csv --holdout 1d --origins 28 --models seasonal-naive,ets,linear,auto',
    '<%= config.bin %> forecast backtest --wide data/traces/m4_hourly_train.csv --limit 20 --models ets --out bt-m4 --json',
  ]

  static override flags = {
    wide: Flags.string({description: 'Wide CSV in the M4 layout ("V1"=id, then values; ragged), step --step (default 1h).'}),
    m4: Flags.string({description: 'The same as --wide (the M4 competition file).'}),
    limit: Flags.integer({description: 'Only the first N series.', min: 1}),
    trace: Flags.string({description: 'Task trace to aggregate into a rate series (with --step).'}),
    series: Flags.string({description: 'A CSV timestamp,value; a long CSV series_id,timestamp,value; or a directory of CSVs.'}),
    prometheus: Flags.string({description: 'Prometheus base URL (with --query, --since, --step).'}),
    query: Flags.string({description: 'PromQL expression; each series it returns is backtested.'}),
    since: Flags.string({description: 'How far back to read from Prometheus.', default: '14d'}),
    until: Flags.string({description: 'End of the Prometheus range (ISO-8601; default now).'}),
    step: Flags.string({description: 'Step of the series (M4 hourly: 1h).'}),
    models: Flags.string({description: `Models to compare, comma separated (${['auto', ...MODEL_NAMES].join(', ')}).`, default: 'seasonal-naive,ets,linear,auto'}),
    candidates: Flags.string({description: 'Models auto compares (add nbeats to let the neural model compete).', default: 'seasonal-naive,ets,linear'}),
    holdout: Flags.string({description: 'Held-out window: a number of steps or a duration.', default: '48'}),
    origins: Flags.integer({description: 'Rolling windows of --holdout at the end of each series.', default: 1, min: 1}),
    mask: Flags.string({description: 'Anomaly window FROM/TO: fitted through, never scored; repeatable.', multiple: true}),
    gaps: Flags.string({description: 'Missing steps, NaN, duplicates, negatives: fill, drop or refuse.', options: ['fill', 'drop', 'refuse'], default: 'refuse'}),
    out: Flags.string({description: 'Directory for every window\'s forecast (windows.csv, windows.jsonl), per-series.csv and scores.json; written atomically.'}),
    backend: Flags.string({description: 'TensorFlow.js backend for the neural model.', options: [...BACKENDS], default: 'auto', env: 'FLEETCAP_TF_BACKEND'}),
    'auto-method': Flags.string({description: 'How auto picks: refit (validation windows, one pick per window for all series) or calibration (per series; classical models only).', options: ['refit', 'calibration'], default: 'refit'}),
    seed: Flags.integer({description: 'Seed of every random choice.', default: 1, min: 0}),
    html: Flags.string({description: 'Also write a self-contained HTML report with charts to this file.'}),
    ...neuralFlags,
  }

  public async run(): Promise<Omit<BacktestResult, 'windows'> & {backend?: BackendReport}> {
    const f = this.flags
    if (f.html !== undefined) checkHtmlOutput(f.html)
    const models = f.models.split(',').map((m) => m.trim()) as ModelChoice[]
    const candidates = f.candidates.split(',').map((m) => m.trim()) as ModelName[]
    for (const [flag, list] of [['--models', models], ['--candidates', candidates]] as const) {
      for (const m of list) {
        if ((m !== 'auto' || flag === '--candidates') && !(MODEL_NAMES as readonly string[]).includes(m)) {
          throw new InputError({field: flag}, `unknown model "${m}"; known: ${flag === '--models' ? 'auto, ' : ''}${MODEL_NAMES.join(', ')}`)
        }
      }
    }
    if (f.m4 && f.wide) throw new InputError({field: '--m4'}, 'give --m4 or --wide, not both')
    const {series, warnings} = await loadMany({...f, wide: f.wide ?? f.m4}, {gaps: f.gaps as 'fill' | 'drop' | 'refuse', masks: (f.mask ?? []).map((m) => parseMask(m))}, Date.now() / 1000)
    for (const w of warnings) this.note(`warning: ${w}`)
    const holdout = durationSteps(f.holdout, series[0].stepS, '--holdout', true)
    if (f.out !== undefined || f.html !== undefined) {
      boundOutput({
        where: {field: f.origins > 1 ? '--origins' : '--holdout'},
        from: 'series × --origins × --holdout × --models',
        count: series.length * f.origins * holdout * models.length,
        unit: 'window rows',
        limit: LIMITS.forecastRows,
        output: 'windows.csv',
        hint: 'fewer --origins or a shorter --holdout, fewer models, or fewer series per run',
      })
    }
    let backend: BackendReport | undefined
    if (usesNetwork(models) || (models.includes('auto') && usesNetwork(candidates))) backend = await reportBackend((l) => this.note(l), f.backend as BackendChoice)
    const every = Math.max(1, Math.round((series.length * f.origins) / 10))
    const result = await backtest(series, {
      models,
      candidates,
      holdout,
      origins: f.origins,
      seed: f.seed,
      autoMethod: f['auto-method'] as 'refit' | 'calibration',
      neural: neuralOptions(f),
      keepWindows: f.out !== undefined || f.html !== undefined,
      onTrain: (e) => this.note(`nbeats step ${e.step}/${e.maxSteps}: training loss ${e.trainLoss.toFixed(4)}, validation ${e.validLoss.toFixed(4)}`),
      onSeries: (done, total) => {
        if (total > 1 && (done % every === 0 || done === total)) this.note(`${done}/${total} series×windows`)
      },
    })
    this.say(`${result.series} series, ${result.origins} window(s) of ${result.holdout} steps held out`)
    if (result.neural) this.say(`nbeats: one network for all series: ${result.neural.steps} steps (best ${result.neural.bestStep}), ${result.neural.trainingWindows} training windows, ${result.neural.calibrationWindows} held-out calibration windows, ${result.neural.trainMs} ms on ${result.neural.backend}`)
    this.say(['model', 'MASE', 'sMAPE%', 'pinball', 'cov[P10,P90]', 'cov[P5,P95]', '≤P90', '≤P99', 'points', 'seconds'].map((h, i) => (i === 0 ? h.padEnd(15) : h.padStart(13))).join(''))
    for (const s of result.scores) {
      const cells = [s.mase.toFixed(3), s.smape.toFixed(2), s.pinball.toFixed(4), pct(s.coverage80), pct(s.coverage90), pct(s.belowP90), pct(s.belowP99), String(s.points), s.seconds.toFixed(1)]
      this.say(String(s.model).padEnd(15) + cells.map((c) => c.padStart(13)).join(''))
      const produced = Object.entries(s.producedBy)
      if (s.model === 'auto' || produced.some(([k]) => k !== s.model)) this.say(`${''.padEnd(15)}produced by: ${produced.map(([k, v]) => `${k} ${v}`).join(', ')}`)
      for (const [w, n] of Object.entries(s.warnings)) this.note(`warning (${s.model}, ${n}×): ${w}`)
    }
    const picks = result.autoPicks ?? []
    if (picks.length <= 3) for (const p of picks) this.say(`auto, window ${p.window}: ${p.model} (validation MASE over ${p.windows} windows ${JSON.stringify(p.scores)})`)
    else this.say(`auto: one pick per window for all series, validation scores per window in --json and --out`)
    this.say(`best: ${result.best}`)
    if (f.html !== undefined) {
      await writeHtml(f.html, renderPage(backtestPage({series, result})))
      this.note(`wrote ${f.html}`)
    }
    if (f.out) {
      await writeOutputDir(f.out, backtestFiles(result))
      this.say(`wrote ${f.out}`)
    }
    const {windows: _windows, ...rest} = result
    return {...rest, ...(backend ? {backend} : {})}
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`
}
