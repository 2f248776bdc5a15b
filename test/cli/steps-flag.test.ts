import {describe, expect, it} from 'vitest'

import {durationListFlag, fractionListFlag, parseDurationList, parseFractionList} from '../../src/cli/list-flags.js'
import {parseStepsOrDuration, stepsFlag, toSteps} from '../../src/cli/steps-flag.js'
import {InputError} from '../../src/errors.js'

/** What oclif would call: the flag's parser on the text the user typed. */
async function parse<T>(flag: {parse: (input: string, ctx: never, opts: never) => Promise<T>}, text: string, name = 'x'): Promise<T> {
  return flag.parse(text, undefined as never, {name} as never)
}

describe('a duration or a number of steps (forecast --horizon, --holdout)', () => {
  it('a bare whole number is steps, anything else a duration; converted once the step is known', async () => {
    expect(await parse(stepsFlag()(), '48')).toEqual({steps: 48})
    expect(await parse(stepsFlag()(), '2d')).toEqual({seconds: 172_800})
    expect(await parse(stepsFlag()(), '1h30m')).toEqual({seconds: 5400})
    expect(toSteps({seconds: 172_800}, 3600, 'horizon')).toBe(48)
    expect(toSteps({seconds: 5400}, 1800, 'horizon')).toBe(3)
    expect(toSteps({steps: 7}, 3600, 'horizon')).toBe(7)
  })

  it('refuses zero, a fraction of a step, more than the step limit, and words, naming the flag', async () => {
    await expect(parse(stepsFlag()(), '0', 'holdout')).rejects.toThrow('--holdout: must be at least one step, got 0')
    await expect(parse(stepsFlag()(), '1000001', 'horizon')).rejects.toThrow('--horizon: more than 1,000,000 steps (got 1000001)')
    await expect(parse(stepsFlag()(), 'soon', 'horizon')).rejects.toThrow(/^--horizon: "soon" is neither a number of steps nor a duration/)
    await expect(parse(stepsFlag()(), '-2d', 'horizon')).rejects.toBeInstanceOf(InputError)
    expect(() => toSteps({seconds: 2700}, 3600, 'horizon')).toThrow('--horizon: 45m is not a whole number of 3600 s steps')
    expect(() => toSteps({seconds: 30}, 60, 'seasonality')).toThrow('--seasonality: 30s is not a whole number of 60 s steps')
    expect(() => toSteps({seconds: 2 * 604_800}, 1, 'horizon')).toThrow('--horizon: 2w is more than 1,000,000 steps of 1 s')
  })

  it('a written default is parsed once and shown as written', async () => {
    const f = stepsFlag()({default: '1d', description: 'x'})
    expect(f.default).toEqual({seconds: 86_400})
    expect(typeof f.defaultHelp === 'function' ? await f.defaultHelp({} as never) : f.defaultHelp).toBe('1d')
    expect(parseStepsOrDuration(' 12 ', 'x')).toEqual({steps: 12})
  })
})

describe('lists of one kind (forecast --quantiles, --seasonality)', () => {
  it('levels strictly between 0 and 1, in the order given, each once', async () => {
    expect(await parse(fractionListFlag()(), '0.5, 0.9,0.99')).toEqual([0.5, 0.9, 0.99])
    expect(() => parseFractionList('0.5,0.9,0.90', 'quantiles')).toThrow('--quantiles: 0.90 is given twice; give each level once')
    expect(() => parseFractionList('0.5,1', 'quantiles')).toThrow('--quantiles: "1" is not a level between 0 and 1')
    expect(() => parseFractionList('0,0.5', 'quantiles')).toThrow('--quantiles: "0" is not a level between 0 and 1')
    expect(() => parseFractionList('0.5,,0.9', 'quantiles')).toThrow('--quantiles: "0.5,,0.9" has an empty item')
    expect(() => parseFractionList('p90', 'quantiles')).toThrow(InputError)
  })

  it('durations in seconds, each more than 0, each once', async () => {
    expect(await parse(durationListFlag()(), '1d,1w')).toEqual([86_400, 604_800])
    expect(() => parseDurationList('1d,24h', 'seasonality')).toThrow('--seasonality: 24h is given twice; give each period once')
    expect(() => parseDurationList('1d,daily', 'seasonality')).toThrow('--seasonality: "daily" is not a duration')
    expect(() => parseDurationList('0s', 'seasonality')).toThrow('--seasonality: "0s" is not a duration')
  })
})
