/**
 * A pod's results travel through the API: every few cells it writes a ConfigMap holding those cells'
 * rows as gzip'd JSON lines (binaryData rows.jsonl.gz), labelled with the Job, the index and the pod,
 * owned by the Job. A chunk is written whole (one server-side apply) or not at all, so a pod killed
 * mid-run leaves only complete chunks. Reading gathers every chunk of a Job (paged), and takes each
 * (cell, run) once: a retried index may have written some cells twice; both copies must agree.
 *
 * Limits: a chunk is kept under 1 MB compressed (a ConfigMap's limit; a chunk that would exceed it is
 * split), ~5-10 k rows; all chunks live in etcd until the Job is deleted (its default quota is 2 GiB).
 */
import {gunzipSync, gzipSync} from 'node:zlib'

import {FleetcapError} from '../../errors.js'
import type {KubeClient, KubeList, KubeObject} from '../../k8s/client.js'
import {canonicalJson} from '../canonical.js'
import type {ResultRow} from '../cell.js'
import {CONFIGMAP_LIMIT_BYTES, DIGEST_ANNOTATION, INDEX_LABEL, JOB_LABEL, POD_LABEL} from './payload.js'

export const ROWS_KEY = 'rows.jsonl.gz'
export const FIELD_MANAGER = 'fleetcap-sweep'

export interface ChunkOwner {
  job: string
  jobUid: string
  namespace: string
  index: number
  pod: string
  digest: string
}

/** The ConfigMaps for these rows (one, or more if one would pass the size limit); `seq` names the first. */
export function chunkObjects(owner: ChunkOwner, seq: number, rows: readonly ResultRow[]): KubeObject[] {
  const text = rows.map((r) => `${canonicalJson(r)}\n`).join('')
  const gz = gzipSync(text, {level: 9})
  if (gz.length > CONFIGMAP_LIMIT_BYTES - 4096 && rows.length > 1) {
    const half = Math.ceil(rows.length / 2)
    const first = chunkObjects(owner, seq, rows.slice(0, half))
    return [...first, ...chunkObjects(owner, seq + first.length, rows.slice(half))]
  }
  if (gz.length > CONFIGMAP_LIMIT_BYTES - 4096) throw new FleetcapError(`one result row of cell ${rows[0]?.cell} takes ${gz.length} bytes compressed; a ConfigMap holds 1 MB`)
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `${owner.pod}-c${seq}`,
        namespace: owner.namespace,
        labels: {[JOB_LABEL]: owner.job, [INDEX_LABEL]: String(owner.index), [POD_LABEL]: owner.pod, 'app.kubernetes.io/managed-by': 'fleetcap'},
        annotations: {[DIGEST_ANNOTATION]: owner.digest},
        ownerReferences: [{apiVersion: 'batch/v1', kind: 'Job', name: owner.job, uid: owner.jobUid}],
      },
      binaryData: {[ROWS_KEY]: gz.toString('base64')},
    },
  ]
}

export interface Gathered {
  /** Each (cell, run) once, in no particular order. */
  rows: ResultRow[]
  chunks: number
  /** Rows read more than once (a retried index's cells) and dropped. */
  duplicates: number
  /** Pods that wrote chunks, by index. */
  podsByIndex: Map<number, Set<string>>
}

/**
 * Every result chunk of a Job (optionally of one index), paged so that no single answer is large.
 * A chunk written for another digest is refused: the Job name is reused by another spec.
 */
export async function gatherChunks(client: KubeClient, job: string, digest: string, index?: number): Promise<Gathered> {
  const selector = `${JOB_LABEL}=${job}${index === undefined ? '' : `,${INDEX_LABEL}=${index}`},${POD_LABEL}`
  const path = await client.path('v1', 'ConfigMap', client.target.namespace)
  const seen = new Map<string, string>()
  const rows: ResultRow[] = []
  const podsByIndex = new Map<number, Set<string>>()
  let chunks = 0
  let duplicates = 0
  let cont: string | undefined
  do {
    const page = await client.request<KubeList>('GET', path, `list the result chunks of Job ${job}`, {query: {labelSelector: selector, limit: 20, continue: cont}})
    for (const cm of page.items) {
      const name = cm.metadata.name
      if (cm.metadata.annotations?.[DIGEST_ANNOTATION] !== digest) throw new FleetcapError(`ConfigMap ${name}: results of another sweep spec under Job ${job}`)
      const data = (cm as KubeObject & {binaryData?: Record<string, string>}).binaryData?.[ROWS_KEY]
      if (data === undefined) throw new FleetcapError(`ConfigMap ${name}: no ${ROWS_KEY}`)
      chunks++
      const i = Number(cm.metadata.labels?.[INDEX_LABEL])
      const pods = podsByIndex.get(i) ?? new Set<string>()
      pods.add(cm.metadata.labels?.[POD_LABEL] ?? '?')
      podsByIndex.set(i, pods)
      for (const line of gunzipSync(Buffer.from(data, 'base64')).toString('utf8').split('\n')) {
        if (line === '') continue
        const row = JSON.parse(line) as ResultRow
        const key = `${row.cell}/${row.run}`
        const before = seen.get(key)
        if (before === undefined) {
          seen.set(key, line)
          rows.push(row)
        } else if (before === line) {
          duplicates++
        } else {
          throw new FleetcapError(`cell ${row.cell} run ${row.run}: two pods wrote different results (ConfigMap ${name}); the simulation is not deterministic`)
        }
      }
    }
    cont = page.metadata.continue || undefined
  } while (cont !== undefined)
  return {rows, chunks, duplicates, podsByIndex}
}
