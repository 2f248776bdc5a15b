import type {FitContext, Fitted, ModelSpec} from './model.js'

/**
 * Seasonal naive: each step repeats the value one season (the primary seasonality) earlier. With
 * less than one full season it is the plain naive forecast (the last value), with a warning.
 */
export const seasonalNaive: ModelSpec = {
  name: 'seasonal-naive',
  async fit(values: Float64Array, ctx: FitContext): Promise<Fitted> {
    let m = ctx.seasonalities[0] ?? 1
    if (values.length < m) {
      ctx.warnings.push(`seasonal-naive: ${values.length} points is less than one season of ${m}; using the last value (naive)`)
      m = 1
    }
    const forecastFrom = (origin: number, horizon: number): Float64Array => {
      const out = new Float64Array(horizon)
      for (let h = 1; h <= horizon; h++) out[h - 1] = values[origin - m + ((h - 1) % m)]
      return out
    }
    return {
      model: 'seasonal-naive',
      params: {season: m},
      minOrigin: m,
      calibrationStride: 1,
      forecastFrom,
      point: (horizon) => forecastFrom(values.length, horizon),
    }
  },
}
