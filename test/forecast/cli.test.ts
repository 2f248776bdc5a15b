import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it, vi} from 'vitest'

import {forecastBacktestFlags, forecastRunFlags} from '../../src/forecast/cli-flags.js'
import {seriesInputFromFlags} from '../../src/forecast/input-flags.js'
import {ROOT, runCli} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'

// The commands run in this process (runCommand); the neural backends and the topic's help spawn the
// built CLI (a backend is chosen once per process; help is the entry point's). On a shared 2-core
// machine one spawn can take half a minute.
vi.setConfig({testTimeout: 600_000})

/** The vendored public data (data/). */
const dataPath = (...parts: string[]): string => join(ROOT, 'data', ...parts)

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
  it('refuses a missing value by default with the file and line, exit 2', async () => {
    const p = fixture('nan.csv', 50)
    const r = await runCommand(['forecast', 'run', '--series', p])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`Error: ${p}:52: empty or non-numeric value`)
    expect(r.stderr).toContain('Hint: use --gaps fill')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('fills it with --gaps fill, writes the CSV and prints JSON with every quantile', async () => {
    const p = fixture('nan2.csv', 50)
    const out = join(dir, 'f.csv')
    const r = await runCommand(['forecast', 'run', '--series', p, '--gaps', 'fill', '--horizon', '1d', '--model', 'ets', '--out', out, '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.model).toBe('ets')
    expect(Object.keys(j.quantiles)).toEqual(['p50', 'p90', 'p99'])
    expect(j.quantiles.p99).toHaveLength(24)
    // Ten days: two daily seasons, not two weekly ones; the weekly seasonality is dropped with a warning.
    expect(j.warnings.join()).toMatch(/needs two full seasons; the history of 240 points is shorter than 2×168, so only seasonality 24 is fitted/)
    expect(j.input.points).toBe(240)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('timestamp,p50,p90,p99')
    expect(lines).toHaveLength(25)
    expect(lines[1].startsWith('2024-01-11T00:00:00Z,')).toBe(true)
  })

  it('trains the neural model on the backend asked for and reports it; a missing native backend is exit 2', async () => {
    // The CPU backend runs in this process; wasm and auto are each chosen in a fresh process (spawned).
    const p = fixture('nn.csv')
    const small = ['--max-steps', '2', '--hidden-units', '8', '--batch-size', '16']
    const r = await runCommand(['forecast', 'run', '--series', p, '--model', 'nbeats', '--backend', 'cpu', ...small, '--horizon', '12h', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.backend.used).toBe('cpu')
    expect(j.model).toBe('nbeats')
    expect(j.params.backend).toBe('cpu')
    // The combination with ETS, over an ensemble of two networks, says what it is.
    const c = await runCommand(['forecast', 'run', '--series', p, '--model', 'ets-nbeats', '--members', '2', '--backend', 'cpu', ...small, '--horizon', '12h', '--json'])
    expect(c.code).toBe(0)
    const cj = JSON.parse(c.stdout)
    expect(cj.model).toBe('ets-nbeats')
    expect(cj.params).toMatchObject({'nbeats.members': 2, 'nbeats.scaling': 'log', weights: 'ets 0.5, nbeats 0.5'})
    const w = runCli(['forecast', 'run', '--series', p, '--model', 'nbeats', '--backend', 'wasm', ...small, '--horizon', '12h'])
    expect(w.code).toBe(0)
    expect(w.stderr).toContain('backend: wasm')
    const auto = runCli(['forecast', 'run', '--series', p, '--model', 'nbeats', ...small, '--horizon', '12h'])
    expect(auto.code).toBe(0)
    expect(auto.stderr).toMatch(/backend tensorflow-gpu skipped: \S+|backend: tensorflow-gpu/)
    expect(auto.stdout).toMatch(/^model nbeats /m)
    // Too short to train: exit 2 naming why, never a forecast by another model under its name.
    const short = join(dir, 'short.csv')
    writeFileSync(short, readFileSync(p, 'utf8').split('\n').slice(0, 41).join('\n') + '\n')
    const refused = await runCommand(['forecast', 'run', '--series', short, '--model', 'nbeats', '--backend', 'cpu', ...small, '--horizon', '1d'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^Error: --model: nbeats cannot train: the longest history has 40 points/m)
    expect(refused.stdout).toBe('')
  })

  it('saves a model and never overwrites a directory it did not write', async () => {
    const p = fixture('save.csv')
    const mine = join(dir, 'users-dir')
    mkdirSync(mine)
    writeFileSync(join(mine, 'precious.txt'), 'keep')
    const bad = await runCommand(['forecast', 'run', '--series', p, '--model', 'seasonal-naive', '--save-model', mine])
    expect(bad.code).toBe(2)
    expect(readFileSync(join(mine, 'precious.txt'), 'utf8')).toBe('keep')
    const good = join(dir, 'model')
    expect((await runCommand(['forecast', 'run', '--series', p, '--model', 'seasonal-naive', '--save-model', good])).code).toBe(0)
    expect(existsSync(join(good, 'fleetcap-model.json'))).toBe(true)
  })

  it('names an unknown model and a missing input', async () => {
    const r = await runCommand(['forecast', 'run', '--series', fixture('x.csv'), '--model', 'prophet'])
    expect(r.code).toBe(2)
    const none = await runCommand(['forecast', 'run'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no input: give --series FILE/)
    const two = await runCommand(['forecast', 'run', '--series', 'a.csv', '--trace', 'b.csv'])
    expect(two.code).toBe(2)
    expect(two.stderr).toContain('Error: give one input, not --series and --trace')
    const noQuery = await runCommand(['forecast', 'run', '--prometheus', 'http://127.0.0.1:1'])
    expect(noQuery.stderr).toContain('Error: --query: a PromQL query is needed with --prometheus')
    const badHorizon = await runCommand(['forecast', 'run', '--series', fixture('h.csv'), '--horizon', '45m'])
    expect(badHorizon.code).toBe(2)
    expect(badHorizon.stderr).toContain('Error: --horizon: 45m is not a whole number of 3600 s steps')
  })

  it('each new kind of flag value refuses a bad one in one line naming the flag, exit 2', async () => {
    const p = fixture('kinds.csv')
    for (const [args, message] of [
      [['--horizon', '0'], /^Error: --horizon: must be at least one step, got 0\n/],
      [['--horizon', 'tomorrow'], /^Error: --horizon: "tomorrow" is neither a number of steps nor a duration/],
      [['--quantiles', '0.5,1.5'], /^Error: --quantiles: "1\.5" is not a level between 0 and 1/],
      [['--seasonality', '1d,90m'], /^Error: --seasonality: 90m is not a whole number of 3600 s steps\n/],
      [['--candidates', 'ets,prophet'], /^Error: --candidates: unknown model "prophet"; known: seasonal-naive, ets/],
      [['--step', 'hourly'], /^Error: --step: "hourly" is not a duration/],
    ] as const) {
      const r = await runCommand(['forecast', 'run', '--series', p, '--model', 'seasonal-naive', ...args])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    const bt = await runCommand(['forecast', 'backtest', '--series', p, '--models', 'ets,auto,prophet'])
    expect(bt.stderr).toMatch(/^Error: --models: unknown model "prophet"; known: auto, seasonal-naive/)
    const both = await runCommand(['forecast', 'backtest', '--m4', p, '--wide', p])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/^Error: .*--(m4|wide)/)
  })

  it('--out - writes only the CSV to stdout; every human line goes to stderr (the real stdout: spawned)', () => {
    const r = runCli(['forecast', 'run', '--series', fixture('stdout.csv'), '--model', 'seasonal-naive', '--horizon', '6', '--out', '-'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toBe('timestamp,p50,p90,p99')
    expect(lines).toHaveLength(7)
    expect(lines.slice(1).every((l) => /^2024-01-11T0\d:00:00Z(,[\d.]+){3}$/.test(l))).toBe(true)
    expect(r.stderr).toMatch(/^model seasonal-naive /m)
    expect(r.stderr).toMatch(/^timestamp\tp50\tp90\tp99$/m)
  })

  it("run and backtest share one definition of each common flag; --since is 28 days back, as plan's", () => {
    const shared = Object.keys(forecastRunFlags).filter((k) => k in forecastBacktestFlags)
    expect(shared).toEqual(
      expect.arrayContaining(['series', 'wide', 'trace', 'prometheus', 'query', 'since', 'until', 'step', 'gaps', 'mask', 'candidates', 'seasonality', 'seed', 'backend', 'auto-method', 'members']),
    )
    for (const k of shared.filter((name) => name !== 'out' && name !== 'html')) {
      expect(forecastRunFlags[k as keyof typeof forecastRunFlags], k).toBe(forecastBacktestFlags[k as keyof typeof forecastBacktestFlags])
    }
    expect(forecastRunFlags.since.default).toBe(28 * 86_400)
    const nowS = Date.UTC(2024, 0, 29) / 1000
    const input = seriesInputFromFlags({prometheus: 'http://127.0.0.1:9090', query: 'up', step: 300}, nowS)
    expect(input).toMatchObject({kind: 'prometheus', endS: nowS, startS: nowS - 28 * 86_400, stepS: 300})
  })
})

describe('fleetcap forecast backtest', () => {
  it('prints MASE, sMAPE, pinball and coverage per model and the best', async () => {
    const r = await runCommand(['forecast', 'backtest', '--m4', dataPath('traces', 'm4_hourly_train.csv'), '--limit', '3', '--models', 'seasonal-naive,ets'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/3 series, 1 window\(s\) of 48 steps held out/)
    expect(r.stdout).toMatch(/MASE\s+sMAPE%\s+pinball\s+cov\[P10,P90\]\s+cov\[P5,P95\]/)
    expect(r.stdout).toMatch(/^seasonal-naive\s+\d+\.\d{3}/m)
    expect(r.stdout).toMatch(/^best: (seasonal-naive|ets)$/m)
    const j = JSON.parse((await runCommand(['forecast', 'backtest', '--series', fixture('bt.csv'), '--holdout', '1d', '--origins', '2', '--models', 'seasonal-naive,linear', '--json'])).stdout)
    expect(j.scores).toHaveLength(2)
    expect(j.scores[0].points).toBe(48)
    expect(j.scores[0].coverage90).toBeGreaterThanOrEqual(0)
  })

  it('groups warnings that differ only in their numbers and shows the first one as it was, numbers kept', async () => {
    const r = await runCommand(['forecast', 'backtest', '--m4', dataPath('traces', 'm4_hourly_train.csv'), '--limit', '40', '--models', 'ets'])
    expect(r.code).toBe(0)
    const all = r.stdout + r.stderr
    expect(all).toMatch(/warning \(ets, \d+ windows, the first shown\): ets: \d+ P50-or-higher values below the lowest observed value \d+ raised to it/)
    expect(all).not.toMatch(/\bN (quantile|P5N)/)
  })
})

describe('many series in one process', () => {
  /** Three hourly series as a long CSV (rows interleaved), a directory, and the M4 wide layout. */
  function inputs(): {long: string; dir: string} {
    const start = Date.UTC(2024, 0, 1) / 1000
    const rows = ['series_id,timestamp,value']
    const d = join(dir, 'many')
    mkdirSync(d, {recursive: true})
    const files: Record<string, string[]> = {a: ['timestamp,value'], b: ['timestamp,value'], c: ['timestamp,value']}
    for (let i = 0; i < 240; i++) {
      for (const [k, id] of [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ] as const) {
        const t = new Date((start + i * 3600) * 1000).toISOString()
        const v = (k * 100 + 30 * Math.sin((2 * Math.PI * i) / 24) + ((i * 7919 * k) % 13)).toFixed(2)
        rows.push(`${id},${t},${v}`)
        files[id].push(`${t},${v}`)
      }
    }
    const long = join(dir, 'long.csv')
    writeFileSync(long, `${rows.join('\n')}\n`)
    for (const [id, lines] of Object.entries(files)) writeFileSync(join(d, `${id}.csv`), `${lines.join('\n')}\n`)
    return {long, dir: d}
  }

  it('forecast run reads a long file and a directory, and --out DIR writes every forecast atomically', async () => {
    const {long, dir: d} = inputs()
    for (const input of [long, d]) {
      const out = join(dir, `out-${input === long ? 'long' : 'dir'}`)
      const r = await runCommand(['forecast', 'run', '--series', input, '--model', 'ets', '--horizon', '12', '--out', out, '--json'])
      expect(r.code).toBe(0)
      const j = JSON.parse(r.stdout)
      expect(j.forecasts.map((f: {series: string}) => f.series)).toEqual(['a', 'b', 'c'])
      expect(j.forecasts.every((f: {model: string}) => f.model === 'ets')).toBe(true)
      const csv = readFileSync(join(out, 'forecasts.csv'), 'utf8').trim().split('\n')
      expect(csv[0]).toBe('series,model,step,timestamp,p50,p90,p99')
      expect(csv).toHaveLength(1 + 3 * 12)
      expect(readFileSync(join(out, 'forecasts.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3)
      expect(existsSync(join(out, '.fleetcap-output'))).toBe(true)
    }
  })

  it('forecast backtest over a wide file writes every window and per-series scores', async () => {
    const out = join(dir, 'bt-out')
    const r = await runCommand(['forecast', 'backtest', '--wide', dataPath('traces', 'm4_hourly_train.csv'), '--limit', '4', '--models', 'seasonal-naive,ets,auto', '--out', out, '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.perSeries.map((p: {series: string}) => p.series)).toEqual(['H1', 'H2', 'H3', 'H4'])
    expect(j.scores.map((s: {model: string}) => s.model)).toEqual(['seasonal-naive', 'ets', 'auto'])
    const windows = readFileSync(join(out, 'windows.csv'), 'utf8').trim().split('\n')
    expect(windows[0]).toBe('series,window,model,produced_by,step,index,time,actual,imputed,p5,p10,p50,p90,p95,p99')
    expect(windows).toHaveLength(1 + 4 * 3 * 48)
    expect(readFileSync(join(out, 'windows.jsonl'), 'utf8').trim().split('\n')).toHaveLength(12)
    expect(readFileSync(join(out, 'per-series.csv'), 'utf8').trim().split('\n')).toHaveLength(5)
    expect(JSON.parse(readFileSync(join(out, 'scores.json'), 'utf8')).best).toBe(j.best)
  })

  it('forecast --help lists every command with a whole first sentence (was cut at "print MASE, sMAPE,")', () => {
    const r = runCli(['forecast', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('Forecast load with quantiles per step, and backtest forecasting models on held-out data.')
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/forecast backtest Backtest forecasting models on held-out data, many series in one process, and print the scores\./)
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/forecast run Forecast load with quantiles \(P50\/P90\/P99 by default\) for every step of the horizon, for one series or many in one process\./)
    // Defaults as written (not {"seconds":86400} or 2419200), from the manifest the entry point reads.
    const help = runCli(['forecast', 'run', '--help']).stdout.replace(/\s+/g, ' ')
    for (const shown of ['--horizon=<steps|duration> [default: 1d]', '--quantiles=<levels> [default: 0.5,0.9,0.99]', '--since=<duration> [default: 28d]']) expect(help).toContain(shown)
    expect(runCli(['forecast', 'backtest', '--help']).stdout.replace(/\s+/g, ' ')).toContain('--holdout=<steps|duration> [default: 48]')
  })
})
