import {describe, expect, it} from 'vitest'

import {loadCatalog} from '../../src/fleet/profiles/index.js'
import {makePlan} from '../../src/planner/plan.js'
import {planManifests} from '../../src/planner/render.js'
import {parsePlanSpec, resolveRequest} from '../../src/planner/spec.js'
import {createExecutor} from '../../src/planner/executor.js'
import {simulateCandidate} from '../../src/planner/verify.js'

const catalog = loadCatalog()

/** The seeds' agent workload at 50,000 tasks a day with a TTFT p95 of 1 s, where prefill time decides the fleet. */
const spec = (prefixCache: boolean): string => `
apiVersion: fleetcap.dev/v1
kind: PlanRequest
name: agents
model: llama-3.1-70b
phases: [{name: peak, tasksPerDay: 50000}]
slo: {ttftP95S: 1, errorRateMax: 0.001}
gpus: [{gpu: A100-80GB}, {gpu: H100-SXM}]
seeds: 2
routing: {policy: ${prefixCache ? 'prefix-affinity' : 'least-outstanding'}}
prefixCache: ${prefixCache}
`

describe('planning with prefix caching', () => {
  it('counts the prefill the cache saves, picks a cheaper fleet that passes, and starts vLLM with caching on', async () => {
    const plain = await makePlan(resolveRequest(parsePlanSpec(spec(false)), '.'), {catalog})
    const cached = await makePlan(resolveRequest(parsePlanSpec(spec(true)), '.'), {catalog})
    const a = plain.phases[0].search.chosen
    const b = cached.phases[0].search.chosen
    expect(a?.verdict.status).toBe('passed')
    expect(b?.verdict.status).toBe('passed')
    // Carried context is most of an agent call's prompt: with it cached, the same SLO needs less.
    expect(b!.candidate.costPerHourUsd).toBeLessThan(a!.candidate.costPerHourUsd)
    expect(cached.phases[0].load.stats.meanPrefixHitTokens).toBeGreaterThan(0.5 * cached.phases[0].load.stats.meanInputTokens)
    expect(plain.phases[0].load.stats.meanPrefixHitTokens).toBe(0)
    // The cheaper fleet does not pass without the cache: simulated again with it off, it misses the TTFT SLO.
    const ctx = {request: plain.request, load: plain.phases[0].load, catalog, executor: createExecutor(0), counter: {simulations: 0, simulatedS: 0}}
    const without = await simulateCandidate(b!.candidate, plain.seeds[0], ctx)
    expect(without.pass).toBe(false)
    expect(without.misses.join(' ')).toMatch(/TTFT/i)
    const deployments = (m: ReturnType<typeof planManifests>) => Object.values(m).flat().filter((o) => o.kind === 'Deployment')
    for (const d of deployments(planManifests(cached, catalog))) expect(JSON.stringify(d)).toContain('"--enable-prefix-caching"')
    for (const d of deployments(planManifests(plain, catalog))) expect(JSON.stringify(d)).not.toContain('prefix-caching')
  }, 120_000)
})
