import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {InputError} from '../errors.js'
import {readK6ExportLoad} from '../k6/export.js'
import type {LoadProfile} from '../k6/load.js'
import {META_FILE} from '../k6/script.js'
import {type K6Measurement, readK6JsonOutput, readK6Summary} from '../k6/summary.js'
import {readCpuEngineProfile, writeCpuEngineProfile} from './cpu-engine.js'
import {type EngineFit, fitCpuEngine, scaledEngine} from './cpu-engine-fit.js'
import {sha256File} from './profile-file.js'

/** What `fleetcap calibrate` reads: k6's measurement and the load the export described. */
export interface MeasuredLoad {
  measurement: K6Measurement
  load: LoadProfile
  loadDir: string
}

/** Read `--k6-json` (samples) or `--k6-summary` FILE and the `fleetcap k6 export` directory (default: FILE's). */
export async function readMeasuredLoad(file: string, samples: boolean, loadDir = dirname(file)): Promise<MeasuredLoad> {
  const measurement = samples ? await readK6JsonOutput(file) : await readK6Summary(file)
  if (!existsSync(join(loadDir, META_FILE))) {
    throw new InputError({file: join(loadDir, META_FILE)}, 'no load description here', {hint: 'pass --load with the directory `fleetcap k6 export` wrote'})
  }
  return {measurement, load: await readK6ExportLoad(loadDir), loadDir}
}

export interface EngineCalibration extends MeasuredLoad {
  result: EngineFit
  /** One line: which profile, how many requests, how predicted. */
  header: string
  /** One line: the factors and the error before and after. */
  factors: string
}

/**
 * `fleetcap calibrate --engine-profile PATH`: fit a CPU llama.cpp profile to a k6 run (two factors
 * on stream figures, one otherwise) and, with `writeProfile`, write it back with the factors and
 * the measurement (file, SHA-256) as their source.
 */
export async function calibrateEngineProfile(o: {path: string; file: string; samples: boolean; loadDir?: string; replicas: number; writeProfile?: string}): Promise<EngineCalibration> {
  const engine = await readCpuEngineProfile(o.path)
  const measured = await readMeasuredLoad(o.file, o.samples, o.loadDir)
  const {measurement} = measured
  const result = await fitCpuEngine(measurement, measured.load, engine, o.replicas)
  const header = `engine profile ${o.path} (${engine.engine.name}, ${engine.hardware.threads} thread(s), ${engine.limits.slots.value} slots) × ${o.replicas} replica(s); ${measurement.requests} requests measured (${measurement.format}); predicted by replay`
  const factors = result.twoFactor
    ? `prefill factor ${result.prefillScale.toFixed(3)}, decode factor ${result.stepScale.toFixed(3)}`
    : `step-time factor ${result.stepScale.toFixed(3)} (no stream figures to separate prefill from decode)`
  if (o.writeProfile !== undefined) {
    const source = `fleetcap calibrate: k6 ${measurement.format} ${o.file} (sha256 ${await sha256File(o.file)}), ${measurement.requests} requests, replay predictor`
    await writeCpuEngineProfile(o.writeProfile, scaledEngine(engine, result.prefillScale, result.stepScale, source))
  }
  return {...measured, result, header, factors: `${factors}: RMS log error ${result.rmsLogErrorBefore.toFixed(3)} -> ${result.rmsLogErrorAfter.toFixed(3)}`}
}
