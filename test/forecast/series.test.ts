import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/errors.js'
import {cleanObservations, loadSeriesCsv, type Observation, parseMask, parseTimestamp, readM4} from '../../src/forecast/index.js'
import {ROOT} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'fleetcap-series-'))
function csv(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
const hourly = (values: (number | string)[], startS = 1_700_000_000 - (1_700_000_000 % 3600)): string =>
  ['timestamp,value', ...values.map((v, i) => `${new Date((startS + i * 3600) * 1000).toISOString()},${v}`)].join('\n')

describe('timestamps, masks, durations', () => {
  it('reads ISO (zone-less = UTC), epoch seconds and epoch milliseconds', () => {
    expect(parseTimestamp('2014-07-01 00:30:00')).toBe(Date.UTC(2014, 6, 1, 0, 30) / 1000)
    expect(parseTimestamp('2014-07-01T00:30:00+01:00')).toBe(Date.UTC(2014, 5, 30, 23, 30) / 1000)
    expect(parseTimestamp('1404174600')).toBe(1_404_174_600)
    expect(parseTimestamp('1404174600000')).toBe(1_404_174_600)
    expect(parseTimestamp('yesterday')).toBeNaN()
  })
  it('parses mask windows and refuses reversed ones', () => {
    expect(parseMask('2014-11-25T12:00/2014-11-29T19:00').toS - parseMask('2014-11-25T12:00/2014-11-29T19:00').fromS).toBe(4 * 86400 + 7 * 3600)
    expect(() => parseMask('2014-11-29/2014-11-25')).toThrow(/--mask/)
  })
})

describe('cleaning under an explicit policy', () => {
  it('reads a regular CSV and infers the step', async () => {
    const {series, warnings} = await loadSeriesCsv(csv('ok.csv', hourly([1, 2, 3, 4, 5, 6, 7, 8, 9])))
    expect(series.stepS).toBe(3600)
    expect(Array.from(series.values)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(series.imputed).toBeUndefined()
    expect(warnings).toEqual([])
  })

  it('refuses a NaN value by default, naming the file and line', async () => {
    const p = csv('nan.csv', hourly([1, 2, 'NaN', 4, 5, 6, 7, 8, 9]))
    await expect(loadSeriesCsv(p)).rejects.toThrow(`${p}:4: empty or non-numeric value`)
  })

  it('refuses a non-number with its column', async () => {
    const p = csv('bad.csv', hourly([1, 2, 'lots', 4, 5, 6, 7, 8, 9]))
    await expect(loadSeriesCsv(p, {gaps: 'fill'})).rejects.toThrow(`${p}:4: column "value": "lots" is not a number`)
  })

  it('fills a gap (missing timestamp) by interpolation and marks it imputed', async () => {
    const rows = hourly([1, 2, 3, 4, 5, 6, 7, 8, 9]).split('\n')
    rows.splice(4, 1) // drop value 4
    const p = csv('gap.csv', rows.join('\n'))
    await expect(loadSeriesCsv(p)).rejects.toThrow(/1 missing steps of 3600 s/)
    const {series, warnings} = await loadSeriesCsv(p, {gaps: 'fill'})
    expect(Array.from(series.values)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(series.imputed?.[3]).toBe(1)
    expect(warnings.join()).toMatch(/1 missing steps; filled/)
  })

  it('drop keeps only the history after the last gap', async () => {
    const p = csv('drop.csv', hourly([1, '', 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))
    const {series, warnings} = await loadSeriesCsv(p, {gaps: 'drop'})
    expect(Array.from(series.values)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(warnings.join()).toMatch(/dropped the 2 points up to the last gap/)
  })

  it('duplicates: refused, or the later row kept with a warning', () => {
    const obs: Observation[] = [0, 1, 2, 2, 3, 4, 5, 6, 7, 8].map((i, k) => ({timeS: i * 60, value: k, where: {file: 'd.csv', line: k + 2}}))
    expect(() => cleanObservations(obs, {name: 'd.csv'})).toThrow('d.csv:5: duplicate timestamp')
    const {series, warnings} = cleanObservations(obs, {name: 'd.csv', gaps: 'fill'})
    expect(series.values[2]).toBe(3)
    expect(warnings.join()).toMatch(/1 duplicate timestamps \(first at d.csv:5\)/)
  })

  it('negative values: refused, or treated as missing', () => {
    const obs: Observation[] = [5, 6, -1, 8, 9, 10, 11, 12, 13].map((v, i) => ({timeS: i * 60, value: v, where: {file: 'n.csv', line: i + 2}}))
    expect(() => cleanObservations(obs, {name: 'n.csv'})).toThrow('n.csv:4: negative value -1')
    const {series} = cleanObservations(obs, {name: 'n.csv', gaps: 'fill'})
    expect(series.values[2]).toBe(7)
  })

  it('refuses too short a history', () => {
    const obs: Observation[] = [1, 2, 3].map((v, i) => ({timeS: i * 60, value: v}))
    expect(() => cleanObservations(obs, {name: 's'})).toThrow(/only 3 points after cleaning; at least 8/)
  })

  it('masks an anomaly window: filled from one season earlier, marked imputed', () => {
    // Two days of hourly values with a daily cycle; day 2 hours 10–13 replaced by a spike.
    const day = Array.from({length: 24}, (_, h) => 10 + h)
    const values = [...day, ...day.map((v, h) => (h >= 10 && h <= 13 ? 1000 : v))]
    const obs = values.map((v, i) => ({timeS: i * 3600, value: v}))
    const mask = {fromS: 34 * 3600, toS: 37 * 3600, label: 'spike'}
    const {series, warnings} = cleanObservations(obs, {name: 'm', masks: [mask]})
    expect(Array.from(series.values.subarray(34, 38))).toEqual([20, 21, 22, 23])
    expect(Array.from(series.imputed!.subarray(33, 39))).toEqual([0, 1, 1, 1, 1, 0])
    expect(warnings).toContain('m: masked 4 points in spike')
  })
})

describe('M4 reader', () => {
  it('reads the 414 hourly series with their ragged lengths', async () => {
    const all = await readM4(join(ROOT, 'data', 'traces', 'm4_hourly_train.csv'))
    expect(all).toHaveLength(414)
    expect(all[0].name).toBe('H1')
    const lengths = all.map((s) => s.values.length)
    expect(Math.min(...lengths)).toBe(700)
    expect(Math.max(...lengths)).toBe(960)
    expect(all.every((s) => s.values.every((v) => Number.isFinite(v)))).toBe(true)
  })
  it('refuses a missing file', async () => {
    await expect(readM4(join(dir, 'nope.csv'))).rejects.toBeInstanceOf(InputError)
  })
})
