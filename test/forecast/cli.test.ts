import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {runCli, dataPath} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'fleetcap-fc-cli-'))
/** Ten days of hourly load with a daily cycle; row `nanAt` (0-based) has an empty value. */
function fixture(name: string, nanAt?: number): string {
  const start = Date.UTC(2024, 0, 1) / 1000
  const rows = ['timestamp,value']
  for (let i = 0; i < 240; i++) {
    const v = i === nanAt ? '' : (100 + 30 * Math.sin((2 * Math.PI * i) / 24) + ((i * 7919) % 13)).toFixed(2)
    rows.push(`${new Date((start + i * 3600) * 1000).toISOString()},${v}`)
  }
  const p = join(dir, name)
  writeFileSync(p, `${rows.join('\n')}\n`)
  return p
}

describe('fleetcap forecast run', () => {
  it('refuses a missing value by default with the file and line, exit 2', () => {
    const p = fixture('nan.csv', 50)
    const r = runCli(['forecast', 'run', '--series', p])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`Error: ${p}:52: empty or non-numeric value`)
    expect(r.stderr).toContain('Hint: use --gaps fill')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('fills it with --gaps fill, writes the CSV and prints JSON with every quantile', () => {
    const p = fixture('nan2.csv', 50)
    const out = join(dir, 'f.csv')
    const r = runCli(['forecast', 'run', '--series', p, '--gaps', 'fill', '--horizon', '1d', '--model', 'ets', '--out', out, '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.model).toBe('ets')
    expect(Object.keys(j.quantiles)).toEqual(['p50', 'p90', 'p99'])
    expect(j.quantiles.p99).toHaveLength(24)
    // Ten days: two daily seasons, not two weekly ones; the weekly seasonality is dropped with a warning.
    expect(j.warnings.join()).toMatch(/needs two full seasons; 240 points is less than 2×168, so only seasonality 24 is fitted/)
    expect(j.input.points).toBe(240)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('timestamp,p50,p90,p99')
    expect(lines).toHaveLength(25)
    expect(lines[1].startsWith('2024-01-11T00:00:00Z,')).toBe(true)
  })

  it('trains the neural model on the backend asked for and reports it; a missing native backend is exit 2', () => {
    const p = fixture('nn.csv')
    const r = runCli(['forecast', 'run', '--series', p, '--model', 'nbeats', '--backend', 'cpu', '--epochs', '2', '--horizon', '12h', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.backend.used).toBe('cpu')
    expect(j.model).toBe('nbeats')
    expect(j.params.backend).toBe('cpu')
    const w = runCli(['forecast', 'run', '--series', p, '--model', 'nbeats', '--backend', 'wasm', '--epochs', '1', '--horizon', '12h'])
    expect(w.code).toBe(0)
    expect(w.stderr).toContain('backend: wasm')
    const auto = runCli(['forecast', 'run', '--series', p, '--model', 'nbeats', '--epochs', '1', '--horizon', '12h'])
    expect(auto.code).toBe(0)
    expect(auto.stderr).toMatch(/backend tensorflow-gpu skipped: \S+|backend: tensorflow-gpu/)
  })

  it('saves a model and never overwrites a directory it did not write', () => {
    const p = fixture('save.csv')
    const mine = join(dir, 'users-dir')
    mkdirSync(mine)
    writeFileSync(join(mine, 'precious.txt'), 'keep')
    const bad = runCli(['forecast', 'run', '--series', p, '--model', 'seasonal-naive', '--save-model', mine])
    expect(bad.code).toBe(2)
    expect(readFileSync(join(mine, 'precious.txt'), 'utf8')).toBe('keep')
    const good = join(dir, 'model')
    expect(runCli(['forecast', 'run', '--series', p, '--model', 'seasonal-naive', '--save-model', good]).code).toBe(0)
    expect(existsSync(join(good, 'fleetcap-model.json'))).toBe(true)
  })

  it('names an unknown model and a missing input', () => {
    const r = runCli(['forecast', 'run', '--series', fixture('x.csv'), '--model', 'prophet'])
    expect(r.code).toBe(2)
    const none = runCli(['forecast', 'run'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no input: give --series FILE/)
    const two = runCli(['forecast', 'run', '--series', 'a.csv', '--trace', 'b.csv'])
    expect(two.code).toBe(2)
    expect(two.stderr).toContain('Error: give one input, not --series and --trace')
    const noQuery = runCli(['forecast', 'run', '--prometheus', 'http://127.0.0.1:1'])
    expect(noQuery.stderr).toContain('Error: --query: a PromQL query is needed with --prometheus')
    const badHorizon = runCli(['forecast', 'run', '--series', fixture('h.csv'), '--horizon', '45m'])
    expect(badHorizon.code).toBe(2)
    expect(badHorizon.stderr).toContain('Error: --horizon: 45m is not a whole number of 3600 s steps')
  })
})

describe('fleetcap forecast backtest', () => {
  it('prints MASE, sMAPE, pinball and coverage per model and the best', () => {
    const r = runCli(['forecast', 'backtest', '--m4', dataPath('traces', 'm4_hourly_train.csv'), '--limit', '3', '--models', 'seasonal-naive,ets'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/3 series, 1 window\(s\) of 48 steps held out/)
    expect(r.stdout).toMatch(/MASE\s+sMAPE%\s+pinball\s+cov\[P5,P95\]/)
    expect(r.stdout).toMatch(/^seasonal-naive\s+\d+\.\d{3}/m)
    expect(r.stdout).toMatch(/^best: (seasonal-naive|ets)$/m)
    const j = JSON.parse(runCli(['forecast', 'backtest', '--series', fixture('bt.csv'), '--holdout', '1d', '--origins', '2', '--models', 'seasonal-naive,linear', '--json']).stdout)
    expect(j.scores).toHaveLength(2)
    expect(j.scores[0].points).toBe(48)
    expect(j.scores[0].coverage90).toBeGreaterThanOrEqual(0)
  })
})
