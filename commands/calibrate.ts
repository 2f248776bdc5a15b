import {calibrationPage} from '../src/calibrate/html-page.js'
import {renderPage} from '../src/report/html/page.js'
import {checkHtmlOutput, writeHtml} from '../src/report/html/write.js'
import {Flags} from '@oclif/core'

import {calibrateStepScale, type CalibrationResult, type FigureComparison} from '../src/calibrate/fit.js'
import {CALL_ID_KEY, compareRequests, type RequestComparison, type RequestErrorStats} from '../src/calibrate/per-request.js'
import {replayPredictor} from '../src/calibrate/predict.js'
import {simulatePredictor} from '../src/calibrate/simulate-predictor.js'
import {type CalibratedProfile, sha256File, writeCalibratedProfile} from '../src/calibrate/profile-file.js'
import {calibrateEngineProfile, readMeasuredLoad} from '../src/calibrate/engine-calibrate.js'
import {FleetcapCommand} from '../src/cli/base-command.js'
import {checkOutputFile} from '../src/util/atomic-write.js'
import {InputError} from '../src/errors.js'
import {getServingProfile, resolveServingProfile} from '../src/fleet/profiles/catalog.js'
import type {K6Measurement} from '../src/k6/summary.js'

interface CalibrateOutput {
  profile: string
  replicas: number
  predictor: 'simulate' | 'replay'
  measurement: {file: string; format: K6Measurement['format']; requests: number; droppedIterations: number}
  stepScale: number
  /** CPU engine profiles fitted on stream figures: the factor on the prefill cost (stepScale is then the decode factor). */
  prefillScale?: number
  rmsLogErrorBefore: number
  rmsLogErrorAfter: number
  before: FigureComparison[]
  after: FigureComparison[]
  /** Per request (--k6-json from a fleetcap script): how many were compared and the error figures. */
  requests?: {stride: number; measured: number; failed: number; unmatched: number; compared: number; stats: RequestErrorStats[]}
  written?: CalibratedProfile
}

export default class Calibrate extends FleetcapCommand<typeof Calibrate> {
  static override summary = 'Compare a k6 measurement with the prediction for the same load and fleet, and fit the serving profile.'

  static override description = `Reads what k6 measured (--k6-summary: the summary.json a fleetcap load test writes, or k6's --summary-export file; or --k6-json: k6's --out json samples, exact quantiles) and the load it applied (--load: the \`fleetcap k6 export\` directory; default: the summary's directory). Predicts the same load (the exact tasks k6 sent, at the times it sent them) on --replicas replicas of the serving profile (--profile ID, or --model/--gpu/--tp) with \`fleetcap simulate\` (or --predictor replay: an independent continuous-batching replay), reports the error of each figure (latency, TTFT and TPOT p50/p95, throughput), fits one factor on the profile's step time that minimises the latency error, and reports the error after.

--write-profile FILE writes the adjusted profile (YAML, atomic): the base profile, the factor, and the measurement (file and SHA-256) as its source.

Exit codes: 0 done; 2 bad input (file, field, unknown profile); 1 internal error.`

  static override examples = [
    '<%= config.bin %> calibrate --k6-summary out/load/summary.json --model llama-3.1-8b --gpu A100-80GB',
    '<%= config.bin %> calibrate --k6-json out/load/samples.json --load out/load --profile llama-3.1-70b@H100-SXM:tp4 --replicas 2 --write-profile out/70b-h100-measured.yaml',
  ]

  static override flags = {
    'k6-summary': Flags.string({description: 'k6 summary JSON (handleSummary data or --summary-export).', exactlyOne: ['k6-summary', 'k6-json']}),
    'k6-json': Flags.string({description: 'k6 --out json output (one JSON object per line).', exactlyOne: ['k6-summary', 'k6-json']}),
    load: Flags.string({description: 'Directory `fleetcap k6 export` wrote (load-meta.json, requests.json); default: the summary\'s directory.'}),
    profile: Flags.string({description: 'Serving profile id, e.g. llama-3.1-8b@A100-80GB:tp1.', exclusive: ['model', 'gpu', 'tp', 'engine-profile']}),
    'engine-profile': Flags.string({
      description: 'A CPU llama.cpp profile file (CpuEngineProfile YAML, src/calibrate/cpu-engine.ts) instead of a catalog profile; predicted by replay. --write-profile then writes it back with the fitted stepTimeScale.',
      exclusive: ['model', 'gpu', 'tp', 'engine-overheads'],
    }),
    model: Flags.string({description: 'Model of the serving profile (with --gpu).', dependsOn: ['gpu']}),
    gpu: Flags.string({description: 'GPU of the serving profile (with --model).', dependsOn: ['model']}),
    tp: Flags.integer({description: 'Tensor-parallel degree (default: the smallest shipped that fits).', min: 1}),
    'engine-overheads': Flags.string({description: 'Replace the profile\'s CPU overheads with a named set from models/serving.yaml.'}),
    replicas: Flags.integer({description: 'Replicas that served the load (requests are spread least-loaded).', default: 1, min: 1, max: 10_000}),
    'write-profile': Flags.string({description: 'Write the adjusted serving profile (YAML) here.'}),
    force: Flags.boolean({description: 'Overwrite the --write-profile file if it exists.'}),
    html: Flags.string({description: 'Also write a self-contained HTML report with charts (measured against predicted, residuals, the factor) to this file.'}),
    predictor: Flags.option({
      options: ['simulate', 'replay'] as const,
      default: 'simulate',
      description: 'simulate: the fleetcap simulator on the same tasks; replay: the one-replica continuous-batching replay (src/calibrate/predict.ts), an independent cross-check.',
    })(),
  }

