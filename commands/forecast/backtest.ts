import {backtestPage} from '../../src/forecast/html-page.js'
import {renderPage} from '../../src/report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../../src/report/html/write.js'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {loadMany} from '../../src/forecast/batch-io.js'
import {forecastBacktestFlags, neuralOptions, reportBackend} from '../../src/forecast/cli-flags.js'
import {toSteps} from '../../src/cli/steps-flag.js'
import {backtest, type BacktestResult, type BackendReport, parseMask, usesNetwork} from '../../src/forecast/index.js'
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

  static override flags = forecastBacktestFlags

  public async run(): Promise<Omit<BacktestResult, 'windows'> & {backend?: BackendReport}> {
    const f = this.flags
    if (f.html !== undefined) checkHtmlOutput(f.html)
    const {models, candidates} = f
    const {series, warnings} = await loadMany({...f, wide: f.wide ?? f.m4}, {gaps: f.gaps, masks: (f.mask ?? []).map((m) => parseMask(m))}, Date.now() / 1000)
    for (const w of warnings) this.note(`warning: ${w}`)
    const stepS = series[0].stepS
    const holdout = toSteps(f.holdout, stepS, 'holdout')
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
    if (usesNetwork(models) || (models.includes('auto') && usesNetwork(candidates))) backend = await reportBackend((l) => this.note(l), f.backend)
    const every = Math.max(1, Math.round((series.length * f.origins) / 10))
    const result = await backtest(series, {
      models,
      candidates,
      holdout,
      origins: f.origins,
      seasonalities: f.seasonality?.map((seconds) => toSteps({seconds}, stepS, 'seasonality')),
      seed: f.seed ?? 1,
      autoMethod: f['auto-method'],
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
