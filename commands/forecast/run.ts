import {FleetcapCommand} from '../../src/cli/base-command.js'
import {forecastRunFlags} from '../../src/forecast/cli-flags.js'
import {runForecastCommand, type ForecastRunResult} from '../../src/forecast/run-command.js'

export default class ForecastRun extends FleetcapCommand<typeof ForecastRun> {
  static override description = `Forecast load with quantiles (P50/P90/P99 by default) for every step of the horizon, for one series or many in one process.

Input: a timestamp,value CSV (--series FILE), a long CSV series_id,timestamp,value (--series FILE), a directory of CSVs (--series DIR), a wide file in the M4 layout (--wide), a task trace aggregated to a rate (--trace, --step), or a Prometheus range query (one or many series; --prometheus, --query, --since, --step). Gaps, NaN, duplicates and negative values follow --gaps (refuse by default); known anomalies can be masked (--mask, repeatable). --model auto picks one model for the call by rolling-origin validation among --candidates (nbeats among them only if it beats ets there). Every forecast names the model that produced it; a model that cannot run is an error, never a silent substitute.

Exit codes: 0 ok, 2 bad input (file, flag, too-short history, a model that cannot run), 4 Prometheus unreachable, 1 internal error.`

  static override examples = [
    '<%= config.bin %> forecast run --series data/traces/nab_nyc_taxi_30min.csv --horizon 2d --out forecast.csv',
    '<%= config.bin %> forecast run --series load.csv --model ets --quantiles 0.5,0.9,0.99 --gaps fill --json',
    '<%= config.bin %> forecast run --wide data/traces/m4_hourly_train.csv --horizon 48 --model nbeats --backend wasm --out m4-forecasts',
    '<%= config.bin %> forecast run --prometheus http://127.0.0.1:9090 --query "sum by (model) (rate(requests_total[5m]))" --since 28d --step 5m --horizon 1d --out forecasts',
  ]

  static override flags = forecastRunFlags

  public async run(): Promise<ForecastRunResult> {
    return runForecastCommand(this.flags, {say: (line) => this.say(line), note: (line) => this.note(line), json: this.jsonEnabled()})
  }
}
