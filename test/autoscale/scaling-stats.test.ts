import {describe, expect, it} from 'vitest'

import {parseHpaYaml} from '../../src/autoscale/hpa-schema.js'
import {createHpaController} from '../../src/autoscale/hpa.js'
import {directionChanges, scalingEventFromHpa, timeToRecover} from '../../src/autoscale/scaling-stats.js'

describe('scaling statistics', () => {
  it('counts direction changes (flapping)', () => {
    expect(directionChanges([3, 3, 5, 8, 8, 6, 6, 7, 4])).toBe(3)
    expect(directionChanges([3, 4, 5])).toBe(0)
    expect(directionChanges([])).toBe(0)
  })

  it('measures time to recover after a failure', () => {
    const series = [
      {timeS: 0, value: 8},
      {timeS: 100, value: 6}, // node lost at 100
      {timeS: 400, value: 7},
      {timeS: 580, value: 8},
    ]
    expect(timeToRecover(100, 8, series)).toBe(480)
    expect(timeToRecover(100, 9, series)).toBeUndefined()
    expect(timeToRecover(0, 6, series)).toBe(0)
  })

  it('records an HPA scaling event with its metric, its limits and the event message', () => {
    const c = createHpaController(
      parseHpaYaml('apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: t}\nspec:\n  scaleTargetRef: {kind: Deployment, name: t}\n  maxReplicas: 50\n  metrics:\n  - type: Pods\n    pods: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: 100}}\n  behavior: {}\n'),
    )
    const d = c.reconcile(0, {currentReplicas: 3, pods: [0, 1, 2].map((i) => ({name: `p${i}`, ready: true, startTimeS: 0, readyTransitionS: 0, metrics: {queue_depth: 1000}}))})
    expect(scalingEventFromHpa('a100', d)).toEqual({
      timeS: 0,
      pool: 'a100',
      autoscaler: 'hpa',
      from: 3,
      to: 7,
      metric: 'pods metric queue_depth',
      limitedBy: ['policy:Pods 4/15s'],
      reason: 'New size: 7; reason: pods metric queue_depth above target',
    })
  })
})
