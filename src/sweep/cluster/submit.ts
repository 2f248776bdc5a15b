/**
 * `fleetcap sweep SPEC --on-cluster`: run the sweep as a Kubernetes Indexed Job and merge its results.
 *
 * 1. Apply the pods' ServiceAccount and Role; create the Job suspended, then its spec ConfigMap (owned
 *    by the Job, so one delete removes everything), then resume it. A Job of the same name (the name
 *    carries the spec's digest) is followed again, not created twice: re-running after an interrupt
 *    re-attaches.
 * 2. Follow the Job (its status: completed indexes, failed pods) until it is Complete or Failed.
 * 3. Gather the result chunks through the API, each (cell, run) once, and merge them as a local run
 *    would: the merged results.jsonl and summary.json are byte-identical to `fleetcap sweep SPEC`.
 * 4. Delete the Job (and with it its pods and ConfigMaps) unless asked to keep it.
 */
import {ExitCode, FleetcapError, InputError} from '../../errors.js'
import type {KubeClient, KubeObject} from '../../k8s/client.js'
import {sweepDigest} from '../journal.js'
import {runSweep, type SweepResult} from '../run.js'
import type {LoadedSweep} from '../spec.js'
import {FIELD_MANAGER, gatherChunks} from './chunks.js'
import {type JobOptions, rbacObjects, sweepJob} from './objects.js'
import {encodePayload, JOB_LABEL, PAYLOAD_KEY, refuseFileReferences, specConfigMapName} from './payload.js'

export interface OnClusterOptions {
  shards: number
  parallelism: number
  backoffLimitPerIndex: number
  workersPerPod: number
  image: string
  chunkCells: number
  outDir?: string
  keep?: boolean
  /** Give up following after this long, ms (the Job keeps running; run again to re-attach). */
  timeoutMs?: number
  pollMs?: number
  log?: (line: string) => void
}

export interface OnClusterResult extends SweepResult {
  job: string
  /** Pods that failed and were retried by the Job controller. */
  failedPods: number
  chunks: number
  /** Rows written twice (by two tries of an index) and taken once. */
  duplicates: number
}

interface JobStatus {
  active?: number
  succeeded?: number
  failed?: number
  completedIndexes?: string
  failedIndexes?: string
  conditions?: Array<{type: string; status: string; reason?: string; message?: string}>
}

/** The Job's name: the spec's name and digest, so another spec never re-attaches to it. */
export function jobName(loaded: LoadedSweep): string {
  const slug = loaded.spec.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'sweep'
  return `sweep-${slug}-${sweepDigest(loaded).slice(0, 10)}`.replace(/-+/g, '-')
}

export async function runOnCluster(client: KubeClient, loaded: LoadedSweep, o: OnClusterOptions): Promise<OnClusterResult> {
  refuseFileReferences(loaded)
  const namespace = client.target.namespace
  const name = jobName(loaded)
  const digest = sweepDigest(loaded)
  const jobRef = {apiVersion: 'batch/v1', kind: 'Job', namespace, name}
  type Job = KubeObject & {metadata: {uid: string}; spec: {completions: number}}
  const existing = await client.get<Job>(jobRef)
  if (existing !== null) {
    if (existing.spec.completions !== o.shards) {
      throw new InputError({field: '--shards'}, `Job ${namespace}/${name} already runs this spec in ${existing.spec.completions} shards`, {hint: `use --shards ${existing.spec.completions} to follow it, or delete it`})
    }
    o.log?.(`following the existing Job ${namespace}/${name}`)
  } else {
    for (const object of rbacObjects(namespace)) await client.apply(object, {manager: FIELD_MANAGER, force: true})
    const spec: JobOptions = {name, namespace, image: o.image, shards: o.shards, parallelism: o.parallelism, backoffLimitPerIndex: o.backoffLimitPerIndex, workersPerPod: o.workersPerPod}
    const created = await client.apply<Job>(sweepJob(spec), {manager: FIELD_MANAGER})
    const payload = encodePayload({digest, shards: o.shards, chunkCells: o.chunkCells, jobUid: created.metadata.uid, spec: loaded.spec, base: loaded.base})
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: specConfigMapName(name),
          namespace,
          labels: {'app.kubernetes.io/managed-by': 'fleetcap', [JOB_LABEL]: name},
          ownerReferences: [{apiVersion: 'batch/v1', kind: 'Job', name, uid: created.metadata.uid}],
        },
        data: {[PAYLOAD_KEY]: payload},
      },
      {manager: FIELD_MANAGER, force: true},
    )
    await client.request('PATCH', await client.path('batch/v1', 'Job', namespace, name), `resume Job ${namespace}/${name}`, {
      body: {spec: {suspend: false}},
      contentType: 'application/merge-patch+json',
    })
    o.log?.(`created Job ${namespace}/${name}: ${o.shards} indexes, parallelism ${Math.min(o.parallelism, o.shards)}, backoffLimitPerIndex ${o.backoffLimitPerIndex}`)
  }
  const status = await follow(client, name, o)
  const gathered = await gatherChunks(client, name, digest)
  o.log?.(`gathered ${gathered.rows.length} rows from ${gathered.chunks} chunks${gathered.duplicates > 0 ? ` (${gathered.duplicates} written twice by retried indexes, taken once)` : ''}`)
  const result = await runSweep(loaded, {outDir: o.outDir, gathered: gathered.rows, noCompute: true, workers: 0})
  if (!o.keep) await client.delete(jobRef)
  return {...result, computed: result.cells - result.resumed, resumed: 0, workers: 0, job: name, failedPods: status.failed ?? 0, chunks: gathered.chunks, duplicates: gathered.duplicates}
}

/** Poll the Job's status until it is Complete (or Failed: an error naming the indexes). */
async function follow(client: KubeClient, name: string, o: OnClusterOptions): Promise<JobStatus> {
  const start = Date.now()
  let last = ''
  for (;;) {
    const job = await client.get<KubeObject & {status?: JobStatus}>({apiVersion: 'batch/v1', kind: 'Job', name})
    if (job === null) throw new FleetcapError(`Job ${client.target.namespace}/${name} was deleted while it ran`, {exit: ExitCode.INTERNAL})
    const s = job.status ?? {}
    const line = `Job ${name}: ${s.succeeded ?? 0} indexes done${s.completedIndexes ? ` (${s.completedIndexes})` : ''}, ${s.active ?? 0} running, ${s.failed ?? 0} pods failed${s.failedIndexes ? `, failed indexes ${s.failedIndexes}` : ''}`
    if (line !== last) o.log?.(line)
    last = line
    const cond = (type: string): {reason?: string; message?: string} | undefined => s.conditions?.find((c) => c.type === type && c.status === 'True')
    if (cond('Complete')) return s
    const failed = cond('Failed')
    if (failed) {
      throw new FleetcapError(`Job ${client.target.namespace}/${name} failed (${failed.reason ?? '?'}: ${failed.message ?? ''})${s.failedIndexes ? `; failed indexes: ${s.failedIndexes}` : ''}`, {
        exit: ExitCode.INTERNAL,
        hint: 'the Job and its pods are kept for inspection; delete the Job to start over',
      })
    }
    if (o.timeoutMs !== undefined && Date.now() - start > o.timeoutMs) {
      throw new FleetcapError(`Job ${client.target.namespace}/${name} not finished after ${Math.round(o.timeoutMs / 1000)} s`, {
        exit: ExitCode.INTERNAL,
        hint: 'it keeps running; run the same command again to follow it and merge',
      })
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000))
  }
}
