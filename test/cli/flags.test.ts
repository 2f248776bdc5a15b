import {describe, expect, it} from 'vitest'

import {durationFlag, fractionFlag, numberFlag, rateFlag, sizeFlag, sloFlags, sloFromFlags} from '../../src/cli/flags.js'
import {InputError} from '../../src/errors.js'
import {SLO_FLAG_NAMES, SloSchema} from '../../src/slo/schema.js'
import {tryParseRate} from '../../src/util/rate.js'
import {tryParseSize} from '../../src/util/size.js'
import {runCommand} from '../helpers/run-command.js'

/** What oclif would call: the flag's parser on the text the user typed. */
async function parse<T>(flag: {parse: (input: string, ctx: never, opts: never) => Promise<T>; name?: string}, text: string, name = 'x'): Promise<T> {
  return flag.parse(text, undefined as never, {name} as never)
}

describe('one parser per kind of value', () => {
  it('durations: units, combinations and bare seconds; bounds name the flag', async () => {
    const d = durationFlag()()
    expect(await parse(d, '90s')).toBe(90)
    expect(await parse(d, '1h30m')).toBe(5400)
    expect(await parse(d, '500ms')).toBe(0.5)
    expect(await parse(d, '2')).toBe(2)
    await expect(parse(d, '0s', 'bucket')).rejects.toThrow('--bucket: must be more than 0 s (got 0s)')
    await expect(parse(d, 'soon', 'since')).rejects.toThrow(/^--since: "soon" is not a duration/)
    expect(await parse(durationFlag({min: 0})(), '0')).toBe(0)
  })

  it('rates: per second, minute, hour, day; a bare number in the flag\'s unit', async () => {
    expect(tryParseRate('2/s')).toBe(2)
    expect(tryParseRate('120/min')).toBe(2)
    expect(tryParseRate('7200/h')).toBe(2)
    expect(tryParseRate('172800/day')).toBe(2)
    expect(tryParseRate('5 rps')).toBe(5)
    expect(tryParseRate('86400', 'day')).toBe(1)
    expect(tryParseRate('-1/s')).toBeUndefined()
    expect(tryParseRate('2/fortnight')).toBeUndefined()
    await expect(parse(rateFlag()(), '0/s', 'rate')).rejects.toThrow('--rate: must be more than 0 /s')
    expect(await parse(rateFlag('day')(), '50000')).toBeCloseTo(50_000 / 86_400, 12)
  })

  it('sizes: binary and decimal suffixes, with or without B', async () => {
    expect(await parse(sizeFlag()(), '1Ki')).toBe(1024)
    await expect(parse(sizeFlag()(), 'big', 'max')).rejects.toThrow(/^--max: "big" is not a size/)
    expect(tryParseSize('512MiB')).toBe(512 * 2 ** 20)
    expect(tryParseSize('64Mi')).toBe(64 * 2 ** 20)
    expect(tryParseSize('1.5GB')).toBe(1.5e9)
    expect(tryParseSize('2g')).toBe(2e9)
    expect(tryParseSize('100')).toBe(100)
    expect(tryParseSize('lots')).toBeUndefined()
  })

  it('numbers and fractions are checked against their bounds', async () => {
    expect(await parse(numberFlag({min: 1})(), '1.5')).toBe(1.5)
    await expect(parse(numberFlag({min: 1})(), '0.5', 'peak-factor')).rejects.toThrow('--peak-factor: must be at least 1 (got 0.5)')
    await expect(parse(fractionFlag()(), '1.2', 'error-rate-max')).rejects.toThrow('--error-rate-max: must be at most 1 (got 1.2)')
    await expect(parse(numberFlag()(), '', 'headroom')).rejects.toBeInstanceOf(InputError)
  })

  it('a written default is parsed once and shown as written', async () => {
    const f = durationFlag()({default: '28d', description: 'x'})
    expect(f.default).toBe(28 * 86_400)
    expect(typeof f.defaultHelp === 'function' ? await f.defaultHelp({} as never) : f.defaultHelp).toBe('28d')
  })

  it('SLO flags: one per field of the one SLO schema, and back to its fields', () => {
    const all = Object.keys(SloSchema.shape) as Array<keyof typeof SLO_FLAG_NAMES>
    const flags = sloFlags(all)
    expect(Object.keys(flags).sort()).toEqual(Object.values(SLO_FLAG_NAMES).sort())
    expect(sloFromFlags({'e2e-p95': 2, 'ttft-p95': 0.5, 'error-rate-max': 0.001, other: 1}, all)).toEqual({e2eP95S: 2, ttftP95S: 0.5, errorRateMax: 0.001})
  })
})

describe('a bad flag value on the command line', () => {
  it('is one line naming the flag, exit 2, no stack', async () => {
    const r = await runCommand(['trace', 'inspect', 'test/fixtures/traces/burstgpt-sample.csv', '--bucket', 'soon'])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toMatch(/^Error: --bucket: "soon" is not a duration/)
    expect(r.stderr).not.toMatch(/Parsing --|at .*\.ts:\d+/)
  })
})
