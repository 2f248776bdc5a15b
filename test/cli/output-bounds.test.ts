/**
 * Outputs that grow with the input or a run's length are estimated before anything is written or
 * computed (src/util/output-bound.ts, the mechanism `trace generate` uses): past the bound the command
 * exits 2 with one line naming the flag or field, the estimate and the limit, and leaves no output.
 */
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT, runCli} from '../helpers/cli.js'
import {BASE} from '../sweep/helpers.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-output-bounds-'))
const file = (name: string, text: string): string => {
  const p = join(tmp, name)
  writeFileSync(p, text)
  return p
}
/** Exit 2, one error line (and its hint), no stack, and nothing new in the temp folder but the inputs. */
function refused(r: {code: number; stderr: string}, pattern: RegExp, inputs: string[]): void {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stderr).toMatch(pattern)
  expect(r.stderr).toMatch(/^Error: [^\n]+\n(Hint: [^\n]+\n)?$/)
  expect(readdirSync(tmp).sort()).toEqual([...inputs].sort())
}
const hourly = (n: number, id?: string): string =>
  Array.from({length: n}, (_, i) => `${id === undefined ? '' : `${id},`}${new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString()},${10 + (i % 24)}`).join('\n')

describe('outputs past their bound are refused before anything is written', () => {
  const inputs: string[] = []
  const input = (name: string, text: string): string => {
    inputs.push(name)
    return file(name, text)
  }

  it('simulate: a declared duration ÷ report.sampleIntervalS past the time-series bound names the field and its line', () => {
    const seed = readFileSync(join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), 'utf8')
    const scenario = input('long.yaml', seed.replace(/^duration: 1d$/m, 'duration: 30d').replace(/^ {2}sampleIntervalS: 5m$/m, '  sampleIntervalS: 1s'))
    const r = runCli(['simulate', scenario, '--out', join(tmp, 'sim-out'), '--band', 'none'])
    refused(r, /long\.yaml:61:\d+: report\.sampleIntervalS: duration ÷ report\.sampleIntervalS is about 2,592,000 time-series rows, more than the 1,000,000 time-series rows a simulation's time series \(timeseries\.csv, the HTML report\) may hold/, inputs)
  })

  it('sweep: cells × seedsPerCell past the results bound names seedsPerCell in the spec', () => {
    const levels = Array.from({length: 2000}, (_, i) => 4 + i).join(', ')
    const spec = input('sweep.yaml', `apiVersion: fleetcap.dev/v1\nkind: Sweep\nname: huge\n${BASE}design: grid\nseedsPerCell: 1000\nfactors:\n  - {path: fleet.pools.0.servers, name: servers, values: [${levels}]}\n`)
    const r = runCli(['sweep', spec, '--out', join(tmp, 'sweep-out'), '--workers', '0'])
    refused(r, /sweep\.yaml.*seedsPerCell: cells × seedsPerCell is about 2,000,000 result rows, more than the 1,000,000 result rows results\.jsonl may hold/, inputs)
  })

  it('forecast run: series × --horizon past the forecast bound names --horizon', () => {
    const series = input('three.csv', `series_id,timestamp,value\n${['a', 'b', 'c'].map((id) => hourly(80, id)).join('\n')}\n`)
    const r = runCli(['forecast', 'run', '--series', series, '--model', 'seasonal-naive', '--horizon', '1000000', '--out', join(tmp, 'fc-out')])
    refused(r, /--horizon: series × --horizon is about 3,000,000 forecast rows, more than the 2,000,000 forecast rows one forecast output may hold/, inputs)
  })

  it('forecast backtest: series × --origins × --holdout × --models past the bound names --origins', () => {
    const series = input('one.csv', `timestamp,value\n${hourly(200)}\n`)
    const r = runCli(['forecast', 'backtest', '--series', series, '--models', 'seasonal-naive,linear', '--origins', '200', '--holdout', '10000', '--out', join(tmp, 'bt-out')])
    refused(r, /--origins: series × --origins × --holdout × --models is about 4,000,000 window rows, more than the 2,000,000 window rows windows\.csv may hold/, inputs)
  })

  it('k6 export: a trace whose arrivals span more stages than the bound names --bucket, with or without a --duration cap', () => {
    const trace = input('far.csv', 'arrival_s,input_tokens,output_tokens\n0,100,20\n1,100,20\n200000,100,20\n1000000000,100,20\n')
    const k6 = ['k6', 'export', '--trace', trace, '--bucket', '1s', '--url', 'http://127.0.0.1:9', '--model', 'm']
    const capped = runCli([...k6, '--duration', '1000d', '--out', join(tmp, 'k6-capped')])
    refused(capped, /--bucket: the trace's span to 2\.000e\+5 s ÷ --bucket is about 200,001 k6 stages, more than the 100,000 k6 stages one k6 export may hold/, inputs)
    const far = runCli([...k6, '--out', join(tmp, 'k6-far')])
    refused(far, /--bucket: the trace's span to 2\.000e\+5 s ÷ --bucket is about 200,001 k6 stages/, inputs)
  })

  it('within the bounds the same commands still write their outputs', () => {
    const trace = input('near.csv', 'arrival_s,input_tokens,output_tokens\n0,100,20\n1,100,20\n30,100,20\n')
    // A long --duration is a cap, not an estimate: a short trace under it is exported.
    const r = runCli(['k6', 'export', '--trace', trace, '--bucket', '1s', '--duration', '1000d', '--url', 'http://127.0.0.1:9', '--model', 'm', '--out', join(tmp, 'k6-ok')])
    expect(r.code, r.stderr).toBe(0)
    expect(readdirSync(join(tmp, 'k6-ok'))).toContain('load.js')
  })
})
