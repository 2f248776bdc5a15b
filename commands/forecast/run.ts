import {forecastPage} from '../../src/forecast/html-page.js'
import {renderPage} from '../../src/report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../../src/report/html/write.js'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {InputError} from '../../src/errors.js'
import {loadMany} from '../../src/forecast/batch-io.js'
import {type BackendReport, type Forecast, isoTime, parseMask, quantileKey, saveModel, trainMany, usesNetwork} from '../../src/forecast/index.js'
import {toSteps} from '../../src/cli/steps-flag.js'
import {forecastCsv, forecastFiles} from '../../src/forecast/outputs.js'
import {checkOutputDir, checkOutputFile, writeFileAtomic, writeOutputDir} from '../../src/util/atomic-write.js'
import {LIMITS} from '../../src/limits.js'
import {boundOutput} from '../../src/util/output-bound.js'
import {forecastRunFlags, neuralOptions, reportBackend} from '../../src/forecast/cli-flags.js'

export default class ForecastRun extends FleetcapCommand<typeof ForecastRun> {
  static override description = `Forecast load with quantiles (P50/P90/P99 by default) for every step of the horizon, for one series or many in one process.

Input: a timestamp,value CSV (--series FILE), a long CSV series_id,timestamp,value (--series FILE), a directory of CSVs (--series DIR), a wide file in the M4 layout (--wide), a task trace aggregated to a rate (--trace, --step), or a Prometheus range query (one or many series; --prometheus, --query, --since, --step). Gaps, NaN, duplicates and negative values follow --gaps (refuse by default); known anomalies can be masked (--mask, repeatable). --model auto picks one model for the call by rolling-origin validation among --candidates (nbeats among them only if it beats ets there). Every forecast names the model that produced it; a model that cannot run is an error, never a silent substitute.

Exit codes: 0 ok, 2 bad input (file, flag, too-short history, a model that cannot run), 4 Prometheus unreachable, 1 internal error.`

  static override examples = [
    '<%= config.bin %> forecast run --series data/traces/nab_nyc_taxi_30min.csv --horizon 2d --out forecast.csv',
    '<%= config.bin %> forecast run --series load.csv --model ets --quantiles 0.5,0.9,0.99 --gaps fill --json',
    '<%= config.bin %> forecast run --wide data/traces/m4_hourly_train.csv --horizon 48 --model nbeats --backend wasm --out m4-forecasts',
    '<%= config.bin %> forecast run --prometheus http://127.0.0.1:9090 --query "sum by (model) (rate(requests_total[5m]))" --since 14d --step 5m --horizon 1d --out forecasts',
  ]

  static override flags = forecastRunFlags

