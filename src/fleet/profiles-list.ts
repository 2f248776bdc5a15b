import {z} from 'zod'

import {getGpu, getModel, listServingProfiles, loadCatalog} from './profiles/index.js'

/**
 * `fleetcap profiles list`: the GPU profiles and serving profiles of models/, filtered, as the
 * --json result (its JSON Schema is schemas/profiles-list.result.schema.json) and as two tables.
 */

export const ProfilesListResultSchema = z.strictObject({
  gpus: z.array(
    z.strictObject({
      name: z.string(),
      aliases: z.array(z.string()),
      memoryGiB: z.number(),
      hbmBandwidthGBs: z.number(),
      denseBf16Tflops: z.number(),
      powerW: z.number(),
      pricePerHourUsd: z.number(),
    }),
  ),
  profiles: z.array(
    z.strictObject({
      id: z.string(),
      status: z.string(),
      /** Step-time multipliers at the band's edges, `fast-slow`. */
      band: z.string(),
      tensorParallel: z.number().int(),
      kvCacheTokens: z.number(),
      maxBatchSeqs: z.number(),
      /** One 2048-token prompt. */
      prefillTokensPerS: z.number(),
      /** At 1024 tokens of context per sequence. */
      decodeStepMsBatch1: z.number(),
      decodeStepMsBatch32: z.number(),
      coldStartS: z.number(),
      pricePerHourUsd: z.number(),
    }),
  ),
})
export type ProfilesListResult = z.output<typeof ProfilesListResultSchema>

export interface ProfilesListFilter {
  /** GPU name or alias. */
  gpu?: string
  model?: string
  engine?: string
  precision?: string
}

export function listProfiles(filter: ProfilesListFilter = {}): ProfilesListResult {
  const catalog = loadCatalog()
  const gpu = filter.gpu === undefined ? undefined : getGpu(filter.gpu, catalog).name
  const model = filter.model === undefined ? undefined : getModel(filter.model, catalog).name
  const gpus = catalog.gpus
    .filter((g) => gpu === undefined || g.name === gpu)
    .map((g) => ({
      name: g.name,
      aliases: g.aliases,
      memoryGiB: g.memoryGiB.value,
      hbmBandwidthGBs: g.hbmBandwidthGBs.value,
      denseBf16Tflops: g.denseBf16Tflops.value,
      powerW: g.powerW.value,
      pricePerHourUsd: g.pricePerHourUsd.value,
    }))
  const profiles = listServingProfiles(catalog, {engine: filter.engine, precision: filter.precision})
    .filter((p) => (gpu === undefined || p.gpu === gpu) && (model === undefined || p.model === model))
    .map((p) => ({
      id: p.id,
      status: p.status,
      band: `${p.band.fast}-${p.band.slow}`,
      tensorParallel: p.tensorParallel,
      kvCacheTokens: p.kvCacheTokens,
      maxBatchSeqs: p.maxBatchSeqs,
      prefillTokensPerS: Math.round(2048 / p.prefillTimeS(2048)),
      decodeStepMsBatch1: round(p.stepTimeS(0, 1, 1024) * 1000),
      decodeStepMsBatch32: round(p.stepTimeS(0, 32, 32 * 1024) * 1000),
      coldStartS: Math.round(p.coldStartS),
      pricePerHourUsd: round(p.pricePerHourUsd),
    }))
  return {gpus, profiles}
}

/** The two tables the command prints, one line each. */
export function renderProfilesList({gpus, profiles}: ProfilesListResult): string[] {
  return [
    'GPUs',
    table(
      ['GPU', 'aliases', 'GiB', 'HBM GB/s', 'BF16 TFLOPS', 'W', '$/h'],
      gpus.map((g) => [g.name, g.aliases.join(','), g.memoryGiB, g.hbmBandwidthGBs, g.denseBf16Tflops, g.powerW, g.pricePerHourUsd]),
    ),
    '',
    'Serving profiles',
    table(
      ['profile', 'TP', 'KV tokens', 'max batch', 'prefill tok/s', 'decode ms b1', 'decode ms b32', 'cold start s', '$/h', 'status', 'band'],
      profiles.map((p) => [
        p.id,
        p.tensorParallel,
        p.kvCacheTokens,
        p.maxBatchSeqs,
        p.prefillTokensPerS,
        p.decodeStepMsBatch1,
        p.decodeStepMsBatch32,
        p.coldStartS,
        p.pricePerHourUsd,
        p.status,
        p.band,
      ]),
    ),
  ]
}

const round = (x: number): number => Math.round(x * 100) / 100

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const width = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  return cells
    .map((r) =>
      r
        .map((c, i) => (typeof rows[0]?.[i] === 'number' ? c.padStart(width[i]) : c.padEnd(width[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
