import type {Fitted, FitContext, ModelSpec} from './models/model.js'

/**
 * `ets-nbeats`: the equal-weight combination of ETS and the global network, the oldest reliable gain
 * in forecasting (Bates & Granger, 1969; on M4 most of the top entries were combinations). Its point
 * forecast is the mean of the two point forecasts; its quantiles are the means of the two models'
 * quantiles level by level (quantile averaging: each model's intervals stay as they were calibrated,
 * ETS's by rolling origins, the network's split-conformally on windows it never trained on). It needs
 * the network trained for the call (`ctx.global`), like `nbeats`, and `auto` may pick it only when it
 * beats ETS on held-out windows.
 */

/** The mean of two forecasts, step by step. */
export function meanOf(a: Float64Array, b: Float64Array): Float64Array {
  return Float64Array.from(a, (v, i) => (v + b[i]) / 2)
}

/** The combination as one fitted model over the two fitted parts. */
export function combinedFitted(etsFit: Fitted, netFit: Fitted): Fitted {
  return {
    model: 'ets-nbeats',
    params: {...Object.fromEntries(Object.entries(netFit.params).map(([k, v]) => [`nbeats.${k}`, v])), ...Object.fromEntries(Object.entries(etsFit.params).map(([k, v]) => [`ets.${k}`, v])), weights: 'ets 0.5, nbeats 0.5'},
    minOrigin: Math.max(etsFit.minOrigin, netFit.minOrigin),
    calibrationStride: Math.max(etsFit.calibrationStride, netFit.calibrationStride),
    point: (horizon) => meanOf(etsFit.point(horizon), netFit.point(horizon)),
    forecastFrom: (origin, horizon) => meanOf(etsFit.forecastFrom(origin, horizon), netFit.forecastFrom(origin, horizon)),
    global: netFit.global,
    saveArtifacts: netFit.saveArtifacts ? async () => netFit.saveArtifacts!() : undefined,
  }
}

export const etsNbeats: ModelSpec = {
  name: 'ets-nbeats',
  async fit(values: Float64Array, ctx: FitContext): Promise<Fitted> {
    const {ets} = await import('./models/ets.js')
    const {nbeats} = await import('./models/nbeats.js')
    return combinedFitted(await ets.fit(values, ctx), await nbeats.fit(values, ctx))
  },
}
