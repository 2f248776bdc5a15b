/**
 * The per-request join of `fleetcap calibrate` on k6 --out json lines written here (k6's own format,
 * as test/report/calibrate-requests.test.ts gets it from a real run): the stride keeps the same
 * iterations on both sides, failed requests are counted and left out, the order is the schedule's.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {joinRequests, MAX_COMPARED_REQUESTS, type MeasuredRequest, readK6Requests, requestStride, simulateRequests} from '../../src/calibrate/per-request.js'
import {resolveServingProfile} from '../../src/fleet/profiles/catalog.js'
import {constantLoad} from '../../src/k6/load.js'

const point = (metric: string, value: number, id: string | undefined, tags: Record<string, string> = {kind: 'llm'}): string =>
  JSON.stringify({metric, type: 'Point', data: {time: '2026-12-03T12:00:00Z', value, tags, ...(id === undefined ? {} : {metadata: {fleetcap_call: id}})}})

describe('per-request comparison', () => {
  it('keeps every stride-th iteration, counts failures, joins in schedule order', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fleetcap-per-request-')), 'samples.json')
    const lines = [point('http_req_duration', 5, undefined, {kind: 'probe'})]
    for (const i of [3, 0, 2, 1, 4]) {
      const failed = i === 2
      lines.push(point('http_req_duration', 100 + i, `${i}.0`, {kind: 'llm', expected_response: failed ? 'false' : 'true'}))
      if (!failed) lines.push(point('ttft', 10 + i, `${i}.0`))
      lines.push(point('errors', failed ? 1 : 0, `${i}.0`))
    }
    writeFileSync(file, `${lines.join('\n')}\n`)
    const all = await readK6Requests(file, 1)
    expect([...all.keys()].sort()).toEqual(['0.0', '1.0', '2.0', '3.0', '4.0'])
    expect(all.get('3.0')).toEqual({ok: true, latencyMs: 103, ttftMs: 13})
    expect(all.get('2.0')?.ok).toBe(false)
    const even = await readK6Requests(file, 2)
    expect([...even.keys()].sort()).toEqual(['0.0', '2.0', '4.0'])

    const load = constantLoad(1, 5, [[[10, 2, 0]]])
    const twin = new Map([0, 1, 2, 3].map((i) => [`${i}.0`, {issueS: i, ttftMs: 20 + i, e2eMs: 200 + i}]))
    const c = joinRequests(load, 1, all, twin, twin)
    expect(c).toMatchObject({measured: 5, failed: 1, unmatched: 1})
    expect(c.pairs.map((p) => [p.iteration, p.arrivalS])).toEqual([
      [0, 0],
      [1, 1],
      [3, 3],
    ])
    const e2e = c.stats.find((s) => s.metric === 'e2e' && s.series === 'before')!
    expect(e2e.n).toBe(3)
    expect(e2e.rmsLogError).toBeCloseTo(Math.sqrt((Math.log(200 / 100) ** 2 + Math.log(201 / 101) ** 2 + Math.log(203 / 103) ** 2) / 3), 12)
  })

  it('bounds the comparison: the stride keeps at most MAX_COMPARED_REQUESTS calls', () => {
    expect(requestStride(constantLoad(6, 10, [[[1, 1, 0]]]))).toBe(1)
    const big = constantLoad(1000, 100, [
      [[1, 1, 0]],
      [
        [1, 1, 0],
        [1, 1, 1],
      ],
    ])
    const stride = requestStride(big)
    // 100,001 iterations × 1.5 calls each.
    expect(Math.ceil(100_001 / stride) * 1.5).toBeLessThanOrEqual(MAX_COMPARED_REQUESTS + 2)
    expect(Math.ceil(100_001 / (stride - 1)) * 1.5).toBeGreaterThan(MAX_COMPARED_REQUESTS)
  })

  it('a run that is the simulation at 1.25 × the step time: strided twins, exact after a 1.25 fit', async () => {
    const profile = resolveServingProfile({model: 'llama-3.1-8b', gpu: 'A100-80GB', tensorParallel: 1})
    // 40 requests/s for 100 s: 4,001 iterations, more than MAX_COMPARED_REQUESTS calls.
    const load = constantLoad(40, 100, [[[300, 40, 0]], [[800, 80, 0]], [[100, 20, 0]]])
    const stride = requestStride(load)
    expect(stride).toBe(3)
    const slow = await simulateRequests(profile, 2, load, 1.25, stride)
    expect(slow.size).toBe(Math.ceil(4001 / stride))
    expect([...slow.keys()].every((id) => Number(id.split('.')[0]) % stride === 0)).toBe(true)
    const measured = new Map<string, MeasuredRequest>([...slow].map(([id, p]) => [id, {ok: true, latencyMs: p.e2eMs, ttftMs: p.ttftMs}]))
    const before = await simulateRequests(profile, 2, load, 1, stride)
    const c = joinRequests(load, stride, measured, before, slow)
    expect(c.pairs).toHaveLength(slow.size)
    const stat = (metric: 'ttft' | 'e2e', series: 'before' | 'after') => c.stats.find((s) => s.metric === metric && s.series === series)!
    expect(stat('e2e', 'after').rmsLogError).toBe(0)
    expect(stat('ttft', 'after').rmsLogError).toBe(0)
    // The profile as shipped is faster than this "measurement" (which also queues more): every
    // figure under-predicted before the fit.
    expect(stat('e2e', 'before').medianRelError).toBeLessThan(-0.1)
    expect(stat('ttft', 'before').medianRelError).toBeLessThan(-0.1)
    // Deterministic: the same simulation gives the same twins.
    expect(await simulateRequests(profile, 2, load, 1.25, stride)).toEqual(slow)
  })
})
