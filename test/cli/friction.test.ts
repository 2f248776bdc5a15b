/**
 * First-user friction (issue 13, item 9) and the leftovers of the last bad-input pass: a mistyped
 * command names the closest one, durations print in human units, and flags that were silently
 * half-read are refused with one line.
 */
import {describe, expect, it} from 'vitest'

import {closestCommand, editDistance} from '../../src/cli/command-not-found.js'
import {humanSeconds} from '../../src/util/duration.js'
import {runCli} from '../helpers/cli.js'

const COMMANDS = ['simulate', 'plan', 'forecast:run', 'forecast:backtest', 'trace:generate', 'trace:inspect', 'k6:export', 'k6:run', 'profiles:list', 'profiles:show', 'calibrate', 'apply-to-cluster']

describe('did you mean', () => {
  it('finds the closest command, word for word, arguments ignored', () => {
    expect(editDistance('simulat', 'simulate')).toBe(1)
    expect(closestCommand('simulat:/path/good.yaml', COMMANDS)).toBe('simulate')
    expect(closestCommand('forcast:run', COMMANDS)).toBe('forecast run')
    expect(closestCommand('trace:generat', COMMANDS)).toBe('trace generate')
    expect(closestCommand('xyzzyq', COMMANDS)).toBeUndefined()
  })

  it('the CLI says it in one line and exits 2', () => {
    const r = runCli(['simulat', 'scenarios/seed-phase1-500-per-day.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('Error: unknown command "simulat"; did you mean simulate?\nHint: run `fleetcap --help` for the commands\n')
  })
})

describe('human durations', () => {
  it('never prints thousands of minutes', () => {
    expect(humanSeconds(0.0123)).toBe('12.3 ms')
    expect(humanSeconds(42)).toBe('42.00 s')
    expect(humanSeconds(45 * 60)).toBe('45.0 min')
    expect(humanSeconds(12_118.7 * 60)).toBe('8.4 d')
    expect(humanSeconds(3.4 * 3600)).toBe('3.4 h')
  })
})

describe('flags read in part before', () => {
  it('--gpu A100=5=6, a non-http --prometheus, and profile-shaping flags on a GPU name are refused', () => {
    for (const [args, message] of [
      [['plan', '--phases', '500', '--fast', '--gpu', 'A100=5=6'], /^Error: --gpu: expected GPU or GPU=MAX_GPUS, got "A100=5=6"\n/],
      [['forecast', 'run', '--prometheus', 'ftp://127.0.0.1:9090', '--query', 'up', '--step', '5m'], /^Error: --prometheus: not an http\(s\) URL: "ftp:\/\/127\.0\.0\.1:9090"\n/],
      [['profiles', 'show', 'A100', '--price', '3'], /^Error: --price: applies to a serving profile, not to "A100" alone\n/],
      [['profiles', 'show', 'llama-3.1-8b@A100-80GB:tp1', '--tp', '2'], /^Error: --tp: the profile id .* names its tensor-parallel degree/],
    ] as const) {
      const r = runCli([...args])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(message)
    }
  })

  it('simulate explains util beside KV and batch', () => {
    const r = runCli(['simulate', 'scenarios/mmc-erlang-c.yaml'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^util: busy share of replica time; KV: .*; batch: mean calls in flight per replica\.$/m)
  })
})
