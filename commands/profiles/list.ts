import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {getGpu, getModel, listServingProfiles, loadCatalog} from '../../src/fleet/profiles/index.js'

export interface ProfilesListResult {
  gpus: {name: string; aliases: string[]; memoryGiB: number; hbmBandwidthGBs: number; denseBf16Tflops: number; powerW: number; pricePerHourUsd: number}[]
  profiles: {
    id: string
    status: string
    band: string
    tensorParallel: number
    kvCacheTokens: number
    maxBatchSeqs: number
    prefillTokensPerS: number
    decodeStepMsBatch1: number
    decodeStepMsBatch32: number
    coldStartS: number
    pricePerHourUsd: number
  }[]
}

export default class ProfilesList extends FleetcapCommand<typeof ProfilesList> {
  static override description = `List the GPU profiles and the serving profiles shipped in models/.

Prefill tok/s is one 2048-token prompt; decode steps are at 1024 tokens of context per sequence.
Status: measured, transferred or roofline (what stands behind the profile); band: step-time
multipliers at the edges of its uncertainty (fast-slow).
Exit codes: 0 ok, 2 unknown --gpu/--model or a broken models/*.yaml.`

  static override examples = [
    '<%= config.bin %> profiles list',
    '<%= config.bin %> profiles list --gpu a100 --json',
    '<%= config.bin %> profiles list --model llama-3.1-70b',
  ]

  static override flags = {
    gpu: Flags.string({description: 'Only serving profiles on this GPU (name or alias).'}),
    model: Flags.string({description: 'Only serving profiles of this model.'}),
    engine: Flags.string({description: 'Serving engine of the listed profiles: vllm (default), tensorrt-llm, vllm-splitwise-2023.'}),
    precision: Flags.string({description: 'Weights[/KV cache] precision of the listed profiles: fp16 (default), fp8, int8, int4, fp4; e.g. fp8/fp8.'}),
  }

  public async run(): Promise<ProfilesListResult> {
    const catalog = loadCatalog()
    const gpu = this.flags.gpu === undefined ? undefined : getGpu(this.flags.gpu, catalog).name
    const model = this.flags.model === undefined ? undefined : getModel(this.flags.model, catalog).name
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
    const profiles = listServingProfiles(catalog, {engine: this.flags.engine, precision: this.flags.precision})
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
    this.say('GPUs')
    this.say(table(['GPU', 'aliases', 'GiB', 'HBM GB/s', 'BF16 TFLOPS', 'W', '$/h'], gpus.map((g) => [g.name, g.aliases.join(','), g.memoryGiB, g.hbmBandwidthGBs, g.denseBf16Tflops, g.powerW, g.pricePerHourUsd])))
    this.say('')
    this.say('Serving profiles')
    this.say(
      table(
        ['profile', 'TP', 'KV tokens', 'max batch', 'prefill tok/s', 'decode ms b1', 'decode ms b32', 'cold start s', '$/h', 'status', 'band'],
        profiles.map((p) => [p.id, p.tensorParallel, p.kvCacheTokens, p.maxBatchSeqs, p.prefillTokensPerS, p.decodeStepMsBatch1, p.decodeStepMsBatch32, p.coldStartS, p.pricePerHourUsd, p.status, p.band]),
      ),
    )
    return {gpus, profiles}
  }
}

const round = (x: number): number => Math.round(x * 100) / 100

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const width = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  return cells.map((r) => r.map((c, i) => (typeof rows[0]?.[i] === 'number' ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd()).join('\n')
}
