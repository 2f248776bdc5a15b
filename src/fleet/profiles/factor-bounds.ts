/**
 * The roofline factors as the public-data fit searches them: unbounded parameters squashed into
 * physical bounds, and the start point. Apart from the fit (public-fit.ts) so that resolving a
 * profile's factors does not load the fitting code.
 */
import type {CostFactors} from './schema.js'

const logistic = (x: number): number => 1 / (1 + Math.exp(-x))
const logit = (p: number): number => Math.log(p / (1 - p))

/**
 * Parameters within physical bounds: efficiencies between a floor and 1, overheads between 0 and a
 * cap. Unbounded, a group with few TP > 1 rows drove commEff to 1e-9 and a prefill overhead to
 * 0.4 s, which fit its rows and predicted nothing else.
 */
const BOUNDS: [number, number][] = [
  [0.1, 1], // computeEff (= attentionEff)
  [0.3, 1], // memEff
  [0.05, 1], // commEff
  [0, 0.05], // stepOverheadS
  [0, 0.002], // seqOverheadS
  [0, 0.05], // prefillOverheadS
  [0, 0.0005], // allReduceLatencyS
]
const squash = (x: readonly number[]): number[] => x.map((v, i) => BOUNDS[i][0] + (BOUNDS[i][1] - BOUNDS[i][0]) * logistic(v))

export function boundedFactors(x: readonly number[], combine: CostFactors['combine']): CostFactors {
  const [c, m, k, step, seq, pre, ar] = squash(x)
  return {computeEff: c, attentionEff: c, memEff: m, commEff: k, stepOverheadS: step, seqOverheadS: seq, prefillOverheadS: pre, allReduceLatencyS: ar, combine}
}

/** Start: the reference's 0.65 compute and 0.69 HBM efficiency, BLIS-like overheads. */
const START_VALUES = [0.65, 0.69, 0.5, 2e-3, 2e-5, 2e-3, 2e-5]
export const START = START_VALUES.map((v, i) => logit((v - BOUNDS[i][0]) / (BOUNDS[i][1] - BOUNDS[i][0])))
