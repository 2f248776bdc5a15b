import {backtestPage, forecastPage} from '../../src/forecast/html-page.js'
import {renderPage} from '../../src/report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../../src/report/html/write.js'
import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {BACKENDS, type BackendChoice, type BackendReport, durationSteps, type Forecast, initBackend, isoTime, loadSeries, MODEL_NAMES, type ModelChoice, parseMask, quantileKey, saveModel, train} from '../../src/forecast/index.js'
import {seriesInputFromFlags} from '../../src/forecast/input-flags.js'
import {InputError} from '../../src/errors.js'
import {checkOutputDir, checkOutputFile, writeFileAtomic} from '../../src/util/atomic-write.js'

export default class ForecastRun extends FleetcapCommand<typeof ForecastRun> {
  static override description = `Forecast load with quantiles (P50/P90/P99 by default) for every step of the horizon.

Input: a task trace aggregated to a rate (--trace, --step), a timestamp,value CSV (--series), or a
Prometheus range query (--prometheus, --query, --since, --step). Gaps, NaN, duplicates and negative
values follow --gaps (refuse by default); known anomalies can be masked (--mask, repeatable).
--model auto picks per series by rolling-origin backtest among the classical models.

Exit codes: 0 ok, 2 bad input (file, flag, too-short history), 4 Prometheus unreachable, 1 internal error.`

  static override examples = [
    '<%= config.bin %> forecast run --series data/traces/nab_nyc_taxi_30min.csv --horizon 2d --out forecast.csv',
    '<%= config.bin %> forecast run --series load.csv --model ets --quantiles 0.5,0.9,0.99 --gaps fill --json',
    '<%= config.bin %> forecast run --series data/traces/nab_nyc_taxi_30min.csv --model nbeats --horizon 1d --backend wasm --save-model models/forecast/taxi',
    '<%= config.bin %> forecast run --prometheus http://127.0.0.1:9090 --query "sum(rate(requests_total[5m]))" --since 14d --step 5m --horizon 1d',
  ]

  static override flags = {
    trace: Flags.string({description: 'Task trace (CSV/JSONL) to aggregate into an arrival rate (tasks per second in --step buckets).'}),
    series: Flags.string({description: 'Time-series CSV: timestamp,value (ISO-8601 or epoch s/ms).'}),
    prometheus: Flags.string({description: 'Prometheus base URL (with --query, --since, --step).'}),
    query: Flags.string({description: 'PromQL expression returning one series.'}),
    since: Flags.string({description: 'How far back to read from Prometheus (e.g. 14d).', default: '14d'}),
    until: Flags.string({description: 'End of the Prometheus range (ISO-8601; default now).'}),
    step: Flags.string({description: 'Step of the series (e.g. 5m): the bucket of a trace, the Prometheus step, or the grid of a CSV (inferred when absent).'}),
    model: Flags.string({description: 'Model.', options: ['auto', ...MODEL_NAMES], default: 'auto'}),
    horizon: Flags.string({description: 'How far ahead: a duration (2d, 12h) or a number of steps.', default: '1d'}),
    quantiles: Flags.string({description: 'Quantile levels, comma separated.', default: '0.5,0.9,0.99'}),
    seasonality: Flags.string({description: 'Seasonal periods, as durations (default: 1d,1w where they fit the step).'}),
    mask: Flags.string({description: 'Anomaly window FROM/TO to mask (fitted through, never scored); repeatable.', multiple: true}),
    gaps: Flags.string({description: 'Missing steps, NaN, duplicate or negative values: fill, drop (keep history after the last gap), or refuse.', options: ['fill', 'drop', 'refuse'], default: 'refuse'}),
    out: Flags.string({description: 'Write the forecast as CSV (timestamp, one column per quantile); - for stdout.'}),
    force: Flags.boolean({description: 'Overwrite the --out file if it exists.'}),
    'save-model': Flags.string({description: 'Save the fitted model (metadata, and the network in TensorFlow.js format) into this directory.'}),
    backend: Flags.string({description: 'TensorFlow.js backend for the neural model.', options: [...BACKENDS], default: 'auto', env: 'FLEETCAP_TF_BACKEND'}),
    'auto-method': Flags.string({description: 'How auto picks: refit (refit each candidate before the last 3 windows) or calibration (one fit, rolling-origin errors; faster).', options: ['refit', 'calibration'], default: 'refit'}),
    seed: Flags.integer({description: 'Seed of every random choice.', default: 1, min: 0}),
    html: Flags.string({description: 'Also write a self-contained HTML report with charts to this file.'}),
    epochs: Flags.integer({description: 'Training epochs of the neural model.', min: 1, max: 10_000}),
  }

