/**
 * The offered GPUs rebuilt at another weight precision (`compare.precision`): each offer's GPU and
 * TP with the request's engine at that precision, from the catalog's profiles. A GPU whose hardware
 * or engine cannot serve it (fp8 on Ampere, say) is excluded with the catalog's reason.
 */
import {buildProfile, type Catalog} from '../fleet/profiles/index.js'
import {FleetcapError} from '../errors.js'
import type {Offer} from './candidates.js'
import type {Precision, ResolvedRequest} from './spec.js'

export interface PrecisionOffers {
  precision: Precision
  offers: Offer[]
  /** Offered GPUs that cannot serve at this precision, with why. */
  excluded: Array<{gpu: string; reason: string}>
}

export function offersAtPrecision(offers: readonly Offer[], precision: Precision, request: Pick<ResolvedRequest, 'model' | 'engine'>, catalog: Catalog): PrecisionOffers {
  const out: Offer[] = []
  const excluded = new Map<string, string>()
  for (const o of offers) {
    try {
      const profile = buildProfile({model: request.model, gpu: o.gpu, tensorParallel: o.profile.tensorParallel, engine: request.engine, precision, pricePerGpuHourUsd: o.profile.pricePerHourUsd / o.profile.gpusPerReplica, catalog})
      out.push({...o, profile})
    } catch (error) {
      if (!(error instanceof FleetcapError)) throw error
      if (!excluded.has(o.gpu)) excluded.set(o.gpu, error.message)
    }
  }
  // A GPU excluded at one TP but served at another is not excluded.
  for (const gpu of new Set(out.map((o) => o.gpu))) excluded.delete(gpu)
  return {precision, offers: out, excluded: [...excluded].map(([gpu, reason]) => ({gpu, reason}))}
}

/** One line for a precision no offered GPU serves. */
export function noOffersNote(po: PrecisionOffers): string {
  return `none of the offered GPUs serves ${po.precision}: ${po.excluded.map((x) => `${x.gpu} (${x.reason})`).join('; ')}`
}
