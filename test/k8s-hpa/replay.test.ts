import {describe, expect, it} from 'vitest'

import type {DiffCase} from './cases.js'
import {generateCases} from './cases.js'
import {replay, syncsFromReads, type ClusterRun} from './harness.js'
import type {WatchEvent} from './metrics-cluster.js'

/**
 * The harness's bookkeeping without a cluster: reads grouped into syncs, the controller's decision
 * after each sync taken from the Deployment's recorded spec.replicas, fleetcap replayed on those
 * instants. The recordings are written by hand as the watches and the adapter would produce them.
 */
const c: DiffCase = {
  id: 0,
  namespace: 'hd-0',
  initialReplicas: 2,
  minReplicas: 1,
  maxReplicas: 10,
  metrics: [{source: 'external-average', target: 2}],
  behavior: {scaleUp: {policies: [{type: 'Pods', value: 1, periodSeconds: 3}], stabilizationWindowSeconds: 0}},
  series: [{atS: 0, values: [8]}],
  durationS: 8,
}

const t0 = 1_000_000
const dep = (t: number, spec: number, status: number): WatchEvent => ({
  t,
  type: 'MODIFIED',
  object: {metadata: {name: 'app', namespace: 'hd-0'}, spec: {replicas: spec}, status: {replicas: status}},
})
const pod = (t: number, name: string): WatchEvent => ({
  t,
  type: 'ADDED',
  object: {metadata: {name, namespace: 'hd-0'}, status: {phase: 'Running', startTime: new Date(t).toISOString(), conditions: [{type: 'Ready', status: 'True', lastTransitionTime: new Date(t).toISOString()}]}},
})
const read = (t: number) => ({t, kind: 'external' as const, metric: 'waiting_requests', value: 8000})

function run(secondScale: number): ClusterRun {
  return {
    created: new Map([['hd-0', t0]]),
    stoppedAt: t0 + 8000,
    reads: new Map([['hd-0', [read(t0 - 5000), read(t0 + 20), read(t0 + 2030), read(t0 + 2031), read(t0 + 4040), read(t0 + 6050)]]]),
    deployments: [dep(t0 - 9000, 2, 2), dep(t0 + 40, 3, 2), dep(t0 + 300, 3, 3), dep(t0 + 4060, secondScale, 3)],
    pods: [pod(t0 - 9000, 'a'), pod(t0 - 9000, 'b'), pod(t0 + 200, 'c')],
  }
}

