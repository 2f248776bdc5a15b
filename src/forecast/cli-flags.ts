/**
 * The flags of `forecast run` and `forecast backtest`: one definition per name, so a flag both take
 * means the same, with the same default and description, in both. Values arrive parsed: seconds
 * (`--step`, `--since`), `{steps}|{seconds}` (`--horizon`, `--holdout`, converted once the step is
 * known), level and period lists, model lists.
 */
import {Flags} from '@oclif/core'

import {durationFlag, flagKind, pick, sharedFlags} from '../cli/flags.js'
import {durationListFlag, fractionListFlag} from '../cli/list-flags.js'
import {stepsFlag} from '../cli/steps-flag.js'
import {InputError} from '../errors.js'
import {BACKENDS, type BackendChoice, type BackendReport, initBackend} from './backend.js'
import {MODEL_NAMES, type ModelChoice, type ModelName, type NeuralOptions} from './types.js'

/** Model names, comma separated; `auto` only where `withAuto`. An unknown name is named with the known ones. */
function modelList<M extends ModelChoice>(withAuto: boolean) {
  const known: readonly string[] = withAuto ? ['auto', ...MODEL_NAMES] : MODEL_NAMES
  return flagKind('<models>', (text, flag): M[] => {
    const names = text.split(',').map((m) => m.trim())
    for (const m of names) if (!known.includes(m)) throw new InputError({field: `--${flag}`}, `unknown model "${m}"; known: ${known.join(', ')}`)
    return names as M[]
  })
}

/** A shared flag in this command family's words (the same meaning, said more exactly for forecasts). */
function worded<F extends {description?: string}>(flag: F, description: string): F {
  return {...flag, description}
}

/** Where the series come from (forecast.ts's loadMany reads them). */
const inputFlags = {
  series: Flags.string({description: 'A CSV timestamp,value; a long CSV series_id,timestamp,value; or a directory of timestamp,value CSVs.'}),
  wide: Flags.string({description: 'Wide CSV in the M4 layout ("V1"=id, then values; ragged), step --step (default 1h).'}),
  trace: Flags.string({description: 'Task trace (CSV/JSONL) to aggregate into an arrival rate (tasks per second in --step buckets).'}),
  limit: Flags.integer({description: 'Only the first N series.', min: 1}),
  ...pick(sharedFlags, 'prometheus', 'since', 'until'),
  query: worded(sharedFlags.query, 'PromQL expression; each series it returns is one series, in its own units.'),
  step: durationFlag()({description: 'Step of the series (e.g. 5m): the bucket of a trace, the Prometheus step, or the grid of a CSV (inferred when absent; 1h for --wide).'}),
  mask: Flags.string({description: 'Anomaly window FROM/TO to mask (fitted through, never scored); repeatable.', multiple: true}),
  gaps: Flags.option({
    options: ['fill', 'drop', 'refuse'] as const,
    description: 'Missing steps, NaN, duplicate or negative values: fill, drop (keep history after the last gap), or refuse.',
    default: 'refuse',
  })(),
}

/** The models, how auto picks, and the neural model's knobs. */
const modelFlags = {
  candidates: modelList<ModelName>(false)({description: 'Models auto compares, comma separated (add nbeats or ets-nbeats to let the neural model compete).', default: 'seasonal-naive,ets,linear'}),
  'auto-method': Flags.option({
    options: ['refit', 'calibration'] as const,
    description: 'How auto picks: refit (validation windows, one pick for all series) or calibration (per series, rolling-origin errors; classical models only).',
    default: 'refit',
  })(),
  seasonality: durationListFlag()({description: 'Seasonal periods, as durations, comma separated (default: 1d,1w where they fit the step).'}),
  seed: sharedFlags.seed,
  backend: Flags.option({options: BACKENDS, description: 'TensorFlow.js backend for the neural model.', default: 'auto', env: 'FLEETCAP_TF_BACKEND'})(),
  'max-steps': Flags.integer({description: 'Most training steps (batches) of the neural model; early stopping usually ends sooner.', min: 1, max: 1_000_000}),
  'hidden-units': Flags.integer({description: "Width of the neural model's layers.", min: 4, max: 4096}),
  'batch-size': Flags.integer({description: 'Windows per training step of the neural model.', min: 1, max: 65_536}),
  members: Flags.integer({description: 'Networks trained with different seeds and averaged (an ensemble; default 1).', min: 1, max: 32}),
  'input-size': Flags.integer({description: 'Input window of the neural model in steps (default: one week when it fits).', min: 2, max: 100_000}),
  hybrid: Flags.boolean({description: "The network corrects ETS's forecast (ES-RNN-style; the default); --no-hybrid: the network forecasts alone.", allowNo: true}),
  scaling: Flags.option({
    options: ['mase', 'log'] as const,
    description: "How the neural model normalises each window: log (minus its mean, over its seasonal-naive error, on log values, so errors are relative; the default) or mase (the same on the values).",
  })(),
}

