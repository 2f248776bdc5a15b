import {mase, maseScale} from './metrics.js'
import type {GlobalModel} from './models/global.js'
import {getModel} from './models/index.js'
import type {FitContext} from './models/model.js'
import type {ModelName} from './types.js'

/** One series as `auto` sees it: its history and seasonalities. */
export interface SelectionItem {
  values: Float64Array
  imputed?: Uint8Array
  seasonalities: readonly number[]
}

export interface Selection {
  model: ModelName
  /** Mean validation MASE per candidate (Infinity: could not be scored). */
  scores: Record<string, number>
  /** Validation windows scored per candidate (the same for every candidate). */
  windows: number
  /** Why a candidate was not eligible (the neural model not beating ETS). */
  notes: string[]
}

/**
 * `auto`, by rolling-origin validation across every series of one call: each candidate forecasts the
 * last `origins` windows of `horizon` steps of each series, refitted on the data before each window
 * (the neural model uses the network trained for this call, and only on windows it never trained on);
 * the candidate with the lowest mean MASE forecasts every series. The neural model is eligible only
 * when it beats ETS on those same windows. One pick for the whole call, because a pick per series
 * from three windows is noise: on M4 hourly it scored MASE 0.943 against ETS's 0.868.
 */
export async function selectAcross(items: readonly SelectionItem[], candidates: readonly ModelName[], base: Pick<FitContext, 'horizon' | 'seed' | 'neural'> & {global?: GlobalModel}, origins: number): Promise<Selection> {
  const H = base.horizon
  const wanted = candidates.includes('nbeats') && !candidates.includes('ets') ? [...candidates, 'ets' as const] : [...candidates]
  // Windows: ends n − k·H, long enough for two primary seasons, and (with a network) held out of its training.
  const windows = items.map((it, i) => {
    const n = it.values.length
    const m = it.seasonalities[0] ?? 1
    const ends: number[] = []
    for (let k = 1; k <= origins; k++) {
      const end = n - k * H
      if (end < Math.max(2 * m, 16)) continue
      if (base.global && wanted.includes('nbeats') && end < (base.global.heldOutFrom[i] ?? Number.POSITIVE_INFINITY)) continue
      ends.push(end)
    }
    return ends
  })
  const count = windows.reduce((a, w) => a + w.length, 0)
  const notes: string[] = []
  if (count === 0) {
    notes.push(`auto: no history long enough for a validation window of ${H} steps; using ets`)
    return {model: 'ets', scores: {}, windows: 0, notes}
  }
  const scores: Record<string, number> = {}
  for (const model of wanted) {
    let sum = 0
    let scored = 0
    if (model === 'nbeats') {
      if (!base.global) throw new Error('auto with the neural model needs the network trained first')
      const {fitBaseline} = await import('./models/nbeats.js')
      const flat: {values: Float64Array; origin: number; i: number; base?: Float64Array}[] = []
      for (let i = 0; i < items.length; i++) {
        const it = items[i]
        if (windows[i].length === 0) continue
        // The hybrid's baseline: ETS fitted to this history, run forward to each window (as in training).
        const b = base.global.cfg.baseline === 'ets' ? await fitBaseline(it.values, {seasonalities: it.seasonalities, horizon: H, seed: base.seed, warnings: [], imputed: it.imputed}) : undefined
        for (const end of windows[i]) flat.push({values: it.values, origin: end, i, base: b?.forecastFrom(end, H)})
      }
      const preds = base.global.pointBatch(flat)
      flat.forEach((w, j) => {
        const it = items[w.i]
        const s = mase(it.values.subarray(w.origin, w.origin + H), preds[j], maseScale(it.values.subarray(0, w.origin), it.seasonalities[0] ?? 1), it.imputed?.subarray(w.origin, w.origin + H))
        if (!Number.isNaN(s)) {
          sum += s
          scored++
        }
      })
    } else {
      const spec = await getModel(model)
      for (let i = 0; i < items.length; i++) {
        const it = items[i]
        for (const end of windows[i]) {
          const train = it.values.subarray(0, end)
          const ctx: FitContext = {seasonalities: it.seasonalities, horizon: H, seed: base.seed, warnings: [], neural: base.neural, imputed: it.imputed?.subarray(0, end)}
          const f = (await spec.fit(train, ctx)).point(H)
          const s = mase(it.values.subarray(end, end + H), f, maseScale(train, it.seasonalities[0] ?? 1), it.imputed?.subarray(end, end + H))
          if (Number.isNaN(s)) continue
          sum += s
          scored++
        }
      }
    }
    scores[model] = scored > 0 ? Number((sum / scored).toPrecision(6)) : Number.POSITIVE_INFINITY
  }
  let best: ModelName | undefined
  for (const model of wanted) {
    if (!candidates.includes(model)) continue
    if (model === 'nbeats' && !(scores.nbeats < scores.ets)) {
      notes.push(`auto: nbeats not eligible: validation MASE ${scores.nbeats} does not beat ets ${scores.ets}`)
      continue
    }
    if (best === undefined || scores[model] < scores[best]) best = model
  }
  if (best === undefined || !Number.isFinite(scores[best])) {
    notes.push('auto: no validation window could be scored (all masked or imputed); using ets')
    return {model: 'ets', scores, windows: count, notes}
  }
  return {model: best, scores, windows: count, notes}
}
