/** Shards (the Indexed Job's pods) and their merge; the Job manifest. */
import {appendFileSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {runCli} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'
import {GRID_SPEC, tempDir, writeSpec} from './helpers.js'

describe('sharded sweeps', () => {
  it('two shards (one from JOB_COMPLETION_INDEX) merge into the bytes of a single run; a retried cell counts once', async () => {
    const dir = tempDir()
    const spec = writeSpec(dir, GRID_SPEC)
    const s0 = await runCommand(['sweep', spec, '--shard-count', '2', '--shard-index', '0', '--workers', '0', '--out', join(dir, 's0'), '--json'])
    const s1 = runCli(['sweep', spec, '--shard-count', '2', '--workers', '0', '--out', join(dir, 's1'), '--json'], {env: {JOB_COMPLETION_INDEX: '1'}})
    expect(s0.code).toBe(0)
    expect(s1.code).toBe(0)
    expect(JSON.parse(s0.stdout)).toMatchObject({cells: 3, computed: 3})
    const cells1 = readFileSync(join(dir, 's1', 'results.jsonl'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as {cell: number}).cell)
    expect([...new Set(cells1)]).toEqual([1, 3, 5])
    // A second try of index 0 wrote its cells again.
    appendFileSync(join(dir, 's0', 'journal.jsonl'), readFileSync(join(dir, 's0', 'journal.jsonl'), 'utf8'))
    const merged = await runCommand(['sweep', spec, '--workers', '0', '--out', join(dir, 'all'), '--merge', join(dir, 's0'), '--merge', join(dir, 's1'), '--json'])
    expect(merged.code).toBe(0)
    expect(JSON.parse(merged.stdout)).toMatchObject({cells: 6, computed: 0, resumed: 6})
    const single = runCli(['sweep', spec, '--workers', '2', '--out', join(dir, 'single')])
    expect(single.code).toBe(0)
    expect(readFileSync(join(dir, 'all', 'results.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'single', 'results.jsonl'), 'utf8'))
    expect(readFileSync(join(dir, 'all', 'summary.json'), 'utf8')).toBe(readFileSync(join(dir, 'single', 'summary.json'), 'utf8'))
  })

  it('--emit-job prints an Indexed Job whose pods run their shard', async () => {
    const dir = tempDir()
    const r = await runCommand(['sweep', writeSpec(dir, GRID_SPEC), '--emit-job', '4', '--image', 'example/fleetcap:1'])
    expect(r.code).toBe(0)
    const job = parse(r.stdout) as {kind: string; spec: {completionMode: string; completions: number; template: {spec: {containers: {image: string; args: string[]}[]}}}}
    expect(job.kind).toBe('Job')
    expect(job.spec.completionMode).toBe('Indexed')
    expect(job.spec.completions).toBe(4)
    expect(job.spec.template.spec.containers[0].image).toBe('example/fleetcap:1')
    expect(job.spec.template.spec.containers[0].args[0]).toMatch(/--shard-count 4 .*--out \/results\/shard-\$JOB_COMPLETION_INDEX/)
  })
})
