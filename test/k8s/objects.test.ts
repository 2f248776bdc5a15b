import {describe, expect, it} from 'vitest'

import type {KubeObject} from '../../src/k8s/client.js'
import {diffFields, formatChange, intent} from '../../src/k8s/objects.js'

describe('object intent and field diff', () => {
  const live: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'x',
      namespace: 'n',
      resourceVersion: '42',
      generation: 3,
      uid: 'u',
      managedFields: [{manager: 'fleetcap'}],
      annotations: {'deployment.kubernetes.io/revision': '2'},
      labels: {a: 'b'},
    },
    spec: {replicas: 2, template: {spec: {containers: [{name: 'c', image: 'i:1'}]}}},
    status: {readyReplicas: 2},
  }

  it('keeps what the user owns and drops status, server metadata and controller annotations', () => {
    expect(intent(live)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'x', namespace: 'n', labels: {a: 'b'}},
      spec: {replicas: 2, template: {spec: {containers: [{name: 'c', image: 'i:1'}]}}},
    })
    expect(live.metadata.resourceVersion).toBe('42') // the input is not modified
  })

  it('lists changed, added and removed leaf fields with paths', () => {
    const after = structuredClone(intent(live)) as KubeObject & {spec: {replicas: number; paused?: boolean; template: {spec: {containers: Array<{image: string}>}}}}
    after.spec.replicas = 4
    after.spec.template.spec.containers[0].image = 'i:2'
    after.spec.paused = true
    delete after.metadata.labels
    const changes = diffFields(intent(live), after)
    expect(changes).toEqual([
      {path: 'metadata.labels.a', before: 'b'},
      {path: 'spec.paused', after: true},
      {path: 'spec.replicas', before: 2, after: 4},
      {path: 'spec.template.spec.containers[0].image', before: 'i:1', after: 'i:2'},
    ])
    expect(changes.map(formatChange)).toEqual(['- metadata.labels.a: b', '+ spec.paused: true', '~ spec.replicas: 2 -> 4', '~ spec.template.spec.containers[0].image: i:1 -> i:2'])
    expect(diffFields(intent(live), intent(live))).toEqual([])
  })

  it('lists every leaf of an object that is new', () => {
    expect(diffFields(undefined, {a: {b: 1, c: [2]}})).toEqual([
      {path: 'a.b', after: 1},
      {path: 'a.c[0]', after: 2},
    ])
  })
})
