/**
 * `simulate` with an uncertainty band: the scenario run at the serving profiles' nominal step times,
 * then again (same seed, same arrivals) with every LLM pool's step times at its band's fast edge and
 * at its slow edge. The band is what those two runs report, not an interpolation.
 */
import {InputError} from '../errors.js'
import {loadCatalog} from '../fleet/profiles/catalog.js'
import {scaleStepTimes} from '../fleet/step-scale.js'
import type {ServingProfile} from '../fleet/types.js'
import {type PoolBand, reportBand} from '../report/band.js'
import type {LlmPoolSpec, Scenario} from '../scenario/schema.js'
import {catalogResolver, type SimulateOptions} from '../sim/simulate.js'
import {simulate, type SimulationResult} from './simulate.js'

export type BandMode = 'none' | 'edges'

/** Which edge every LLM pool's step times are taken at. */
export type BandEdge = 'fast' | 'slow'

/** A resolver whose profiles run at one edge of their band. */
export function atBandEdge(resolve: (p: LlmPoolSpec) => ServingProfile, edge: BandEdge): (p: LlmPoolSpec) => ServingProfile {
  return (p) => {
    const profile = resolve(p)
    return scaleStepTimes(profile, profile.band[edge])
  }
}

/**
 * Simulate, and with `band: 'edges'` twice more at the band's edges; the nominal run's report
 * carries the band (`report.band`). Progress spans the three runs.
 */
export async function simulateWithBand(scenario: Scenario, options: SimulateOptions & {band?: BandMode} = {}): Promise<SimulationResult> {
  const mode = options.band ?? 'edges'
  const llmPools = scenario.fleet.pools.filter((p): p is LlmPoolSpec => p.kind !== 'generic')
  const runs = mode === 'edges' && llmPools.length > 0 ? 3 : 1
  if (runs > 1 && options.tasks !== undefined) {
    throw new InputError({field: 'band'}, 'band edges re-run the workload: pass a scenario workload or trace, not a task stream (or band: none)')
  }
  const progress = options.onProgress
  const part = (i: number) => (progress ? (f: number) => progress((i + f) / runs) : undefined)
  const resolve = options.resolveProfile ?? catalogResolver(options.catalog ?? loadCatalog())
  const nominal = await simulate(scenario, {...options, resolveProfile: resolve, onProgress: part(0)})
  if (runs === 1) return nominal
  // The edges give the band's figures only: their chart data would be dropped, so none is collected.
  const fast = await simulate(scenario, {...options, chartData: false, resolveProfile: atBandEdge(resolve, 'fast'), onProgress: part(1)})
  const slow = await simulate(scenario, {...options, chartData: false, resolveProfile: atBandEdge(resolve, 'slow'), onProgress: part(2)})
  const pools: PoolBand[] = llmPools.map((p) => {
    const profile = resolve(p)
    return {
      pool: p.name,
      profile: profile.id,
      status: profile.status,
      statusBasis: profile.statusBasis,
      fast: profile.band.fast,
      slow: profile.band.slow,
      coverage: profile.band.coverage,
      basis: profile.band.basis,
    }
  })
  nominal.report.band = reportBand(nominal.report, fast.report, slow.report, pools)
  return nominal
}
