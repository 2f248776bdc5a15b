import {stringify} from 'yaml'

import type {LoadedPlan} from '../plan/load.js'
import {LOCK_LEASE} from './lock.js'
import {STATE_CONFIGMAP} from './state.js'

export interface PolicyRule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
  resourceNames?: string[]
}

/** Plurals of the kinds a plan holds; anything else falls back to the English rule the API uses for them. */
const PLURALS: Record<string, string> = {
  Deployment: 'deployments',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  PodDisruptionBudget: 'poddisruptionbudgets',
  ConfigMap: 'configmaps',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  PriorityClass: 'priorityclasses',
  StatefulSet: 'statefulsets',
  Secret: 'secrets',
}

function plural(kind: string): string {
  const k = kind.toLowerCase()
  return PLURALS[kind] ?? (k.endsWith('s') ? `${k}es` : k.endsWith('y') ? `${k.slice(0, -1)}ies` : `${k}s`)
}

/**
 * The least-privilege Role `apply-to-cluster` needs for a plan in one namespace: apply, read back and
 * roll back (delete what a phase created) the plan's kinds, scale HPA-managed Deployments, watch pods
 * for the gates, and its own state ConfigMap and Lease (by name where the verb allows).
 */
export function requiredRole(plan: LoadedPlan, namespace: string, name = 'fleetcap-apply'): object {
  const byGroup = new Map<string, Set<string>>()
  for (const phase of plan.phases) {
    for (const {object} of phase.objects) {
      const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''
      const set = byGroup.get(group) ?? new Set<string>()
      set.add(plural(object.kind))
      byGroup.set(group, set)
    }
  }
  const rules: PolicyRule[] = [...byGroup.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, resources]) => ({apiGroups: [group], resources: [...resources].sort(), verbs: ['create', 'delete', 'get', 'list', 'patch', 'update']}))
  rules.push(
    {apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch', 'update']},
    {apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list']},
    {apiGroups: [''], resources: ['pods'], verbs: ['list']},
    {apiGroups: [''], resources: ['configmaps'], verbs: ['create']},
    {apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'update'], resourceNames: [STATE_CONFIGMAP]},
    {apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create']},
    {apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['delete', 'get', 'update'], resourceNames: [LOCK_LEASE]},
  )
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'fleetcap'}},
    rules,
  }
}

export function requiredRoleYaml(plan: LoadedPlan, namespace: string): string {
  return stringify(requiredRole(plan, namespace), {lineWidth: 0, aliasDuplicateObjects: false})
}
