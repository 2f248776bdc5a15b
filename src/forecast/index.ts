/**
 * The forecasting library: what `fleetcap forecast` and `plan` use.
 *
 *   const {series, warnings} = await loadSeriesCsv('load.csv', {gaps: 'fill'})
 *   const f = await forecast(series, {model: 'auto', horizon: 96, quantiles: [0.5, 0.9, 0.99]})
 *   f.quantiles.p90 // one value per step; f.timestamps, f.model, f.warnings
 *
 * The neural model needs `initBackend()` first (the entry point chooses the TensorFlow.js backend).
 */
export * from './types.js'
export {backtest, BACKTEST_LEVELS, type BacktestOptions, type BacktestResult, type BacktestWindow, type ModelScore, type SeriesScore} from './backtest.js'
export {loadMany, type ManyFlags} from './batch-io.js'
export {BACKENDS, backendReport, initBackend, type BackendChoice, type BackendReport} from './backend.js'
export {forecast, train, trainMany, type Trained, type TrainedMany} from './forecast.js'
export {loadSeries, loadSeriesCsv, loadSeriesPrometheus, readM4, type SeriesInput} from './io.js'
export {coverageCounts, mase, maseScale, pinball, smape} from './metrics.js'
export {rateSeries} from './rate.js'
export {loadModel, saveModel, type LoadedModel, type ModelMetadata} from './persist.js'
export {cleanObservations, defaultSeasonalities, isoTime, parseMask, parseTimestamp, type CleanOptions, type Cleaned, type Observation} from './series.js'
