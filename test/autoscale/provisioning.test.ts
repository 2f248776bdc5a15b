import {describe, expect, it} from 'vitest'

import {drainEndS, GpuNodePool, phaseAt, pickScaleDownVictims} from '../../src/autoscale/provisioning.js'

/** One 8-GPU node at start, TP=2 replicas (4 per node), quota 16 GPUs (2 nodes). Figures are test inputs. */
const pool = () =>
  new GpuNodePool({gpusPerNode: 8, gpusPerReplica: 2, initialNodes: 1, quotaGpus: 16, nodeProvisionS: 300, imagePullS: 60, modelLoadS: 120, pricePerGpuHourUsd: 2})

describe('replica cold start: node, image pull, model load', () => {
  it('a free GPU: pull then load; a second replica on the node shares the pull', () => {
    const p = pool()
    const a = p.requestReplica(0)
    expect(a).toEqual({placed: true, timeline: {replicaId: 0, nodeId: 0, waitedForNode: false, requestedS: 0, nodeReadyS: 0, imageReadyS: 60, readyS: 180}})
    const b = p.requestReplica(10)
    expect(b.placed && b.timeline).toMatchObject({nodeId: 0, imageReadyS: 60, readyS: 180})
    if (a.placed) {
      expect(phaseAt(a.timeline, 30)).toBe('image-pull')
      expect(phaseAt(a.timeline, 100)).toBe('model-load')
      expect(phaseAt(a.timeline, 180)).toBe('ready')
    }
  })

  it('no free GPU: the cluster autoscaler adds a node; later replicas wait for that node too', () => {
    const p = pool()
    for (let i = 0; i < 4; i++) p.requestReplica(0)
    const fifth = p.requestReplica(100)
    expect(fifth.placed && fifth.timeline).toMatchObject({nodeId: 1, waitedForNode: true, nodeReadyS: 400, imageReadyS: 460, readyS: 580})
    const sixth = p.requestReplica(200)
    expect(sixth.placed && sixth.timeline).toMatchObject({nodeId: 1, waitedForNode: true, nodeReadyS: 400, readyS: 580})
    expect(phaseAt(fifth.placed ? fifth.timeline : (undefined as never), 399)).toBe('pending-node')
  })

  it('the GPU quota stops new nodes; a freed GPU goes to the oldest waiting replica, image cached', () => {
    const p = pool()
    for (let i = 0; i < 8; i++) p.requestReplica(0)
    const blocked = p.requestReplica(500)
    expect(blocked).toEqual({placed: false, reason: 'quota', replicaId: 8})
    expect(p.unschedulable).toEqual([{replicaId: 8, requestedS: 500}])
    const placed = p.releaseReplica(0, 900)
    expect(placed).toEqual([{replicaId: 8, nodeId: 0, waitedForNode: false, requestedS: 500, nodeReadyS: 900, imageReadyS: 900, readyS: 1020}])
    expect(p.unschedulable).toEqual([])
  })

  it('bills every GPU of a node from its request to its removal, not from readiness', () => {
    const p = pool()
    for (let i = 0; i < 5; i++) p.requestReplica(i === 4 ? 100 : 0) // the fifth asks node 1 at t=100
    expect(p.billedGpuSeconds(1000)).toBe(8 * 1000 + 8 * 900)
    p.releaseReplica(4, 1000) // node 1 empty from 1000
    expect(p.tick(1599)).toEqual([])
    expect(p.tick(1600)).toEqual([1])
    expect(p.billedGpuSeconds(2000)).toBe(8 * 2000 + 8 * (1600 - 100))
    expect(p.costUsd(3600)).toBeCloseTo(((8 * 3600 + 8 * 1500) / 3600) * 2, 9)
  })

  it('losing a node returns its replicas and stops its billing', () => {
    const p = pool()
    for (let i = 0; i < 3; i++) p.requestReplica(0)
    expect(p.loseNode(0, 50)).toEqual([0, 1, 2])
    expect(p.billedGpuSeconds(100)).toBe(8 * 50)
    expect(p.liveNodes).toBe(0)
  })
})

describe('scale-down', () => {
  it('removes replicas in the ReplicaSet order: unscheduled, pending, unready, newest-ready first', () => {
    const victims = pickScaleDownVictims(
      [
        {id: 1, scheduled: true, phase: 'Running', ready: true, readySinceS: 100, createdS: 0},
        {id: 2, scheduled: true, phase: 'Running', ready: true, readySinceS: 500, createdS: 10},
        {id: 3, scheduled: true, phase: 'Running', ready: false, createdS: 20},
        {id: 4, scheduled: true, phase: 'Pending', ready: false, createdS: 30},
        {id: 5, scheduled: false, phase: 'Pending', ready: false, createdS: 40},
      ],
      4,
    )
    expect(victims).toEqual([5, 4, 3, 2])
  })

  it('drains in-flight work up to the termination grace period', () => {
    expect(drainEndS(100, undefined, 30)).toEqual({goneS: 100, killsInflight: false})
    expect(drainEndS(100, 120, 30)).toEqual({goneS: 120, killsInflight: false})
    expect(drainEndS(100, 200, 30)).toEqual({goneS: 130, killsInflight: true})
  })
})
