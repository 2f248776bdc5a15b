/**
 * Which offered GPUs can serve the model at a precision. The catalog on this branch has one
 * precision (16-bit weights and KV, BF16/FP16 tensor-core peaks: models/llms.yaml bytesPerParam 2,
 * models/gpus.yaml denseBf16Tflops), so fp16/bf16 are served everywhere and anything else nowhere,
 * with the reason said. When the catalog gains a precision dimension, this is the one place that
 * reads it (and buildOffers passes the precision to the profile).
 */
import type {Catalog} from '../fleet/profiles/index.js'
import type {Offer} from './candidates.js'
import type {Precision} from './spec.js'

export interface PrecisionOffers {
  precision: Precision
  offers: Offer[]
  /** Offered GPUs that cannot serve at this precision, with why. */
  excluded: Array<{gpu: string; reason: string}>
}

export function offersAtPrecision(offers: readonly Offer[], precision: Precision, catalog: Catalog): PrecisionOffers {
  void catalog
  if (precision === 'fp16' || precision === 'bf16') return {precision, offers: [...offers], excluded: []}
  const gpus = [...new Set(offers.map((o) => o.gpu))]
  return {precision, offers: [], excluded: gpus.map((gpu) => ({gpu, reason: `no ${precision} serving profile for ${gpu}`}))}
}

/** One line for a precision no offered GPU serves. */
export function noOffersNote(po: PrecisionOffers): string {
  return `none of the offered GPUs (${po.excluded.map((x) => x.gpu).join(', ')}) has a ${po.precision} serving profile in this catalog (16-bit weights and BF16/FP16 peaks only)`
}