  public async run(): Promise<Forecast & {backend?: BackendReport; saved?: string; input: {name: string; points: number; stepS: number; start: string; end: string}}> {
    const f = this.flags
    if (f.html !== undefined) checkHtmlOutput(f.html)
    // Every output is checked before any work, so none is written when another would be refused.
    const out = f.out === undefined ? undefined : checkOutputFile(f.out, f.force)
    if (out?.kind === 'stdout' && this.jsonEnabled()) throw new InputError({field: '--out'}, '- (stdout) cannot be combined with --json: both would be written to stdout')
    if (f['save-model'] !== undefined) checkOutputDir(f['save-model'], '--save-model')
    // With the forecast on stdout, the human summary goes to stderr.
    const say = out !== undefined && out.kind !== 'file' ? (line: string) => this.note(line) : (line: string) => this.say(line)
    const masks = (f.mask ?? []).map((m) => parseMask(m))
    const input = seriesInputFromFlags(f, Date.now() / 1000)
    const {series, warnings} = await loadSeries(input, {gaps: f.gaps as 'fill' | 'drop' | 'refuse', masks})
    for (const w of warnings) this.note(`warning: ${w}`)
    const horizon = durationSteps(f.horizon, series.stepS, '--horizon', true)
    const quantiles = f.quantiles.split(',').map((q) => Number(q.trim()))
    const twice = quantiles.find((q, i) => quantiles.indexOf(q) !== i)
    if (twice !== undefined) throw new InputError({field: '--quantiles'}, `${twice} is given twice; give each level once`)
    const seasonalities = f.seasonality?.split(',').map((s) => durationSteps(s, series.stepS, '--seasonality'))
    const model = f.model as ModelChoice
    let backend: BackendReport | undefined
    if (model === 'nbeats') {
      backend = await initBackend(f.backend as BackendChoice)
      for (const a of backend.attempts.filter((x) => !x.ok)) this.note(`backend ${a.backend} skipped: ${a.reason}`)
      this.note(`backend: ${backend.used} (init ${backend.initMs} ms)`)
    }
    const trained = await train(series, {
      model,
      horizon,
      quantiles,
      seasonalities,
      seed: f.seed,
      autoMethod: f['auto-method'] as 'refit' | 'calibration',
      neural: f.epochs ? {epochs: f.epochs} : undefined,
      onProgress: (e) => {
        if (e.epoch === e.epochs || e.epoch % 5 === 0) this.note(`train epoch ${e.epoch}/${e.epochs} loss ${e.loss.toFixed(4)}`)
      },
    })
    const result = trained.forecast
    for (const w of result.warnings) this.note(`warning: ${w}`)
    if (f.out !== undefined) await writeFileAtomic(f.out, toCsv(result))
    let saved: string | undefined
    if (f['save-model'] !== undefined) {
      await saveModel(f['save-model'], trained)
      saved = f['save-model']
    }
    say(`${series.name}: ${series.values.length} points of ${series.stepS} s, ${isoTime(series.startS)} to ${isoTime(series.startS + series.values.length * series.stepS)}`)
    say(`model ${result.model} ${JSON.stringify(result.params)}`)
    if (result.selection) say(`auto (${result.selection.method}): MASE over ${result.selection.origins} ${result.selection.method === "refit" ? "refitted windows" : "rolling origins"} ${JSON.stringify(result.selection.scores)}`)
    say(`intervals: ${result.intervals}`)
    if (result.params.trainMs !== undefined) say(`trained in ${result.params.trainMs} ms on ${result.params.backend}`)
    const keys = result.levels.map((l) => quantileKey(l))
    const shown = result.timestamps.length <= 12 ? result.timestamps.map((_, i) => i) : [0, 1, 2, Math.floor(horizon / 2), horizon - 2, horizon - 1]
    say(['timestamp', ...keys].join('\t'))
    for (const [n, i] of shown.entries()) {
      // A gap in the steps shown is marked, so a reader knows rows were left out.
      if (n > 0 && i !== shown[n - 1] + 1) say(['…', ...keys.map(() => '…')].join('\t'))
      say([isoTime(result.timestamps[i]), ...keys.map((k) => result.quantiles[k][i].toFixed(2))].join('\t'))
    }
    if (f.html !== undefined) {
      await writeHtml(f.html, renderPage(forecastPage({series, forecast: result})))
      this.note(`wrote ${f.html}`)
    }
    if (out?.kind === "file") say(`wrote ${f.out}`)
    if (saved) say(`saved model to ${saved}`)
    const info = {name: series.name, points: series.values.length, stepS: series.stepS, start: isoTime(series.startS), end: isoTime(series.startS + series.values.length * series.stepS)}
    return {...result, input: info, ...(backend ? {backend} : {}), ...(saved ? {saved} : {})}
  }
}

function toCsv(f: Forecast): string {
  const keys = f.levels.map((l) => quantileKey(l))
  const lines = [['timestamp', ...keys].join(',')]
  f.timestamps.forEach((t, i) => lines.push([isoTime(t), ...keys.map((k) => String(f.quantiles[k][i]))].join(',')))
  return `${lines.join('\n')}\n`
}
