import {FleetcapCommand} from '../../src/cli/base-command.js'
import {forecastBacktestFlags} from '../../src/forecast/cli-flags.js'
import {runBacktestCommand, type ForecastBacktestResult} from '../../src/forecast/backtest-command.js'

export default class ForecastBacktest extends FleetcapCommand<typeof ForecastBacktest> {
  static override description = `Backtest forecasting models on held-out data, many series in one process, and print the scores.

Holds out the end of each series (--holdout, a number of steps or a duration; --origins rolling windows), forecasts it with each model fitted only on the data before, and prints per model MASE, sMAPE, pinball loss, the coverage of the 80% [P10,P90] and 90% [P5,P95] intervals, which model produced the windows, and the best model (lowest MASE). The neural model is trained once across all series, before the oldest window.

Input: a wide file in the M4 layout (--wide or --m4, e.g. data/traces/m4_hourly_train.csv), a CSV, a long CSV series_id,timestamp,value or a directory of CSVs (--series), a trace (--trace), or a Prometheus query (one or many series). --out DIR writes every window's forecast (CSV and JSONL), per-series scores and the totals.

Exit codes: 0 ok, 2 bad input (or a model that cannot run), 4 Prometheus unreachable, 1 internal error.`

  static override examples = [
    '<%= config.bin %> forecast backtest --wide data/traces/m4_hourly_train.csv --holdout 48 --models seasonal-naive,ets,nbeats,auto --candidates ets,nbeats --backend wasm',
    '<%= config.bin %> forecast backtest --series data/traces/nab_nyc_taxi_30min.csv --holdout 1d --origins 28 --models seasonal-naive,ets,linear,auto',
    '<%= config.bin %> forecast backtest --wide data/traces/m4_hourly_train.csv --limit 20 --models ets --out bt-m4 --json',
  ]

  static override flags = forecastBacktestFlags

  public async run(): Promise<ForecastBacktestResult> {
    return runBacktestCommand(this.flags, {say: (line) => this.say(line), note: (line) => this.note(line), json: this.jsonEnabled()})
  }
}
