/**
 * `fleetcap simulate`: in-process (test/helpers/run-command.ts), and once end to end through the
 * built entry point.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT, runCli} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'

const MMC = join(ROOT, 'scenarios', 'mmc-erlang-c.yaml')

describe('fleetcap simulate', () => {
  it('prints a summary table and exits 0 (the built CLI, end to end)', () => {
    const r = runCli(['simulate', MMC])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/queue wait/)
    expect(r.stdout).toMatch(/servers/)
  })

  it('--json prints the report only; --seed changes it', async () => {
    const a = await runCommand(['simulate', MMC, '--json'])
    expect(a.code).toBe(0)
    const report = JSON.parse(a.stdout) as {kind: string; scenario: {seed: number}; latency: {overall: {queueWaitS: {meanS: number}}}}
    expect(report.kind).toBe('SimulationReport')
    // Erlang C: 0.7455 s for M/M/4 at ρ = 0.8.
    expect(Math.abs(report.latency.overall.queueWaitS.meanS - 0.7455) / 0.7455).toBeLessThan(0.1)
    const b = await runCommand(['simulate', MMC, '--json', '--seed', '9'])
    expect((JSON.parse(b.stdout) as {scenario: {seed: number}}).scenario.seed).toBe(9)
    expect(b.stdout).not.toBe(a.stdout)
  })

  it('--out writes report.json, timeseries.csv, summary.txt and index.html, byte-identical across runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-sim-'))
    const one = await runCommand(['simulate', MMC, '--out', join(dir, 'one')])
    const two = await runCommand(['simulate', MMC, '--out', join(dir, 'two')])
    expect(one.code).toBe(0)
    expect(two.code).toBe(0)
    for (const f of ['report.json', 'timeseries.csv', 'summary.txt', 'index.html']) {
      expect(readFileSync(join(dir, 'one', f), 'utf8')).toBe(readFileSync(join(dir, 'two', f), 'utf8'))
    }
    const csv = readFileSync(join(dir, 'one', 'timeseries.csv'), 'utf8').split('\n')
    expect(csv[0]).toMatch(/^time_s,queue_depth,in_flight/)
    expect(csv.length).toBeGreaterThan(50)
    // It refuses to write into a directory fleetcap did not write.
    writeFileSync(join(dir, 'mine.txt'), 'x')
    const refused = await runCommand(['simulate', MMC, '--out', dir])
    expect(refused.code).toBe(2)
  })

  it('--check-slo exits 3 when an SLO fails, 0 without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-sim-'))
    const file = join(dir, 'tight.yaml')
    writeFileSync(file, `${readFileSync(MMC, 'utf8')}slo: {queueWaitP95S: 0.01}\n`)
    const plain = await runCommand(['simulate', file])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(/FAIL/)
    const checked = await runCommand(['simulate', file, '--check-slo'])
    expect(checked.code).toBe(3)
    expect(checked.stderr).toMatch(/SLO not met: queue wait p95/)
  })

  it('a bad scenario gives one line with file, line and field, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-sim-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, readFileSync(MMC, 'utf8').replace('servers: 4', 'servers: -4'))
    const r = await runCommand(['simulate', file])
    expect(r.code).toBe(2)
    const first = r.stderr.split('\n')[0]
    expect(first).toMatch(/^Error: .*bad\.yaml:\d+:\d+: fleet\.pools\.0\.servers: /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('--trace replays a trace file (relative to the working directory) instead of the workload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-sim-'))
    const rows = ['TIMESTAMP,ContextTokens,GeneratedTokens']
    for (let i = 0; i < 50; i++) rows.push(`2023-11-16 18:15:${String(10 + Math.floor(i / 2)).padStart(2, '0')}.${String(i % 2 ? 5 : 0).padEnd(7, '0')},${200 + i * 10},${20 + i}`)
    writeFileSync(join(dir, 'mini.csv'), rows.join('\n'))
    // The working directory is the test's (vitest runs each file in its own process): put it back after.
    const cwd = process.cwd()
    process.chdir(dir)
    let r
    try {
      r = await runCommand(['simulate', join(ROOT, 'scenarios', 'hetero-a100-v100.yaml'), '--trace', 'mini.csv', '--json'])
    } finally {
      process.chdir(cwd)
    }
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as {tasks: {arrived: number}; calls: {inputTokens: number}; scenario: {workload: string}}
    expect(report.tasks.arrived).toBe(50)
    expect(report.calls.inputTokens).toBe(rows.slice(1).reduce((s, row) => s + Number(row.split(',')[1]), 0))
    expect(report.scenario.workload).toBe('trace (--trace)')
  })

  it('an unknown GPU is reported at the pool\'s line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetcap-sim-'))
    const file = join(dir, 'gpu.yaml')
    writeFileSync(file, readFileSync(join(ROOT, 'scenarios', 'hetero-a100-v100.yaml'), 'utf8').replace('gpu: A100-80GB', 'gpu: A1000'))
    const r = await runCommand(['simulate', file])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toMatch(/gpu\.yaml:\d+:\d+: fleet\.pools\.0: pool "a100": unknown GPU "A1000"; known: .*A100-80GB/)
  })

  it('a missing scenario file exits 2', async () => {
    const r = await runCommand(['simulate', 'nope.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/nope\.yaml: no such file/)
  })
})
