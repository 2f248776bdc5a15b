import {Flags} from '@oclif/core'

import {type BackendChoice, type BackendReport, initBackend, type NeuralOptions} from './index.js'

/** Flags of the neural model shared by `forecast run` and `forecast backtest`. */
export const neuralFlags = {
  'max-steps': Flags.integer({description: 'Most training steps (batches) of the neural model; early stopping usually ends sooner.', min: 1, max: 1_000_000}),
  'hidden-units': Flags.integer({description: 'Width of the neural model\'s layers.', min: 4, max: 4096}),
  'batch-size': Flags.integer({description: 'Windows per training step of the neural model.', min: 1, max: 65_536}),
  members: Flags.integer({description: 'Networks trained with different seeds and averaged (an ensemble; default 1).', min: 1, max: 32}),
  'input-size': Flags.integer({description: 'Input window of the neural model in steps (default: one week when it fits).', min: 2, max: 100_000}),
  hybrid: Flags.boolean({description: 'The network corrects ETS\'s forecast (ES-RNN-style; the default); --no-hybrid: the network forecasts alone.', allowNo: true}),
}

export function neuralOptions(f: {'max-steps'?: number; 'hidden-units'?: number; 'batch-size'?: number; members?: number; 'input-size'?: number; hybrid?: boolean}): NeuralOptions | undefined {
  const o: NeuralOptions = {}
  if (f.members !== undefined) o.members = f.members
  if (f['input-size'] !== undefined) o.inputSize = f['input-size']
  if (f.hybrid !== undefined) o.hybrid = f.hybrid
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
