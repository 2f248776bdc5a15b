/**
 * One pod of a sweep's Indexed Job (`fleetcap sweep --worker JOB`): read the spec from the Job's
 * ConfigMap, take the cells of this index (cell % shards == JOB_COMPLETION_INDEX), skip those an
 * earlier try of the same index already wrote, simulate the rest and write their rows in chunks as
 * they finish. A pod killed mid-run loses only the cells since its last chunk.
 */
import {randomBytes} from 'node:crypto'

import {FleetcapError, InputError} from '../../errors.js'
import type {KubeClient, KubeObject} from '../../k8s/client.js'
import type {ResultRow} from '../cell.js'
import {expandCells} from '../design.js'
import {runCells} from '../pool.js'
import {type ChunkOwner, chunkObjects, FIELD_MANAGER, gatherChunks} from './chunks.js'
import {decodePayload, PAYLOAD_KEY, specConfigMapName} from './payload.js'

export interface PodOptions {
  job: string
  index: number
  /** This pod's name (POD_NAME from the downward API); names its chunks. */
  pod?: string
  workers: number
  /** Write a chunk at least this often, ms, even if it holds fewer cells. */
  flushEveryMs?: number
  log?: (line: string) => void
}

export interface PodResult {
  cells: number
  computed: number
  resumed: number
  chunks: number
}

export async function runPodShard(client: KubeClient, o: PodOptions): Promise<PodResult> {
  const where = `ConfigMap ${client.target.namespace}/${specConfigMapName(o.job)}`
  const cm = await client.get<KubeObject & {data?: Record<string, string>}>({apiVersion: 'v1', kind: 'ConfigMap', name: specConfigMapName(o.job)})
  const text = cm?.data?.[PAYLOAD_KEY]
  if (text === undefined) throw new FleetcapError(`${where}: not found or has no ${PAYLOAD_KEY}`)
  const payload = decodePayload(text, where)
  if (o.index >= payload.shards) throw new InputError({field: 'JOB_COMPLETION_INDEX'}, `${o.index} is not below the Job's ${payload.shards} shards`)
  // A cell counts as written when all its runs are (a split chunk may hold part of one).
  const runsByCell = new Map<number, number>()
  for (const r of (await gatherChunks(client, o.job, payload.digest, o.index)).rows) runsByCell.set(r.cell, (runsByCell.get(r.cell) ?? 0) + 1)
  const done = new Set([...runsByCell].filter(([, n]) => n === payload.spec.seedsPerCell).map(([cell]) => cell))
  const mine = expandCells(payload.spec).filter((c) => c.index % payload.shards === o.index)
  const todo = mine.filter((c) => !done.has(c.index))
  const resumed = mine.length - todo.length
  o.log?.(`index ${o.index}: ${mine.length} cells, ${resumed} written by an earlier try, ${todo.length} to simulate`)
  const owner: ChunkOwner = {
    job: o.job,
    jobUid: payload.jobUid,
    namespace: client.target.namespace,
    index: o.index,
    pod: o.pod ?? `${o.job}-${o.index}-${randomBytes(3).toString('hex')}`,
    digest: payload.digest,
  }
  let seq = 0
  let buffer: ResultRow[] = []
  let cellsInBuffer = 0
  let lastFlush = Date.now()
  let writing: Promise<void> = Promise.resolve()
  let failure: Error | undefined
  const flush = (): void => {
    if (buffer.length === 0) return
    const objects = chunkObjects(owner, seq, buffer)
    seq += objects.length
    buffer = []
    cellsInBuffer = 0
    lastFlush = Date.now()
    // Chunks are written one after another, in order; the first failure stops the pod.
    writing = writing.then(async () => {
      for (const object of objects) await client.apply(object, {manager: FIELD_MANAGER, force: true})
      o.log?.(`index ${o.index}: wrote ${objects.map((x) => x.metadata.name).join(', ')}`)
    })
    writing.catch((error: unknown) => (failure ??= error instanceof Error ? error : new Error(String(error))))
  }
  await runCells({spec: payload.spec, base: payload.base, baseDir: process.cwd()}, todo, {
    workers: o.workers,
    onCell: (rows) => {
      if (failure !== undefined) throw failure
      buffer.push(...rows)
      cellsInBuffer++
      if (cellsInBuffer >= payload.chunkCells || Date.now() - lastFlush >= (o.flushEveryMs ?? 10_000)) flush()
    },
  })
  flush()
  await writing
  return {cells: mine.length, computed: todo.length, resumed, chunks: seq}
}
