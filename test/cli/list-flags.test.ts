import {describe, expect, it} from 'vitest'

import {numberListFlag, parseNumberList} from '../../src/cli/list-flags.js'

describe('a list of numbers as one flag (src/cli/list-flags.ts)', () => {
  it('parses comma-separated numbers, spaces allowed', async () => {
    expect(parseNumberList('1, 1,0.5 ,2e-1', 'weekly')).toEqual([1, 1, 0.5, 0.2])
    const flag = numberListFlag({length: 2})({description: 'x'})
    expect(await flag.parse('3,4', undefined as never, {name: 'pair'} as never)).toEqual([3, 4])
    await expect(flag.parse('3', undefined as never, {name: 'pair'} as never)).rejects.toThrow('--pair: give 2 comma-separated numbers (got 1: "3")')
  })

  it('names the flag and the item that is wrong', () => {
    expect(() => parseNumberList('1,,2', 'weekly')).toThrow('--weekly: item 2 ("") is not a number (got "1,,2")')
    expect(() => parseNumberList('1,0', 'w', {above: 0})).toThrow('--w: item 2 must be more than 0 (got 0)')
    expect(() => parseNumberList('1,5', 'w', {max: 4})).toThrow('--w: item 2 must be at most 4 (got 5)')
    expect(() => parseNumberList('1', 'w', {minLength: 2})).toThrow('--w: give at least 2 comma-separated numbers (got 1)')
    expect(() => parseNumberList('1,2,3', 'w', {maxLength: 2})).toThrow('--w: give at most 2 comma-separated numbers (got 3)')
  })
})
