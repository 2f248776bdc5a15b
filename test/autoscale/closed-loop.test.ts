import {describe, expect, it} from 'vitest'

import {parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {createHpaController, type PodView} from '../../src/autoscale/hpa.js'
import {MetricsPipeline} from '../../src/autoscale/metrics-lag.js'
import {GpuNodePool, phaseAt, type ReplicaTimeline} from '../../src/autoscale/provisioning.js'
import {directionChanges} from '../../src/autoscale/scaling-stats.js'

/**
 * How the simulator wires the pieces: the HPA syncs every 15 s and reads per-pod queue depth
 * through the metrics pipeline; new replicas go through node provisioning, image pull and model
 * load; only ready replicas hold queued work. The load: 3000 tasks pending from t=0 (1000 per pod
 * on 3 replicas), target 100 per pod, default behavior. Figures are test inputs, not measurements.
 */
describe('closed loop: HPA + metrics lag + cold starts', () => {
  it('scales 3 → 7 → 14 → 28 while new pods load; ready capacity follows node provisioning, pull and load', () => {
    const hpa = createHpaController(
      parseHpaYaml(
        'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: t}\nspec:\n  scaleTargetRef: {kind: Deployment, name: t}\n  minReplicas: 3\n  maxReplicas: 50\n  metrics:\n  - type: Pods\n    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100}}\n  behavior: {}\n',
      ),
    )
    const nodes = new GpuNodePool({gpusPerNode: 8, gpusPerReplica: 1, initialNodes: 1, nodeProvisionS: 240, imagePullS: 60, modelLoadS: 120, pricePerGpuHourUsd: 1})
    const metrics = new MetricsPipeline({scrapeIntervalS: 15, reportDelayS: 0})
    const replicas: ReplicaTimeline[] = []
    const add = (t: number) => {
      const r = nodes.requestReplica(t)
      if (!r.placed) throw new Error('quota')
      replicas.push(r.timeline)
    }
    for (let i = 0; i < 3; i++) add(0) // the first 3 replicas cold-start on the one node: ready at 60 + 120
    const desiredAt: [number, number][] = []
    const readyAt: [number, number][] = []
    for (let t = 0; t <= 900; t += 15) {
      const ready = replicas.filter((r) => phaseAt(r, t) === 'ready')
      // The queue spreads over ready replicas; the pipeline scrapes every 15 s, in step with the HPA.
      ready.forEach((r, i) => metrics.record(`r${r.replicaId}`, t, Math.floor(3000 / ready.length) + (i < 3000 % ready.length ? 1 : 0)))
      const pods: PodView[] = replicas.map((r) => {
        const phase = phaseAt(r, t)
        const sample = metrics.read(`r${r.replicaId}`, t)
        return {
          name: `r${r.replicaId}`,
          phase: phase === 'pending-node' || phase === 'image-pull' ? 'Pending' : 'Running',
          ready: phase === 'ready',
          startTimeS: phase === 'pending-node' ? undefined : r.nodeReadyS,
          readyTransitionS: phase === 'ready' ? r.readyS : r.nodeReadyS,
          metrics: sample === undefined ? {} : {queue_depth: sample.value},
          metricTimestampS: sample?.timestampS,
        }
      })
      const d = hpa.reconcile(t, {currentReplicas: replicas.length, pods})
      for (let k = replicas.length; k < d.desiredReplicas; k++) add(t)
      if (d.rescale) desiredAt.push([t, d.desiredReplicas])
      if (readyAt.length === 0 || readyAt.at(-1)![1] !== ready.length) readyAt.push([t, ready.length])
    }
    // Until t=180 no pod is ready and none has a sample: the metric is invalid, nothing changes.
    // From 180 the HPA doubles per sync; unready (loading) pods count as 0, which still leaves the
    // ratio far above 1. At 28 replicas 3000/28/100 = 1.07 is within tolerance.
    expect(desiredAt).toEqual([[180, 7], [195, 14], [210, 28]])
    // Node 0 (8 GPUs, image cached since t=60): 4 asked at 180 → ready 300, 1 at 195 → 315. The rest
    // need nodes: 6 at 195 and 2 at 210 on node 1 (ready 195+240, pull 60, load 120 → 615), 12 at 210
    // on nodes 2–3 (→ 630).
    expect(readyAt).toEqual([[0, 0], [180, 3], [300, 7], [315, 8], [615, 16], [630, 28]])
    expect(directionChanges([3, ...desiredAt.map(([, n]) => n)])).toBe(0)
    // Billing from provisioning: node 0 from 0, node 1 from 195, nodes 2–3 from 210 (8 GPUs each).
    expect(nodes.liveNodes).toBe(4)
    expect(nodes.billedGpuSeconds(900)).toBe(8 * (900 + (900 - 195) + 2 * (900 - 210)))
  })
})
