import {describe, expect, it} from 'vitest'

import {ForecastBacktestResultSchema, ForecastRunResultSchema} from '../../src/forecast/result-schema.js'
import {dataPath} from '../helpers/cli.js'
import {checkResultSchemas, type CommandResult, compileResultSchema} from '../helpers/result-schemas.js'
import {runCommand} from '../helpers/run-command.js'

/**
 * forecast run and forecast backtest: their --json results against the JSON Schemas in schemas/
 * (generated from src/forecast/result-schema.ts). Real in-process runs on the vendored data, with the
 * classical models only (training the network is slow; its fields are in the schema all the same).
 */
const taxi = dataPath('traces', 'nab_nyc_taxi_30min.csv')
const m4 = dataPath('traces', 'm4_hourly_train.csv')

const RESULTS: CommandResult[] = [
  {
    command: 'forecast run',
    schema: ForecastRunResultSchema,
    runs: [
      // One series: the forecast and its input; auto by validation windows, and auto by calibration.
      ['forecast', 'run', '--series', taxi, '--model', 'ets', '--horizon', '1d', '--json'],
      ['forecast', 'run', '--series', taxi, '--model', 'auto', '--candidates', 'seasonal-naive,ets', '--horizon', '12', '--json'],
      ['forecast', 'run', '--series', taxi, '--model', 'auto', '--auto-method', 'calibration', '--candidates', 'seasonal-naive,ets', '--horizon', '6h', '--quantiles', '0.1,0.5,0.95', '--json'],
      // Many series: {forecasts}.
      ['forecast', 'run', '--wide', m4, '--limit', '3', '--model', 'seasonal-naive', '--horizon', '48', '--json'],
    ],
  },
  {
    command: 'forecast backtest',
    schema: ForecastBacktestResultSchema,
    runs: [
      ['forecast', 'backtest', '--wide', m4, '--limit', '3', '--models', 'seasonal-naive,ets,auto', '--candidates', 'seasonal-naive,ets', '--json'],
      ['forecast', 'backtest', '--series', taxi, '--holdout', '1d', '--origins', '2', '--models', 'seasonal-naive,linear', '--seasonality', '1d', '--json'],
    ],
  },
]

describe('forecast: typed --json results', () => {
  checkResultSchemas(RESULTS)

  it('a result that breaks the schema is refused (the check can fail)', async () => {
    const run = compileResultSchema('forecast run')
    const one = JSON.parse((await runCommand(['forecast', 'run', '--series', taxi, '--model', 'seasonal-naive', '--horizon', '4', '--json'])).stdout) as Record<string, unknown>
    expect(run(one), JSON.stringify(run.errors)).toBe(true)
    expect(run({...one, model: 'auto'})).toBe(false)
    expect(run({...one, surprise: 1})).toBe(false)
    expect(run({forecasts: [one]})).toBe(false)
    const bt = compileResultSchema('forecast backtest')
    expect(bt({series: 1, holdout: 48, origins: 1, scores: [], perSeries: [], best: 'prophet'})).toBe(false)
  })
})