describe('differential harness bookkeeping', () => {
  it('groups reads of one sync and ignores reads before the HPA existed', () => {
    const s = syncsFromReads(run(4).reads.get('hd-0')!, t0)
    expect(s.map((x) => x.t - t0)).toEqual([20, 2030, 4040, 6050])
  })

  it('keeps a two-metric sync whose reads are 951 ms apart whole, and splits on a metric read again', () => {
    const r2 = (t: number, metric: string, kind: 'custom' | 'external' = 'external') => ({t, kind, metric, value: 1000})
    const reads = [
      r2(t0 + 10, 'a'),
      r2(t0 + 961, 'b'),
      r2(t0 + 2000, 'a'),
      r2(t0 + 2001, 'q', 'custom'),
      r2(t0 + 2003, 'q', 'custom'), // a Pods metric: one read per pod
      r2(t0 + 2200, 'b'),
      r2(t0 + 3300, 'a'), // a sync 1.3 s after the previous one (the queue may bunch syncs): a new sync
      r2(t0 + 5400, 'b'),
    ]
    const s = syncsFromReads(reads, t0)
    expect(s.map((x) => [x.t - t0, [...x.values.keys()].sort()])).toEqual([
      [10, ['external/a', 'external/b']],
      [2000, ['custom/q', 'external/a', 'external/b']],
      [3300, ['external/a']],
      [5400, ['external/b']],
    ])
  })

  it('does not compare a sync whose scale write may land after the recording stops', () => {
    const r = replay(c, {...run(4), compareUntil: t0 + 5000})
    expect(r.syncs.map((x) => x.atS)).toEqual([0.02, 2.03, 4.04])
  })

  it('replays fleetcap on the controller’s instants: 8/2 = 4 wanted, 1 pod per 3 s → 3, 3, 4, 4', () => {
    const r = replay(c, run(4))
    expect(r.syncs.map((s) => [s.controller, s.fleetcap])).toEqual([
      [3, 3],
      [3, 3],
      [4, 4],
      [4, 4],
    ])
    expect(r.differences).toEqual([])
  })

  it('reports a sync where the controller set another size', () => {
    const r = replay(c, run(5))
    expect(r.differences.map((d) => [d.atS, d.controller, d.fleetcap])).toEqual([
      [4.04, 5, 4],
      [6.05, 5, 4],
    ])
  })

  it('decides on the sync’s last read, as the controller takes time.Now() for windows after reading its metrics (hd-82)', () => {
    // Scale-down window 13 s; the first sync asks for 16 (clamped to 9), the second for 3. The first
    // reads are 12.98 s apart (the 16 still inside the window), the last reads 13.1 s apart (outside):
    // the controller went to 3.
    const two: DiffCase = {
      ...c,
      id: 82,
      initialReplicas: 9,
      minReplicas: 1,
      maxReplicas: 9,
      metrics: [
        {source: 'object-value', target: 2},
        {source: 'external-value', target: 2},
      ],
      behavior: {scaleDown: {stabilizationWindowSeconds: 13}},
    }
    const rd = (t: number, kind: 'custom' | 'external', metric: string, value: number) => ({t, kind, metric, value})
    const pods9 = Array.from({length: 9}, (_, i) => pod(t0 - 9000, `p${i}`))
    const r = replay(two, {
      created: new Map([['hd-0', t0]]),
      stoppedAt: t0 + 16_000,
      reads: new Map([
        [
          'hd-0',
          [
            rd(t0 + 20, 'custom', 'queue_length', 3400),
            rd(t0 + 100, 'external', 'waiting_requests', 3400),
            rd(t0 + 13_000, 'custom', 'queue_length', 600),
            rd(t0 + 13_200, 'external', 'waiting_requests', 600),
          ],
        ],
      ]),
      deployments: [dep(t0 - 9000, 9, 9), dep(t0 + 13_400, 3, 9)],
      pods: pods9,
    })
    expect(r.syncs.map((x) => [x.controller, x.fleetcap])).toEqual([
      [9, 9],
      [3, 3],
    ])
  })

  it('a scale write 1.13 s after the sync began, 0.65 s after its last read, is that sync’s (hd-18)', () => {
    const two: DiffCase = {
      ...c,
      initialReplicas: 4,
      minReplicas: 1,
      maxReplicas: 9,
      metrics: [
        {source: 'object-value', target: 2},
        {source: 'external-value', target: 2},
      ],
      behavior: {},
    }
    const rd = (t: number, kind: 'custom' | 'external', metric: string) => ({t, kind, metric, value: 3400})
    const r = replay(two, {
      created: new Map([['hd-0', t0]]),
      stoppedAt: t0 + 3000,
      reads: new Map([['hd-0', [rd(t0 + 20, 'custom', 'queue_length'), rd(t0 + 500, 'external', 'waiting_requests')]]]),
      deployments: [dep(t0 - 9000, 4, 4), dep(t0 + 1150, 7, 4)],
      pods: Array.from({length: 4}, (_, i) => pod(t0 - 9000, `p${i}`)),
    })
    // 3.4 / 2 × 4 = 6.8 → 7 on both metrics: one sync, both at 7 (not a read-less sync at 1.149 s).
    expect(r.syncs.map((x) => [x.atS, x.controller, x.fleetcap])).toEqual([[0.02, 7, 7]])
  })

  it('generates the same cases from the same seed, and different ones from another', () => {
    expect(generateCases(7, 20)).toEqual(generateCases(7, 20))
    expect(generateCases(7, 20)).not.toEqual(generateCases(8, 20))
    const sources = new Set(generateCases(7, 100).flatMap((x) => x.metrics.map((m) => m.source)))
    expect([...sources].sort()).toEqual(['external-average', 'external-value', 'object-average', 'object-value', 'pods'])
  })
})

describe('a target scaled to zero by the harness', () => {
  // Starts at 0 (min 1): the controller's first sync, 2 s after creation, leaves it there; the
  // harness scales it to 2 at 5 s (a write of its own, resourceVersion 7), and the next sync reads
  // the metric (8 / 2 over 2 pods → 4; one pod per 3 s → 3).
  const zc: DiffCase = {...c, initialReplicas: 0, zero: {fromS: 0, untilS: 5, restoreTo: 2}}
  const ownDep = (t: number, rv: string, spec: number): WatchEvent => ({
    t,
    type: 'MODIFIED',
    object: {metadata: {name: 'app', namespace: 'hd-0', resourceVersion: rv}, spec: {replicas: spec}, status: {replicas: 0}},
  })
  const zrun: ClusterRun = {
    created: new Map([['hd-0', t0]]),
    stoppedAt: t0 + 9000,
    reads: new Map([['hd-0', [read(t0 + 6010), read(t0 + 8020)]]]),
    deployments: [dep(t0 - 9000, 0, 0), ownDep(t0 + 5010, '7', 2), dep(t0 + 5300, 2, 2), dep(t0 + 6040, 3, 2)],
    pods: [pod(t0 + 5100, 'a'), pod(t0 + 5100, 'b')],
    scaleWrites: new Map([['hd-0', [{replicas: 2, resourceVersion: '7'}]]]),
  }

  it('compares the disabled first sync (0, not the harness’s 2) and starts fleetcap from the harness’s write', () => {
    const r = replay(zc, zrun)
    expect(r.syncs.map((x) => [x.atS, x.controller, x.fleetcap])).toEqual([
      [2, 0, 0],
      [6.01, 3, 3],
      [8.02, 3, 3], // the +1 at 6.04 s is within the 3 s period
    ])
    expect(r.syncs[0]!.fleetcapLimitedBy).toEqual(['scalingDisabled'])
  })

  it('without the harness’s write marked as its own, it is taken for a controller sync from 0', () => {
    const r = replay(zc, {...zrun, scaleWrites: new Map()})
    expect(r.syncs.some((x) => x.atS === 5.009)).toBe(true)
  })
})
