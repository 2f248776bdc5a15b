import {UnknownNameError} from '../../errors.js'
import {MODEL_NAMES, type ModelName} from '../types.js'
import {ets} from './ets.js'
import {linear} from './linear.js'
import type {ModelSpec} from './model.js'
import {seasonalNaive} from './seasonal-naive.js'

/** The model by name; the neural one loads TensorFlow.js only when asked for. */
export async function getModel(name: string): Promise<ModelSpec> {
  switch (name) {
    case 'seasonal-naive':
      return seasonalNaive
    case 'ets':
      return ets
    case 'linear':
      return linear
    case 'nbeats':
      return (await import('./nbeats.js')).nbeats
    case 'ets-nbeats':
      return (await import('../combination.js')).etsNbeats
    default:
      throw new UnknownNameError('forecast model', name, [...MODEL_NAMES, 'auto'], {field: '--model'})
  }
}

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name)
}
