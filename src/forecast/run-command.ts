/**
 * `fleetcap forecast run` behind its flags: read the series, forecast them, write the outputs, and
 * return the --json result. The command class (commands/forecast/run.ts) only hands over its flags
 * and where its lines go.
 */
import type {Interfaces} from '@oclif/core'

import {toSteps} from '../cli/steps-flag.js'
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {checkHtmlOutput, writeHtml} from '../report/html/write.js'
import {renderPage} from '../report/html/page.js'
import {checkOutputDir, checkOutputFile, writeFileAtomic, writeOutputDir} from '../util/atomic-write.js'
import {boundOutput} from '../util/output-bound.js'
import type {BackendReport} from './backend.js'
import {loadMany} from './batch-io.js'
import {type forecastRunFlags, neuralOptions, reportBackend} from './cli-flags.js'
import {trainMany} from './forecast.js'
import {forecastPage} from './html-page.js'
import {forecastCsv, forecastFiles} from './outputs.js'
import {saveModel} from './persist.js'
import {isoTime, parseMask} from './series.js'
import {type Forecast, quantileKey, type Series, usesNetwork} from './types.js'

export type ForecastRunFlags = Interfaces.InferredFlags<typeof forecastRunFlags>

/** Where the command's lines go: `say` results (stdout), `note` progress and warnings (stderr); both silent under --json. */
export interface CommandIo {
  say: (line: string) => void
  note: (line: string) => void
  json: boolean
}

/** The one series read, as the result states it. */
export interface SeriesSummary {
  name: string
  points: number
  stepS: number
  start: string
  end: string
}

/** What the call used and made besides the forecasts. */
export interface RunExtras {
  /** The TensorFlow.js backend (when a neural model ran). */
  backend?: BackendReport
  /** The directory the model was saved to (--save-model). */
  saved?: string
  /** The network trained for the call: its parameters and training time. */
  neural?: Record<string, number | string>
}

/** `forecast run --json`: one series gives the forecast itself plus `input`; many give `{forecasts}`. */
export type ForecastRunResult = (Forecast & {input: SeriesSummary} & RunExtras) | ({forecasts: Forecast[]} & RunExtras)

