/**
 * `fleetcap apply-to-cluster --json`: what changed (or would), the gates, the load test's record, or
 * the Role of --print-rbac, as a zod schema the compiler checks against ApplyToClusterResult;
 * schemas/apply-to-cluster.result.schema.json is generated from it.
 */
import {z} from 'zod'

import {K6LoadGateRecordSchema} from '../k6/run-result.js'
import type {ApplyToClusterResult} from './apply.js'

const objectRef = z.strictObject({apiVersion: z.string(), kind: z.string(), namespace: z.string().optional(), name: z.string()})

const objectResult = z.strictObject({
  ref: objectRef,
  source: z.string().optional().describe('The manifest file the object came from.'),
  action: z.enum(['create', 'update', 'unchanged', 'delete', 'restore', 'prune', 'orphan']),
  changes: z.array(z.strictObject({path: z.string(), before: z.unknown().optional(), after: z.unknown().optional()})),
  replicasOwnedBy: z.string().optional().describe('The HPA that owns spec.replicas (left out of what fleetcap applies).'),
})

const gateStatus = z.strictObject({
  done: z.boolean(),
  failure: z.string().optional(),
  deployments: z.array(
    z.strictObject({
      name: z.string(),
      desired: z.number().int(),
      updated: z.number().int(),
      ready: z.number().int(),
      available: z.number().int(),
      gpuPending: z.number().int(),
      done: z.boolean(),
      waitingFor: z.string().optional(),
    }),
  ),
  hpas: z.array(z.strictObject({name: z.string(), accepted: z.boolean(), note: z.string().optional()})),
  gpuPendingMessage: z.string().optional(),
})

const applyResult = z
  .strictObject({
    cluster: z.strictObject({server: z.string(), context: z.string(), cluster: z.string(), user: z.string(), namespace: z.string()}),
    plan: z.strictObject({name: z.string(), digest: z.string()}),
    phase: z.string(),
    mode: z.enum(['apply', 'dry-run', 'diff', 'rollback']),
    objects: z.array(objectResult),
    changed: z.number().int(),
    gates: z.strictObject({passed: z.boolean(), elapsedMs: z.number(), polls: z.number().int(), failure: z.string().optional(), status: gateStatus}).optional(),
    check: z
      .strictObject({name: z.literal('load test'), passed: z.boolean(), reason: z.string(), record: K6LoadGateRecordSchema.optional()})
      .optional()
      .describe('The load test after the gates (--load-test), when one ran.'),
    rolledBack: z.boolean(),
    requests: z.strictObject({total: z.number().int(), byMethod: z.record(z.string(), z.number().int())}).describe('API requests made, by HTTP method.'),
    elapsedMs: z.number(),
  })
  .describe('A phase applied, compared (--dry-run, --diff) or rolled back.')

const role = z
  .strictObject({
    role: z.strictObject({
      apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
      kind: z.literal('Role'),
      metadata: z.strictObject({name: z.string(), namespace: z.string(), labels: z.record(z.string(), z.string())}),
      rules: z.array(z.strictObject({apiGroups: z.array(z.string()), resources: z.array(z.string()), verbs: z.array(z.string()), resourceNames: z.array(z.string()).optional()})),
    }),
  })
  .describe('--print-rbac: the least-privilege Role the plan needs.')

const nothingToDo = z.strictObject({nothingToDo: z.literal(true), message: z.string()}).describe('Every phase of the plan is applied already.')

export const ApplyToClusterResultSchema: z.ZodType<ApplyToClusterResult> = z.union([applyResult, role, nothingToDo])
