// Cost of one HPA sync. Build first (npx tsc -p tsconfig.json), then: node test/autoscale/bench/hpa-reconcile.mjs
import {parseHpaYaml, createHpaController} from '../../../dist/src/autoscale/index.js'
const spec = parseHpaYaml(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: b}
spec:
  scaleTargetRef: {kind: Deployment, name: b}
  minReplicas: 1
  maxReplicas: 100
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
  - type: Pods
    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100}}
  - type: External
    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100}}
  behavior: {}
`)
const N = 50
const pods = Array.from({length: N}, (_, i) => ({name: `p${i}`, ready: true, startTimeS: -9999, readyTransitionS: -9000, metrics: {cpu: 60 + (i % 20), queue_depth: 90 + (i % 15)}}))
const c = createHpaController(spec)
const calls = 200_000
let t0 = process.hrtime.bigint()
let sink = 0
for (let k = 0; k < calls; k++) sink += c.reconcile(k * 15, {currentReplicas: N, pods, externalMetrics: {queue_depth: 5000 + (k % 7) * 100}}).desiredReplicas
const ns = Number(process.hrtime.bigint() - t0)
console.log(`HPA reconcile, ${N} pods, 3 metrics, behavior: ${(ns / calls / 1000).toFixed(2)} µs/call over ${calls} calls (sink ${sink})`)
