/**
 * `fleetcap sweep`: determinism across worker threads and a real kill on the built CLI (the worker
 * script is compiled: dist/src/sweep/worker.js); the rest in process on --workers 0.
 */
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT, runCli} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'
import {GRID_SPEC, tempDir, writeSpec} from './helpers.js'

interface SweepJson<Cell = {cell: number}> {
  cells: number
  computed: number
  resumed: number
  workers: number
  summary: {cellMeans: Cell[]; pareto: {cells: number[]}; sensitivity: {factor: string; metric: string; range: number | null}[]}
}

describe('fleetcap sweep', () => {
  it('gives byte-identical results.jsonl and summary.json at 1, 2 and 3 workers', () => {
    const dir = tempDir()
    const spec = writeSpec(dir, GRID_SPEC)
    const outs: string[] = []
    for (const w of [1, 2, 3]) {
      const out = join(dir, `w${w}`)
      const r = runCli(['sweep', spec, '--workers', String(w), '--out', out, '--json'])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const j = JSON.parse(r.stdout) as SweepJson
      expect(j).toMatchObject({cells: 6, computed: 6, resumed: 0, workers: w})
      outs.push(out)
    }
    const results = outs.map((o) => readFileSync(join(o, 'results.jsonl'), 'utf8'))
    const summaries = outs.map((o) => readFileSync(join(o, 'summary.json'), 'utf8'))
    expect(results[1]).toBe(results[0])
    expect(results[2]).toBe(results[0])
    expect(summaries[1]).toBe(summaries[0])
    expect(summaries[2]).toBe(summaries[0])
    // One line per cell × seed, sorted by cell then run, keys in canonical order.
    const lines = results[0].trimEnd().split('\n')
    expect(lines).toHaveLength(12)
    const rows = lines.map((l) => JSON.parse(l) as {cell: number; run: number; seed: number; factors: {servers: number; rate: number}})
    expect(rows.map((r) => [r.cell, r.run])).toEqual([...Array(12).keys()].map((i) => [Math.floor(i / 2), i % 2]))
    expect(Object.keys(JSON.parse(lines[0]) as object)).toEqual(['cell', 'factors', 'metrics', 'run', 'seed'])
    expect(rows[0].factors).toEqual({rate: 2.5, servers: 4})
    expect(rows[11].factors).toEqual({rate: 3.2, servers: 6})
    // The seeds of a cell's runs differ, and so do their results.
    expect(rows[0].seed).not.toBe(rows[1].seed)
  })

  it('prints the cell table, the Pareto front and the sensitivity; more servers cost more and wait less', async () => {
    const dir = tempDir()
    const r = await runCommand(['sweep', writeSpec(dir, GRID_SPEC), '--workers', '0', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout) as SweepJson<{cell: number; factors: {servers: number; rate: number}; means: {costUsd: number; queueWaitP95S: number}}>
    const at = (servers: number, rate: number) => j.summary.cellMeans.find((c) => c.factors.servers === servers && c.factors.rate === rate)!.means
    expect(at(6, 3.2).costUsd).toBeGreaterThan(at(4, 3.2).costUsd)
    expect(at(6, 3.2).queueWaitP95S).toBeLessThan(at(4, 3.2).queueWaitP95S)
    // The front is cost-ascending with latency strictly falling.
    const front = j.summary.pareto.cells.map((c) => j.summary.cellMeans.find((m) => m.cell === c)!.means)
    expect(front.length).toBeGreaterThan(0)
    for (let i = 1; i < front.length; i++) {
      expect(front[i].costUsd).toBeGreaterThanOrEqual(front[i - 1].costUsd)
      expect(front[i].queueWaitP95S).toBeLessThan(front[i - 1].queueWaitP95S)
    }
    const wait = j.summary.sensitivity.find((e) => e.factor === 'servers' && e.metric === 'queueWaitP95S')
    expect(wait?.range).toBeGreaterThan(0)
    const text = await runCommand(['sweep', writeSpec(dir, GRID_SPEC, 'b.yaml'), '--workers', '0'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/Pareto front: costUsd against queueWaitP95S/)
    expect(text.stdout).toMatch(/Sensitivity/)
  })

  it('resumes from the journal: a torn last line is dropped, finished cells are not recomputed', async () => {
    const dir = tempDir()
    const spec = writeSpec(dir, GRID_SPEC)
    const full = join(dir, 'full')
    expect((await runCommand(['sweep', spec, '--workers', '0', '--out', full])).code).toBe(0)
    const expected = readFileSync(join(full, 'results.jsonl'), 'utf8')
    // An interrupted run: the sweep's manifest, three finished cells and half of the fourth's line.
    const part = join(dir, 'part')
    const first = await runCommand(['sweep', spec, '--workers', '0', '--out', part])
    expect(first.code).toBe(0)
    const journal = readFileSync(join(part, 'journal.jsonl'), 'utf8').split('\n')
    const kept = journal.filter((l) => l !== '' && [0, 2, 4].includes((JSON.parse(l) as {cell: number}).cell))
    writeFileSync(join(part, 'journal.jsonl'), `${kept.join('\n')}\n${journal[6].slice(0, 40)}`)
    writeFileSync(join(part, 'results.jsonl'), 'stale\n')
    const r = await runCommand(['sweep', spec, '--workers', '0', '--out', part, '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout) as SweepJson).toMatchObject({cells: 6, computed: 3, resumed: 3})
    expect(readFileSync(join(part, 'results.jsonl'), 'utf8')).toBe(expected)
    // And once more: nothing left to compute.
    const again = JSON.parse((await runCommand(['sweep', spec, '--workers', '0', '--out', part, '--json'])).stdout) as SweepJson
    expect(again).toMatchObject({computed: 0, resumed: 6})
  })

  it('after a real kill, the re-run computes exactly the cells the journal lacks', async () => {
    const dir = tempDir()
    const spec = writeSpec(dir, GRID_SPEC.replace('duration: 20m', 'duration: 2h'))
    const out = join(dir, 'out')
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sweep', spec, '--workers', '1', '--out', out], {stdio: 'ignore'})
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    const journalPath = join(out, 'journal.jsonl')
    const cellsIn = () =>
      existsSync(journalPath)
        ? new Set(
            readFileSync(journalPath, 'utf8')
              .split('\n')
              .filter((l) => l.endsWith('}'))
              .map((l) => (JSON.parse(l) as {cell: number}).cell),
          ).size
        : 0
    while (cellsIn() < 2 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20))
    child.kill('SIGKILL')
    await exited
    const before = cellsIn()
    expect(before).toBeGreaterThanOrEqual(2)
    expect(before).toBeLessThan(6)
    expect(existsSync(join(out, 'results.jsonl'))).toBe(false)
    const r = runCli(['sweep', spec, '--workers', '2', '--out', out, '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout) as SweepJson).toMatchObject({cells: 6, computed: 6 - before, resumed: before})
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(12)
  })

  it("refuses an output directory written for another spec, and one that is the user's", async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    expect((await runCommand(['sweep', writeSpec(dir, GRID_SPEC), '--workers', '0', '--out', out])).code).toBe(0)
    const other = writeSpec(dir, GRID_SPEC.replace('seed: 5', 'seed: 6'), 'other.yaml')
    const r = await runCommand(['sweep', other, '--workers', '0', '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/different sweep spec/)
    // A directory of the user's (the specs and a note, no fleetcap marker): refused, left as it was.
    writeSpec(dir, 'mine', 'notes.txt')
    const r2 = await runCommand(['sweep', other, '--workers', '0', '--out', dir])
    expect(r2.code).not.toBe(0)
    expect(r2.stderr).toMatch(/not written by fleetcap/)
    expect(existsSync(join(dir, 'journal.jsonl'))).toBe(false)
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine')
  })
})

describe('bad sweep specs', () => {
  const bad = async (text: string): Promise<{code: number; stderr: string}> => {
    const dir = tempDir()
    return runCommand(['sweep', writeSpec(dir, text), '--workers', '0'])
  }

  it('--timeout is a duration (old name --timeout-s, deprecated); a bad one names the flag', async () => {
    const spec = writeSpec(tempDir(), GRID_SPEC)
    const r = await runCommand(['sweep', spec, '--timeout', 'soon'])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('Error: --timeout: "soon" is not a duration (e.g. 500ms, 90s, 15m, 2h, 1d, 1h30m; a bare number is seconds)')
    const zero = await runCommand(['sweep', spec, '--timeout-s', '0'])
    expect(zero.code).toBe(2)
    expect(zero.stderr.split('\n')[0]).toBe('Error: --timeout: must be at least 1 s (got 0)')
    const old = await runCommand(['sweep', spec, '--workers', '0', '--timeout-s', '60'])
    expect(old.code, old.stderr).toBe(0)
    expect(old.stderr).toMatch(/"--timeout-s" flag has been deprecated\. Use\s.*"--timeout"/s)
  })

  it('an unknown field: file:line:column and the field, exit 2, no stack', async () => {
    const r = await bad(GRID_SPEC.replace('seedsPerCell: 2', 'seedsPerCel: 2'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/spec\.yaml:\d+:\d+: .*unknown field "seedsPerCel"/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a grid factor with a range, a random design without samples', async () => {
    const r = await bad(GRID_SPEC.replace('values: [2.5, 3.2]', 'range: [2, 3]'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/spec\.yaml:\d+:\d+: factors\.1\.range: a grid needs values/)
    const r2 = await bad(GRID_SPEC.replace('design: grid', 'design: lhs'))
    expect(r2.code).toBe(2)
    expect(r2.stderr).toMatch(/samples: design lhs needs samples/)
  })

  it('an unknown metric and a malformed factor path', async () => {
    const r = await bad(GRID_SPEC.replace('metrics: [costUsd', 'metrics: [costUSD'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/spec\.yaml:\d+:\d+: metrics\.0: /)
    const r2 = await bad(GRID_SPEC.replace('path: workload.ratePerS', 'path: workload..ratePerS'))
    expect(r2.code).toBe(2)
    expect(r2.stderr).toMatch(/factors\.1\.path: must be a dotted scenario field path/)
  })

  it('an invalid inline base scenario names its line in the spec', async () => {
    const r = await bad(GRID_SPEC.replace('servers: 4, pricePerHourUsd', 'servers: -4, pricePerHourUsd'))
    expect(r.code).toBe(2)
    // The pool's servers field is on line 15, column 40 of the spec.
    expect(r.stderr).toMatch(/spec\.yaml:15:40: base\.fleet\.pools\.0\.servers: Too small/)
  })

  it("a factor value that makes a cell's scenario invalid names the cell and the field", async () => {
    const r = await bad(GRID_SPEC.replace('values: [4, 5, 6]', 'values: [4, -1]'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/cell 2: fleet\.pools\.0\.servers: .*servers=-1/)
    const r2 = await bad(GRID_SPEC.replace('path: workload.ratePerS', 'path: workloads.ratePerS'))
    expect(r2.code).toBe(2)
    expect(r2.stderr).toMatch(/factors: workloads\.ratePerS: the base scenario has no workloads/)
  })
})