  async run(): Promise<CalibrateOutput> {
    const f = this.flags
    const file = (f['k6-summary'] ?? f['k6-json'])!
    if (f['write-profile'] !== undefined) checkOutputFile(f['write-profile'], f.force, '--write-profile')
    if (f.html !== undefined) checkHtmlOutput(f.html)
    if (f['engine-profile'] !== undefined) return this.runEngineProfile(f['engine-profile'], file)
    if (f.profile === undefined && f.model === undefined) {
      throw new InputError({field: '--profile'}, 'say which serving profile served the load: --profile ID, or --model and --gpu', {hint: 'run `fleetcap profiles list`'})
    }
    const profile =
      f.profile !== undefined
        ? getServingProfile(f.profile)
        : resolveServingProfile({model: f.model!, gpu: f.gpu!, tensorParallel: f.tp, engineOverheads: f['engine-overheads']})
    const {measurement, load, loadDir} = await readMeasuredLoad(file, f['k6-json'] !== undefined, f.load)
    if (measurement.droppedIterations > 0) {
      this.note(`warning: k6 dropped ${measurement.droppedIterations} iterations: the load applied was lighter than the one predicted`)
    }
    const predict = f.predictor === 'simulate' ? simulatePredictor(profile, f.replicas) : replayPredictor(profile, f.replicas)
    const result: CalibrationResult = await calibrateStepScale(measurement, load, predict)
    this.say(`profile ${profile.id} × ${f.replicas} replica(s); ${measurement.requests} requests measured (${measurement.format}); predicted by ${f.predictor}`)
    this.say(table(result))
    this.say(`step-time factor ${result.stepScale.toFixed(3)}: RMS log error ${result.rmsLogErrorBefore.toFixed(3)} -> ${result.rmsLogErrorAfter.toFixed(3)}`)
    // Per request: only k6's --out json has each request's samples (and their ids).
    let requests: RequestComparison | undefined
    let requestsNote: string | undefined
    if (f['k6-json'] !== undefined) {
      requests = await compareRequests(file, load, profile, f.replicas, result.stepScale)
      if (requests === undefined) requestsNote = `${file} has no request ids (k6 metadata ${CALL_ID_KEY}): the script predates them; re-export it with \`fleetcap k6 export\` to compare per request.`
      else this.say(requestLine(requests))
    } else {
      requestsNote = 'k6\'s summary holds no per-request samples: run k6 with --out json=FILE and pass --k6-json FILE to compare each request with its simulated twin.'
    }
    if (f.html !== undefined) {
      const measured = {file, format: measurement.format, requests: measurement.requests, droppedIterations: measurement.droppedIterations}
      await writeHtml(f.html, renderPage(calibrationPage({profile: profile.id, replicas: f.replicas, predictor: f.predictor, measurement: measured, result, requests, requestsNote})))
      this.note(`wrote ${f.html}`)
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
      this.note(`wrote ${f['write-profile']}`)
    }
    return {
      ...fitOutput(profile.id, f.replicas, f.predictor, file, measurement, result),
      requests: requests && {stride: requests.stride, measured: requests.measured, failed: requests.failed, unmatched: requests.unmatched, compared: requests.pairs.length, stats: requests.stats},
      written,
    }
  }

  /** Calibrate a CPU llama.cpp profile file: replay predictor, the file's own scale as the start. */
  private async runEngineProfile(path: string, file: string): Promise<CalibrateOutput> {
    const f = this.flags
    const c = await calibrateEngineProfile({path, file, samples: f['k6-json'] !== undefined, loadDir: f.load, replicas: f.replicas, writeProfile: f['write-profile']})
    if (c.measurement.droppedIterations > 0) this.note(`warning: k6 dropped ${c.measurement.droppedIterations} iterations: the load applied was lighter than the one predicted`)
    this.say(c.header)
    this.say(table(c.result))
    this.say(c.factors)
    if (f['write-profile']) this.note(`wrote ${f['write-profile']}`)
    return {...fitOutput(path, f.replicas, 'replay', file, c.measurement, c.result), prefillScale: c.result.twoFactor ? c.result.prefillScale : undefined}
  }
}

/** The --json fields both calibrate paths share: what was measured, and the fit. */
function fitOutput(profile: string, replicas: number, predictor: CalibrateOutput['predictor'], file: string, measurement: K6Measurement, result: CalibrationResult): CalibrateOutput {
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
