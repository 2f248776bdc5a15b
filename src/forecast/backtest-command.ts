/**
 * `fleetcap forecast backtest` behind its flags: read the series, backtest the models on held-out
 * windows, print the scores, write the outputs, and return the --json result. The command class
 * (commands/forecast/backtest.ts) only hands over its flags and where its lines go.
 */
import type {Interfaces} from '@oclif/core'

import {toSteps} from '../cli/steps-flag.js'
import {InputError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {renderPage} from '../report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../report/html/write.js'
import {writeOutputDir} from '../util/atomic-write.js'
import {boundOutput} from '../util/output-bound.js'
import type {BackendReport} from './backend.js'
import {backtest, type BacktestResult} from './backtest.js'
import {loadMany} from './batch-io.js'
import {type forecastBacktestFlags, neuralOptions, reportBackend} from './cli-flags.js'
import {backtestPage} from './html-page.js'
import {backtestFiles} from './outputs.js'
import type {CommandIo} from './run-command.js'
import {parseMask} from './series.js'
import {usesNetwork} from './types.js'

export type ForecastBacktestFlags = Interfaces.InferredFlags<typeof forecastBacktestFlags>

/** `forecast backtest --json`: the scores without every window's forecast (those go to --out), and the backend used. */
export type ForecastBacktestResult = Omit<BacktestResult, 'windows'> & {backend?: BackendReport}

export async function runBacktestCommand(f: ForecastBacktestFlags, io: CommandIo): Promise<ForecastBacktestResult> {
  if (f.html !== undefined) checkHtmlOutput(f.html)
  const {models, candidates} = f
  const {series, warnings} = await loadMany({...f, wide: f.wide ?? f.m4}, {gaps: f.gaps, masks: (f.mask ?? []).map((m) => parseMask(m))}, Date.now() / 1000)
  for (const w of warnings) io.note(`warning: ${w}`)
  if (series.length === 0) throw new InputError({}, 'no series to backtest')
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
  if (usesNetwork(models) || (models.includes('auto') && usesNetwork(candidates))) backend = await reportBackend(io.note, f.backend)
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
    onTrain: (e) => io.note(`nbeats step ${e.step}/${e.maxSteps}: training loss ${e.trainLoss.toFixed(4)}, validation ${e.validLoss.toFixed(4)}`),
    onSeries: (done, total) => {
      if (total > 1 && (done % every === 0 || done === total)) io.note(`${done}/${total} series×windows`)
    },
  })
  showScores(result, io)
  if (f.html !== undefined) {
    await writeHtml(f.html, renderPage(backtestPage({series, result})))
    io.note(`wrote ${f.html}`)
  }
  if (f.out) {
    await writeOutputDir(f.out, backtestFiles(result))
    io.say(`wrote ${f.out}`)
  }
  const {windows: _windows, ...rest} = result
  return {...rest, ...(backend ? {backend} : {})}
}

/** The table of scores per model, which model produced the windows, auto's picks and the best. */
function showScores(result: BacktestResult, io: CommandIo): void {
  io.say(`${result.series} series, ${result.origins} window(s) of ${result.holdout} steps held out`)
  const n = result.neural
  if (n)
    io.say(
      `nbeats: one network for all series: ${n.steps} steps (best ${n.bestStep}), ${n.trainingWindows} training windows, ${n.calibrationWindows} held-out calibration windows, ${n.trainMs} ms on ${n.backend}`,
    )
  io.say(['model', 'MASE', 'sMAPE%', 'pinball', 'cov[P10,P90]', 'cov[P5,P95]', '≤P90', '≤P99', 'points', 'seconds'].map((h, i) => (i === 0 ? h.padEnd(15) : h.padStart(13))).join(''))
  for (const s of result.scores) {
    const cells = [s.mase.toFixed(3), s.smape.toFixed(2), s.pinball.toFixed(4), pct(s.coverage80), pct(s.coverage90), pct(s.belowP90), pct(s.belowP99), String(s.points), s.seconds.toFixed(1)]
    io.say(String(s.model).padEnd(15) + cells.map((c) => c.padStart(13)).join(''))
    const produced = Object.entries(s.producedBy)
    if (s.model === 'auto' || produced.some(([k]) => k !== s.model)) io.say(`${''.padEnd(15)}produced by: ${produced.map(([k, v]) => `${k} ${v}`).join(', ')}`)
    for (const [w, count] of Object.entries(s.warnings)) io.note(count > 1 ? `warning (${s.model}, ${count} windows, the first shown): ${w}` : `warning (${s.model}): ${w}`)
  }
  const picks = result.autoPicks ?? []
  if (picks.length <= 3) for (const p of picks) io.say(`auto, window ${p.window}: ${p.model} (validation MASE over ${p.windows} windows ${JSON.stringify(p.scores)})`)
  else io.say(`auto: one pick per window for all series, validation scores per window in --json and --out`)
  io.say(`best: ${result.best}`)
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`
}
