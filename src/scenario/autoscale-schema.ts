/**
 * Scenario fields for autoscaling, capacity and failures. The manifests (an HPA, a KEDA
 * ScaledObject, a threshold table, a minimum-replica schedule) are kept as written here and
 * validated by src/autoscale, whose errors name the scenario file, the line and the field path
 * (src/sim/autoscale-config.ts does that); the rest is plain zod, located by the scenario loader.
 */
import {z} from 'zod'

import {failuresSchema} from '../autoscale/failures.js'
import {MODELLED_METRICS, type ModelledMetric} from '../autoscale/metric-names.js'
import {DurationSchema, PositiveDurationSchema} from '../workload/spec.js'

const FileRef = z.strictObject({file: z.string().min(1).describe('Path of a YAML file, relative to the scenario file.')})
const Manifest = (what: string) =>
  z
    .union([FileRef, z.record(z.string(), z.unknown())])
    .describe(`${what}: inline, as the YAML a user would apply, or {file: path}.`)

export const MetricsLagSchema = z
  .strictObject({
    scrapeIntervalS: PositiveDurationSchema.optional().describe('Seconds between two samples of a metric (metrics-server / Prometheus); default 15.'),
    reportDelayS: DurationSchema.optional().describe('Seconds from a sample to the controller seeing it (adapter, query); default 0.'),
    averagingWindowS: DurationSchema.optional().describe('Seconds of samples averaged by a read (like avg_over_time); default 0: latest sample.'),
  })
  .describe('How stale the metrics an autoscaler reads are.')

const modelled = Object.keys(MODELLED_METRICS) as [ModelledMetric, ...ModelledMetric[]]

export const AutoscalerSchema = z
  .strictObject({
    hpa: Manifest('An autoscaling/v2 HorizontalPodAutoscaler').optional(),
    keda: Manifest('A keda.sh/v1alpha1 ScaledObject with queue triggers').optional(),
    thresholds: Manifest('A threshold table (see docs/autoscaling.md)').optional(),
    schedule: Manifest('A schedule of minimum replicas (windows, points), combined with hpa or thresholds').optional(),
    metrics: MetricsLagSchema.optional(),
    syncPeriodS: PositiveDurationSchema.optional().describe('HPA sync period (--horizontal-pod-autoscaler-sync-period); default 15.'),
    tolerance: z.number().min(0).max(1).optional().describe('HPA tolerance (--horizontal-pod-autoscaler-tolerance); default 0.1.'),
    featureGates: z
      .strictObject({
        HPAConfigurableTolerance: z.boolean().optional().describe('Alpha in Kubernetes 1.33/1.34, off by default: honour behavior.scaleUp/scaleDown.tolerance (off: the field is dropped, as the API server drops it, with a warning).'),
        HPAScaleToZero: z.boolean().optional().describe('Alpha, off by default: allow minReplicas 0 with Object/External metrics.'),
      })
      .optional()
      .describe('Feature gates of the cluster this HPA runs in (kube-apiserver and kube-controller-manager --feature-gates); default: all off, as in Kubernetes 1.34.'),
    metricAliases: z
      .record(z.string(), z.enum(modelled))
      .optional()
      .describe('Your metric names mapped onto what fleetcap models, e.g. {livhana_queue_depth: queue_depth}.'),
    startTime: z
      .string()
      .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:?\d\d)$/, 'must be an ISO-8601 time with a UTC offset, e.g. 2026-11-23T00:00:00Z')
      .optional()
      .describe('Wall-clock time of simulation time 0, for schedule windows and ISO points (default 1970-01-01T00:00:00Z, a Thursday).'),
  })
  .refine((a) => [a.hpa, a.keda, a.thresholds].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of hpa, keda or thresholds',
  })
  .refine((a) => a.schedule === undefined || a.keda === undefined, {
    message: 'a schedule combines with hpa or thresholds; with KEDA, raise minReplicaCount or use its cron trigger',
    path: ['schedule'],
  })
  .describe('The autoscaler of this pool.')

export const CapacitySchema = z
  .strictObject({
    gpuQuota: z.number().int().positive().optional().describe('Most GPUs the pool may hold (nodes are whole); default unlimited.'),
    gpusPerNode: z.number().int().positive().optional().describe('GPUs of one node; default: one replica per node.'),
    nodeProvisioningS: DurationSchema.optional().describe('Seconds for the cluster autoscaler to add a node; default 0.'),
    imagePullS: DurationSchema.optional().describe('Seconds to pull the serving image onto a new node; default 0.'),
    modelLoadS: DurationSchema.optional().describe("Seconds from container start to ready; default the serving profile's cold start."),
    scaleDownUnneededS: DurationSchema.optional().describe('An empty node is removed after this long (--scale-down-unneeded-time); default 600.'),
    minNodes: z.number().int().nonnegative().optional().describe('The node group never shrinks below this; default 0.'),
    terminationGracePeriodS: DurationSchema.optional().describe(
      'A replica told to go is killed this long after, with the calls it still runs (retried or failed per failures.policy); default: it drains whatever it holds.',
    ),
  })
  .describe('How new replicas get a GPU: nodes, quota and cold-start delays. Cost counts from provisioning.')

export const FailuresSchema = failuresSchema.describe(
  'Failures to inject: replica or node loss, a partition, a degraded GPU; scheduled (at) or random (seeded).',
)

export type AutoscalerInput = z.output<typeof AutoscalerSchema>
export type CapacityInput = z.output<typeof CapacitySchema>
