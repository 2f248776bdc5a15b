import {Flags} from '@oclif/core'

import {type BackendChoice, type BackendReport, initBackend, type NeuralOptions} from './index.js'

/** Flags of the neural model shared by `forecast run` and `forecast backtest`. */
export const neuralFlags = {
  'max-steps': Flags.integer({description: 'Most training steps (batches) of the neural model; early stopping usually ends sooner.', min: 1, max: 1_000_000}),
  'hidden-units': Flags.integer({description: 'Width of the neural model\'s layers.', min: 4, max: 4096}),
  'batch-size': Flags.integer({description: 'Windows per training step of the neural model.', min: 1, max: 65_536}),
}

export function neuralOptions(f: {'max-steps'?: number; 'hidden-units'?: number; 'batch-size'?: number}): NeuralOptions | undefined {
  const o: NeuralOptions = {}
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