export async function runForecastCommand(f: ForecastRunFlags, io: CommandIo): Promise<ForecastRunResult> {
  if (f.html !== undefined) checkHtmlOutput(f.html)
  if (f['save-model'] !== undefined) checkOutputDir(f['save-model'], '--save-model')
  const masks = (f.mask ?? []).map((m) => parseMask(m))
  const {series, warnings} = await loadMany(f, {gaps: f.gaps, masks}, Date.now() / 1000)
  for (const w of warnings) io.note(`warning: ${w}`)
  if (series.length === 0) throw new InputError({}, 'no series to forecast')
  // One series goes to a file: a .csv path, - (stdout) or a pipe/device; many series to a directory.
  const toFile = f.out !== undefined && series.length === 1 && (f.out === '-' || f.out.startsWith('/dev/') || f.out.toLowerCase().endsWith('.csv'))
  const out = f.out !== undefined && toFile ? checkOutputFile(f.out, f.force) : undefined
  if (out?.kind === 'stdout' && io.json) throw new InputError({field: '--out'}, '- (stdout) cannot be combined with --json: both would be written to stdout')
  // With the forecast on stdout (or a pipe), every human line goes to stderr.
  const say = out !== undefined && out.kind !== 'file' ? io.note : io.say
  if (f['save-model'] && series.length > 1) throw new InputError({field: '--save-model'}, `saves one series' model; the input has ${series.length} series`)
  const stepS = series[0].stepS
  const horizon = toSteps(f.horizon, stepS, 'horizon')
  if (f.out !== undefined || f.html !== undefined || io.json) {
    boundOutput({
      where: {field: '--horizon'},
      from: 'series × --horizon',
      count: series.length * horizon,
      unit: 'forecast rows',
      limit: LIMITS.forecastRows,
      output: 'one forecast output',
      hint: 'a shorter --horizon or a longer step, or fewer series per run',
    })
  }
  const {model, candidates, quantiles} = f
  let backend: BackendReport | undefined
  if (usesNetwork([model]) || (model === 'auto' && usesNetwork(candidates))) backend = await reportBackend(io.note, f.backend)
  const {trained, global, selection} = await trainMany(series, {
    model,
    horizon,
    quantiles,
    seasonalities: f.seasonality?.map((seconds) => toSteps({seconds}, stepS, 'seasonality')),
    candidates,
    seed: f.seed ?? 1,
    autoMethod: f['auto-method'],
    neural: neuralOptions(f),
    onProgress: (e) => io.note(`train step ${e.step}/${e.maxSteps} loss ${e.loss.toFixed(4)} validation ${e.validLoss.toFixed(4)}`),
  })
  const forecasts = trained.map((t) => t.forecast)
  if (global) say(`nbeats: trained once on ${global.params.series} series, ${global.params.steps} steps (best ${global.params.bestStep}), ${global.trainMs} ms on ${global.params.backend}`)
  if (selection) say(`auto (refit): ${selection.model} for every series; validation MASE over ${selection.windows} windows ${JSON.stringify(selection.scores)}`)
  for (const w of selection?.notes ?? []) io.note(`warning: ${w}`)
  const saved = f['save-model']
  if (saved !== undefined) await saveModel(saved, trained[0])
  if (series.length === 1) showOne(forecasts[0], series[0], horizon, {...io, say})
  else showMany(forecasts, horizon, io)
  if (f.out) {
    if (toFile) await writeFileAtomic(f.out, forecastCsv(forecasts[0]))
    else
      await writeOutputDir(
        f.out,
        forecastFiles(forecasts, {series: series.length, horizon, quantiles, model, ...(selection ? {selection} : {}), ...(global ? {neural: global.params} : {}), ...(backend ? {backend} : {})}),
      )
    if (out === undefined || out.kind === 'file') say(`wrote ${f.out}`)
  }
  if (f.html !== undefined) {
    await writeHtml(f.html, renderPage(forecastPage({series: series[0], forecast: forecasts[0]})))
    io.note(`wrote ${f.html}`)
  }
  if (saved !== undefined) say(`saved model to ${saved}`)
  const extras: RunExtras = {...(backend ? {backend} : {}), ...(saved !== undefined ? {saved} : {}), ...(global ? {neural: {...global.params, trainMs: global.trainMs ?? 0}} : {})}
  if (series.length > 1) return {forecasts, ...extras}
  return {...forecasts[0], input: summarize(series[0]), ...extras}
}

function summarize(s: Series): SeriesSummary {
  return {name: s.name, points: s.values.length, stepS: s.stepS, start: isoTime(s.startS), end: isoTime(s.startS + s.values.length * s.stepS)}
}

/** One series: what was read, the model, and the quantiles of a few steps (all of a short horizon). */
function showOne(result: Forecast, s: Series, horizon: number, io: CommandIo): void {
  const input = summarize(s)
  for (const w of result.warnings) io.note(`warning: ${w}`)
  io.say(`${s.name}: ${input.points} points of ${s.stepS} s, ${input.start} to ${input.end}`)
  io.say(`model ${result.model} ${JSON.stringify(result.params)}`)
  if (result.selection)
    io.say(
      `auto (${result.selection.method}): MASE over ${result.selection.origins} ${result.selection.method === 'refit' ? 'validation windows' : 'rolling origins'} ${JSON.stringify(result.selection.scores)}`,
    )
  io.say(`intervals: ${result.intervals}`)
  const keys = result.levels.map((l) => quantileKey(l))
  const shown = result.timestamps.length <= 12 ? result.timestamps.map((_, i) => i) : [0, 1, 2, Math.floor(horizon / 2), horizon - 2, horizon - 1]
  io.say(['timestamp', ...keys].join('\t'))
  for (const i of shown) io.say([isoTime(result.timestamps[i]), ...keys.map((k) => result.quantiles[k][i].toFixed(2))].join('\t'))
}

/** Many series: how many, by which models, and the first warning. */
function showMany(forecasts: readonly Forecast[], horizon: number, io: CommandIo): void {
  const byModel: Record<string, number> = {}
  for (const fc of forecasts) byModel[fc.model] = (byModel[fc.model] ?? 0) + 1
  io.say(
    `${forecasts.length} series forecast ${horizon} steps ahead; models: ${Object.entries(byModel)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  const warned = forecasts.filter((fc) => fc.warnings.length > 0)
  if (warned.length > 0) io.note(`warning: ${warned.length} series have warnings (first: ${warned[0].series}: ${warned[0].warnings[0]})`)
}
