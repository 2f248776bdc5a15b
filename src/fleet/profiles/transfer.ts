/**
 * Which fit stands behind a (GPU, engine, precision) that has none of its own: the same engine and
 * precision on the nearest GPU (same architecture generation first), then the same GPU and engine at
 * another precision, then a neighbour at another precision, then the best-measured GPU of the engine. The order is a
 * judgement, stated here once; its cost is measured by leave-one-GPU-out (docs/profiles.md).
 */
import type {Engine, KvPrecision, WeightPrecision} from './precision.js'

/** The calibration group of a row: GPU, engine and precision ("H100-SXM tensorrt-llm fp8/fp8"). */
export const groupKey = (r: {gpu: string; engine: string; weights: string; kv: string}): string => `${r.gpu} ${r.engine} ${r.kv === 'fp16' ? r.weights : `${r.weights}/${r.kv}`}`

/** Nearest GPUs first: same generation and memory type, then the neighbouring generation. */
export const GPU_NEIGHBOURS: Record<string, string[]> = {
  'V100-32GB': ['A100-40GB', 'A100-80GB'],
  'A100-40GB': ['A100-80GB', 'A40'],
  'A100-80GB': ['A100-40GB', 'A40'],
  A40: ['A100-40GB', 'A100-80GB', 'L40S'],
  L4: ['L40S', 'A40'],
  L40S: ['L4', 'A40', 'A100-80GB'],
  'H100-SXM': ['H200', 'GH200', 'H100-PCIe'],
  'H100-PCIe': ['H100-SXM', 'H200', 'GH200'],
  H200: ['H100-SXM', 'GH200'],
  GH200: ['H100-SXM', 'H200'],
  B200: ['H200', 'H100-SXM', 'GH200'],
}

export interface FitKey {
  gpu: string
  engine: string
  weights: string
  kv: string
  fitRows: number
}

/** 16-bit first: the best-measured precision; then the rest in a fixed order. */
const PRECISION_ORDER: WeightPrecision[] = ['fp16', 'fp8', 'int8', 'fp4', 'int4']

/**
 * The fit to carry to (gpu, engine, weights, kv), or undefined when the engine has no fit at all.
 * `excludeGpu` pretends a GPU was never measured (leave-one-GPU-out).
 */
export function transferSource<F extends FitKey>(fits: readonly F[], gpu: string, engine: Engine, weights: WeightPrecision, kv: KvPrecision, excludeGpu?: string): F | undefined {
  const usable = fits.filter((f) => f.engine === engine && f.gpu !== excludeGpu && !(f.gpu === gpu && f.weights === weights && f.kv === kv))
  // Within one GPU: the same weights at another KV dtype, then other weights (same KV first).
  const onGpu = (g: string): F | undefined => {
    const here = usable.filter((f) => f.gpu === g)
    const rank = (f: F): number => (f.weights === weights ? 0 : 1 + PRECISION_ORDER.indexOf(f.weights as WeightPrecision) * 2 + (f.kv === kv ? 0 : 1))
    return here.sort((a, b) => rank(a) - rank(b))[0]
  }
  const exact = (g: string): F | undefined => usable.find((f) => f.gpu === g && f.weights === weights && f.kv === kv)
  // The same weights and KV on the nearest GPU first: leave-one-GPU-out errors between neighbours
  // (4-9% median) are smaller than those of a fit at another precision, whose overheads were
  // fitted on other batch regimes (e.g. an fp8 fit on offline rows only).
  const near = GPU_NEIGHBOURS[gpu] ?? []
  for (const g of near) {
    const hit = exact(g)
    if (hit) return hit
  }
  const sameGpu = onGpu(gpu)
  if (sameGpu) return sameGpu
  for (const g of near) {
    const hit = onGpu(g)
    if (hit) return hit
  }
  // Any GPU of the engine: the best-measured one, same precision first.
  const ranked = [...usable].sort((a, b) => b.fitRows - a.fitRows)
  return ranked.find((f) => f.weights === weights && f.kv === kv) ?? ranked.find((f) => f.weights === weights) ?? ranked[0]
}