export const forecastRunFlags = {
  ...inputFlags,
  model: Flags.option({options: ['auto', ...MODEL_NAMES] as const, description: 'Model.', default: 'auto'})(),
  horizon: stepsFlag()({description: 'How far ahead: a duration (2d, 12h) or a number of steps.', default: '1d'}),
  quantiles: fractionListFlag()({description: 'Quantile levels between 0 and 1, comma separated.', default: '0.5,0.9,0.99'}),
  ...modelFlags,
  out: Flags.string({
    description:
      'One series: a CSV file (timestamp, one column per quantile; - for stdout). Many series (or a path not ending in .csv): a directory with forecasts.csv, forecasts.jsonl, summary.json.',
  }),
  force: Flags.boolean({description: 'Overwrite the --out file if it exists.'}),
  'save-model': Flags.string({description: 'Save the fitted model (metadata, and the network in TensorFlow.js format) into this directory (one series).'}),
  html: Flags.string({description: 'Also write a self-contained HTML report with charts to this file (the first series).'}),
}

export const forecastBacktestFlags = {
  ...inputFlags,
  m4: Flags.string({description: 'The same as --wide (the M4 competition file).', exclusive: ['wide']}),
  models: modelList<ModelChoice>(true)({description: `Models to compare, comma separated (${['auto', ...MODEL_NAMES].join(', ')}).`, default: 'seasonal-naive,ets,linear,auto'}),
  holdout: stepsFlag()({description: 'Held-out window: a number of steps or a duration (2d, 12h).', default: '48'}),
  origins: Flags.integer({description: 'Rolling windows of --holdout at the end of each series.', default: 1, min: 1}),
  ...modelFlags,
  out: Flags.string({description: "Directory for every window's forecast (windows.csv, windows.jsonl), per-series.csv and scores.json; written atomically."}),
  html: Flags.string({description: 'Also write a self-contained HTML report with charts to this file.'}),
}

export function neuralOptions(f: {'max-steps'?: number; 'hidden-units'?: number; 'batch-size'?: number; members?: number; 'input-size'?: number; hybrid?: boolean; scaling?: 'mase' | 'log'}): NeuralOptions | undefined {
  const o: NeuralOptions = {}
  if (f.members !== undefined) o.members = f.members
  if (f['input-size'] !== undefined) o.inputSize = f['input-size']
  if (f.hybrid !== undefined) o.hybrid = f.hybrid
  if (f.scaling !== undefined) o.scaling = f.scaling
  if (f['max-steps'] !== undefined) o.maxSteps = f['max-steps']
  if (f['hidden-units'] !== undefined) o.hiddenUnits = f['hidden-units']
  if (f['batch-size'] !== undefined) o.batchSize = f['batch-size']
  return Object.keys(o).length > 0 ? o : undefined
}

/** Load the TensorFlow.js backend and say which one runs and why each one before it was skipped. */
export async function reportBackend(note: (line: string) => void, choice: BackendChoice): Promise<BackendReport> {
  const backend = await initBackend(choice)
  for (const a of backend.attempts.filter((x) => !x.ok)) note(`backend ${a.backend} skipped: ${a.reason}`)
  note(`backend: ${backend.used} (init ${backend.initMs} ms)`)
  return backend
}
