import {InputError} from '../errors.js'
import {renderReportJson, renderSummary, renderTimeSeriesCsv, roundedReport} from '../report/render.js'
import type {SimulationReport} from '../report/report.js'
import {simulationSparklines} from '../report/sparkline.js'
import {loadScenarioFile} from '../scenario/load.js'
import {checkOutputDir, writeOutputDir} from '../util/atomic-write.js'
import {type BandMode, simulateWithBand} from './banded-run.js'

/**
 * `fleetcap simulate`: load a scenario file, run it (with its band edges), and write what the
 * flags ask for (--out, --html); runSimulate adds the progress bar and the printing.
 */

export interface SimulateFlags {
  trace?: string
  seed?: number
  out?: string
  html?: string
  band: string
}

export interface SimulateOutcome {
  report: SimulationReport
  /** The report as report.json and --json have it. */
  rounded: SimulationReport
  summary: string
  /** Sparklines for a terminal. */
  sparklines: () => string[]
}

export async function simulateScenarioFile(file: string, flags: SimulateFlags, onProgress?: (fraction: number) => void, beforeRun?: () => void): Promise<SimulateOutcome> {
  if (flags.out !== undefined) checkOutputDir(flags.out)
  const loaded = await loadScenarioFile(file)
  // The page's modules load only when a page is written.
  const wantsPage = flags.out !== undefined || flags.html !== undefined
  const pageKit = wantsPage ? await import('../report/html/simulate-html.js') : undefined
  if (flags.html !== undefined) pageKit?.checkHtmlOutput(flags.html)
  if (flags.trace !== undefined && flags.trace.trim() === '') throw new InputError({field: '--trace'}, 'empty path')
  beforeRun?.()
  let result
  try {
    result = await simulateWithBand(loaded.scenario, {
      band: flags.band as BandMode,
      baseDir: loaded.baseDir,
      scenarioFile: loaded.file,
      seed: flags.seed,
      traceFile: flags.trace,
      chartData: wantsPage,
      onProgress,
    })
  } catch (error) {
    throw loaded.locate(taskError(error, flags.trace ?? (loaded.scenario.workload.kind === 'trace' ? loaded.scenario.workload.path : loaded.file)))
  }
  const {report, timeSeries} = result
  const summary = renderSummary(report)
  // The page draws the rounded report, as report.json has it.
  const html = pageKit?.renderPage(pageKit.simulationPage({report: roundedReport(report), timeSeries, charts: result.charts}))
  if (flags.out !== undefined) {
    await writeOutputDir(flags.out, {
      'report.json': renderReportJson(report),
      'timeseries.csv': renderTimeSeriesCsv(timeSeries.columns, timeSeries.rows),
      'summary.txt': summary,
      'index.html': html as string,
    })
  }
  if (flags.html !== undefined) await pageKit?.writeHtml(flags.html, html as string)
  return {report, rounded: roundedReport(report), summary, sparklines: () => simulationSparklines(report, timeSeries)}
}

/** A task the fleet cannot serve is named by the file its workload came from (the trace, else the scenario). */
function taskError(error: unknown, source: string): unknown {
  if (!(error instanceof InputError) || error.location.file !== undefined || !error.location.field?.startsWith('task ')) return error
  const field = error.location.field
  return new InputError({file: source, field}, error.message.slice(field.length + 2), {hint: error.hint})
}

/** What `fleetcap simulate` prints, and the SLOs that failed (for --check-slo's exit). */
export interface SimulateRun {
  /** The report as report.json and --json have it. */
  rounded: SimulationReport
  /** Objectives not met (empty when every SLO passed). */
  failedSlos: string[]
}

/**
 * The command's whole run: a progress bar on a terminal's stderr (not with --json), the run, and
 * the summary on stdout with sparklines on a terminal and where --out/--html were written.
 */
export async function runSimulate(file: string, flags: SimulateFlags, json: boolean): Promise<SimulateRun> {
  // cli-progress is imported only when a bar is drawn (a terminal, no --json).
  const cliProgress = process.stderr.isTTY && !json ? (await import('cli-progress')).default : undefined
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        {stream: process.stderr, format: 'simulating [{bar}] {percentage}% | {eta_formatted} left', hideCursor: true, clearOnComplete: true},
        cliProgress.Presets.shades_classic,
      )
    : undefined
  let outcome
  try {
    outcome = await simulateScenarioFile(file, flags, bar ? (f) => bar.update(Math.round(f * 100)) : undefined, () => bar?.start(100, 0))
  } finally {
    bar?.stop()
  }
  if (!json) {
    process.stdout.write(outcome.summary)
    if (process.stdout.isTTY) for (const line of outcome.sparklines()) process.stdout.write(`${line}\n`)
    if (flags.out !== undefined) process.stderr.write(`wrote ${flags.out}/report.json, timeseries.csv, summary.txt, index.html\n`)
    if (flags.html !== undefined) process.stderr.write(`wrote ${flags.html}\n`)
  }
  return {rounded: outcome.rounded, failedSlos: outcome.report.slo.checks.filter((c) => !c.pass).map((c) => c.objective)}
}
