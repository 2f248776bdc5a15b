import {writeFileSync, renameSync} from 'node:fs'

import type {ControlPlane} from '../k8s/control-plane.js'
import {generateCases, type DiffCase} from './cases.js'
import {replay, runInCluster, type CaseResult} from './harness.js'

export interface DifferentialSummary {
  seed: number
  cases: number
  syncs: number
  identicalSyncs: number
  identicalCases: number
  results: CaseResult[]
}

/** Generate COUNT cases from SEED, run them in the cluster (BATCH at a time), replay and compare. */
export async function runDifferential(
  cp: ControlPlane,
  options: {seed: number; count: number; batch?: number; prefix?: string; log?: (s: string) => void},
): Promise<{summary: DifferentialSummary; cases: DiffCase[]}> {
  const cases = generateCases(options.seed, options.count, options.prefix)
  const batch = options.batch ?? cases.length
  // A batch lasts as long as its longest case (series of 25-108 s): batched by duration, the short
  // cases share a batch instead of each batch waiting on a long one. The cases, their HPAs and the
  // batch size are the same; only which cases run side by side changes.
  const byDuration = [...cases].sort((a, b) => a.durationS - b.durationS || a.id - b.id)
  const results: CaseResult[] = []
  for (let i = 0; i < byDuration.length; i += batch) {
    const part = byDuration.slice(i, i + batch)
    options.log?.(`cases ${i}..${i + part.length - 1}`)
    const run = await runInCluster(cp, part, options.log)
    if (process.env.HPA_DIFF_RAW) {
      // The raw recordings, to look into a difference.
      const raw = {...run, created: Object.fromEntries(run.created), reads: Object.fromEntries(run.reads), scaleWrites: Object.fromEntries(run.scaleWrites ?? [])}
      writeFileSync(`${process.env.HPA_DIFF_RAW}.${i}.json`, JSON.stringify(raw))
    }
    for (const c of part) results.push(replay(c, run))
  }
  results.sort((a, b) => a.id - b.id)
  const syncs = results.reduce((n, r) => n + r.syncs.length, 0)
  const identicalSyncs = results.reduce((n, r) => n + r.agree, 0)
  return {
    cases,
    summary: {
      seed: options.seed,
      cases: results.length,
      syncs,
      identicalSyncs,
      identicalCases: results.filter((r) => r.differences.length === 0).length,
      results,
    },
  }
}

/** Write the summary as JSON (temp file + rename). */
export function writeSummary(file: string, summary: DifferentialSummary, cases: readonly DiffCase[]): void {
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, `${JSON.stringify({...summary, caseDefinitions: cases}, null, 1)}\n`)
  renameSync(tmp, file)
}
