/**
 * `fleetcap calibrate` behind its flags (./cli-flags.ts): read what k6 measured and the load it
 * applied, predict the same load, fit the profile's step time, print the figures, write the
 * adjusted profile and the HTML report.
 */
import type {CommandIo} from '../cli/command-io.js'
import {InputError} from '../errors.js'
import {getServingProfile, resolveServingProfile} from '../fleet/profiles/catalog.js'
import type {K6Measurement} from '../k6/summary.js'
import {renderPage} from '../report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../report/html/write.js'
import {checkOutputFile} from '../util/atomic-write.js'
import type {CalibrateFlags} from './cli-flags.js'
import type {CalibrateResult} from './command-result.js'
import {calibrateEngineProfile, readMeasuredLoad} from './engine-calibrate.js'
import {calibrateStepScale, type CalibrationResult} from './fit.js'
import {calibrationPage} from './html-page.js'
import {CALL_ID_KEY, compareRequests, type RequestComparison} from './per-request.js'
import {replayPredictor} from './predict.js'
import {type CalibratedProfile, sha256File, writeCalibratedProfile} from './profile-file.js'
import {simulatePredictor} from './simulate-predictor.js'

export async function runCalibrate(f: CalibrateFlags, io: CommandIo): Promise<CalibrateResult> {
  const file = (f['k6-summary'] ?? f['k6-json'])!
  if (f['write-profile'] !== undefined) checkOutputFile(f['write-profile'], f.force, '--write-profile')
  if (f.html !== undefined) checkHtmlOutput(f.html)
  if (f['engine-profile'] !== undefined) return runEngineProfile(f, f['engine-profile'], file, io)
  if (f.profile === undefined && f.model === undefined) {
    throw new InputError({field: '--profile'}, 'say which serving profile served the load: --profile ID, or --model and --gpu', {hint: 'run `fleetcap profiles list`'})
  }
  const profile =
    f.profile !== undefined
      ? getServingProfile(f.profile)
      : resolveServingProfile({model: f.model!, gpu: f.gpu!, tensorParallel: f.tp, engineOverheads: f['engine-overheads']})
  const {measurement, load, loadDir} = await readMeasuredLoad(file, f['k6-json'] !== undefined, f.load)
  if (measurement.droppedIterations > 0) {
    io.note(`warning: k6 dropped ${measurement.droppedIterations} iterations: the load applied was lighter than the one predicted`)
  }
  const predict = f.predictor === 'simulate' ? simulatePredictor(profile, f.replicas) : replayPredictor(profile, f.replicas)
  const result: CalibrationResult = await calibrateStepScale(measurement, load, predict)
  io.say(`profile ${profile.id} × ${f.replicas} replica(s); ${measurement.requests} requests measured (${measurement.format}); predicted by ${f.predictor}`)
  io.say(table(result))
  io.say(`step-time factor ${result.stepScale.toFixed(3)}: RMS log error ${result.rmsLogErrorBefore.toFixed(3)} -> ${result.rmsLogErrorAfter.toFixed(3)}`)
  // Per request: only k6's --out json has each request's samples (and their ids).
  let requests: RequestComparison | undefined
  let requestsNote: string | undefined
  if (f['k6-json'] !== undefined) {
    requests = await compareRequests(file, load, profile, f.replicas, result.stepScale)
    if (requests === undefined) requestsNote = `${file} has no request ids (k6 metadata ${CALL_ID_KEY}): the script predates them; re-export it with \`fleetcap k6 export\` to compare per request.`
    else io.say(requestLine(requests))
  } else {
    requestsNote = 'k6\'s summary holds no per-request samples: run k6 with --out json=FILE and pass --k6-json FILE to compare each request with its simulated twin.'
  }
  if (f.html !== undefined) {
    const measured = {file, format: measurement.format, requests: measurement.requests, droppedIterations: measurement.droppedIterations}
    await writeHtml(f.html, renderPage(calibrationPage({profile: profile.id, replicas: f.replicas, predictor: f.predictor, measurement: measured, result, requests, requestsNote})))
    io.note(`wrote ${f.html}`)
  }
  let written: CalibratedProfile | undefined
  if (f['write-profile']) {
    written = await writeCalibratedProfile(f['write-profile'], {
      base: profile,
      result,
      measurement: {file, sha256: await sha256File(file), format: measurement.format, requests: measurement.requests, durationS: measurement.durationS},
      load: {dir: loadDir, replicas: f.replicas},
      predictor: f.predictor === 'simulate' ? 'fleetcap simulate' : 'replay (continuous batching per replica)',
    })
    io.note(`wrote ${f['write-profile']}`)
  }
  return {
    ...fitOutput(profile.id, f.replicas, f.predictor, file, measurement, result),
    requests: requests && {stride: requests.stride, measured: requests.measured, failed: requests.failed, unmatched: requests.unmatched, compared: requests.pairs.length, stats: requests.stats},
    written,
  }
}

/** Calibrate a CPU llama.cpp profile file: replay predictor, the file's own scale as the start. */
async function runEngineProfile(f: CalibrateFlags, path: string, file: string, io: CommandIo): Promise<CalibrateResult> {
  const c = await calibrateEngineProfile({path, file, samples: f['k6-json'] !== undefined, loadDir: f.load, replicas: f.replicas, writeProfile: f['write-profile']})
  if (c.measurement.droppedIterations > 0) io.note(`warning: k6 dropped ${c.measurement.droppedIterations} iterations: the load applied was lighter than the one predicted`)
  io.say(c.header)
  io.say(table(c.result))
  io.say(c.factors)
  if (f['write-profile']) io.note(`wrote ${f['write-profile']}`)
  return {...fitOutput(path, f.replicas, 'replay', file, c.measurement, c.result), prefillScale: c.result.twoFactor ? c.result.prefillScale : undefined}
}

/** The --json fields both calibrate paths share: what was measured, and the fit. */
function fitOutput(profile: string, replicas: number, predictor: CalibrateResult['predictor'], file: string, measurement: K6Measurement, result: CalibrationResult): CalibrateResult {
  return {
    profile,
    replicas,
    predictor,
    measurement: {file, format: measurement.format, requests: measurement.requests, droppedIterations: measurement.droppedIterations},
    stepScale: result.stepScale,
    rmsLogErrorBefore: result.rmsLogErrorBefore,
    rmsLogErrorAfter: result.rmsLogErrorAfter,
    before: result.before,
    after: result.after,
  }
}

function requestLine(c: RequestComparison): string {
  const stat = (metric: 'ttft' | 'e2e', series: 'before' | 'after'): string => c.stats.find((s) => s.metric === metric && s.series === series)!.rmsLogError.toFixed(3)
  return `per request (${c.pairs.length} compared${c.stride > 1 ? `, every ${c.stride}th iteration` : ''}): RMS log error TTFT ${stat('ttft', 'before')} -> ${stat('ttft', 'after')}, e2e ${stat('e2e', 'before')} -> ${stat('e2e', 'after')}`
}

function table(r: CalibrationResult): string {
  const rows = [['figure', 'measured', 'predicted', 'error', 'fitted', 'error', '']]
  for (const b of r.before) {
    const a = r.after.find((x) => x.figure === b.figure)!
    const pct = (e: number): string => `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)}%`
    rows.push([b.figure, b.measured.toFixed(2), b.predicted.toFixed(2), pct(b.error), a.predicted.toFixed(2), pct(a.error), b.fitted ? '' : '(not fitted)'])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n')
}