  /** One series: the forecast itself (as before, plus `input`); many: `{forecasts: [...]}`. */
  public async run(): Promise<(Forecast & {input: object}) | {forecasts: Forecast[]}> {
    const f = this.flags
    if (f.html !== undefined) checkHtmlOutput(f.html)
    if (f['save-model'] !== undefined) checkOutputDir(f['save-model'], '--save-model')
    const masks = (f.mask ?? []).map((m) => parseMask(m))
    const {series, warnings} = await loadMany(f, {gaps: f.gaps, masks}, Date.now() / 1000)
    for (const w of warnings) this.note(`warning: ${w}`)
    if (series.length === 0) throw new InputError({}, 'no series to forecast')
    // One series goes to a file: a .csv path, - (stdout) or a pipe/device; many series to a directory.
    const toFile = f.out !== undefined && series.length === 1 && (f.out === '-' || f.out.startsWith('/dev/') || f.out.toLowerCase().endsWith('.csv'))
    const out = f.out !== undefined && toFile ? checkOutputFile(f.out, f.force) : undefined
    if (out?.kind === 'stdout' && this.jsonEnabled()) throw new InputError({field: '--out'}, '- (stdout) cannot be combined with --json: both would be written to stdout')
    // With the forecast on stdout, the human summary goes to stderr.
    const say = out !== undefined && out.kind !== 'file' ? (line: string) => this.note(line) : (line: string) => this.say(line)
    if (f['save-model'] && series.length > 1) throw new InputError({field: '--save-model'}, `saves one series' model; the input has ${series.length} series`)
    const stepS = series[0].stepS
    const horizon = toSteps(f.horizon, stepS, 'horizon')
    if (f.out !== undefined || f.html !== undefined || this.jsonEnabled()) {
      boundOutput({where: {field: '--horizon'}, from: 'series × --horizon', count: series.length * horizon, unit: 'forecast rows', limit: LIMITS.forecastRows, output: 'one forecast output', hint: 'a shorter --horizon or a longer step, or fewer series per run'})
    }
    const quantiles = f.quantiles
    const seasonalities = f.seasonality?.map((seconds) => toSteps({seconds}, stepS, 'seasonality'))
    const model = f.model
    const candidates = f.candidates
    let backend: BackendReport | undefined
    if (usesNetwork([model]) || (model === 'auto' && usesNetwork(candidates))) backend = await reportBackend((l) => this.note(l), f.backend)
    const {trained, global, selection} = await trainMany(series, {
      model,
      horizon,
      quantiles,
      seasonalities,
      candidates,
      seed: f.seed ?? 1,
      autoMethod: f['auto-method'],
      neural: neuralOptions(f),
      onProgress: (e) => this.note(`train step ${e.step}/${e.maxSteps} loss ${e.loss.toFixed(4)} validation ${e.validLoss.toFixed(4)}`),
    })
    const forecasts = trained.map((t) => t.forecast)
    if (global) this.say(`nbeats: trained once on ${global.params.series} series, ${global.params.steps} steps (best ${global.params.bestStep}), ${global.trainMs} ms on ${global.params.backend}`)
    if (selection) this.say(`auto (refit): ${selection.model} for every series; validation MASE over ${selection.windows} windows ${JSON.stringify(selection.scores)}`)
    for (const w of selection?.notes ?? []) this.note(`warning: ${w}`)
    let saved: string | undefined
    if (f['save-model']) {
      await saveModel(f['save-model'], trained[0])
      saved = f['save-model']
    }
    if (series.length === 1) this.showOne(forecasts[0], series[0], horizon, say)
    else {
      const byModel: Record<string, number> = {}
      for (const fc of forecasts) byModel[fc.model] = (byModel[fc.model] ?? 0) + 1
      this.say(`${series.length} series forecast ${horizon} steps ahead; models: ${Object.entries(byModel).map(([k, v]) => `${k} ${v}`).join(', ')}`)
      const warned = forecasts.filter((fc) => fc.warnings.length > 0)
      if (warned.length > 0) this.note(`warning: ${warned.length} series have warnings (first: ${warned[0].series}: ${warned[0].warnings[0]})`)
    }
    if (f.out) {
      if (toFile) await writeFileAtomic(f.out, forecastCsv(forecasts[0]))
      else await writeOutputDir(f.out, forecastFiles(forecasts, {series: series.length, horizon, quantiles, model, ...(selection ? {selection} : {}), ...(global ? {neural: global.params} : {}), ...(backend ? {backend} : {})}))
      if (out === undefined || out.kind === 'file') say(`wrote ${f.out}`)
    }
    if (f.html !== undefined) {
      await writeHtml(f.html, renderPage(forecastPage({series: series[0], forecast: forecasts[0]})))
      this.note(`wrote ${f.html}`)
    }
    if (saved) say(`saved model to ${saved}`)
    const extra = {...(backend ? {backend} : {}), ...(saved ? {saved} : {}), ...(global ? {neural: {...global.params, trainMs: global.trainMs ?? 0}} : {})}
    if (series.length === 1) {
      const s = series[0]
      const input = {name: s.name, points: s.values.length, stepS: s.stepS, start: isoTime(s.startS), end: isoTime(s.startS + s.values.length * s.stepS)}
      return {...forecasts[0], input, ...extra}
    }
    return {forecasts, ...extra}
  }

  private showOne(result: Forecast, s: {name: string; values: Float64Array; stepS: number; startS: number}, horizon: number, say: (line: string) => void): void {
    for (const w of result.warnings) this.note(`warning: ${w}`)
    say(`${s.name}: ${s.values.length} points of ${s.stepS} s, ${isoTime(s.startS)} to ${isoTime(s.startS + s.values.length * s.stepS)}`)
    say(`model ${result.model} ${JSON.stringify(result.params)}`)
    if (result.selection) this.say(`auto (${result.selection.method}): MASE over ${result.selection.origins} ${result.selection.method === 'refit' ? 'validation windows' : 'rolling origins'} ${JSON.stringify(result.selection.scores)}`)
    say(`intervals: ${result.intervals}`)
    const keys = result.levels.map((l) => quantileKey(l))
    const shown = result.timestamps.length <= 12 ? result.timestamps.map((_, i) => i) : [0, 1, 2, Math.floor(horizon / 2), horizon - 2, horizon - 1]
    say(['timestamp', ...keys].join('\t'))
    for (const i of shown) this.say([isoTime(result.timestamps[i]), ...keys.map((k) => result.quantiles[k][i].toFixed(2))].join('\t'))
  }
}
