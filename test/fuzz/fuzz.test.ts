/**
 * Bad input as a tested property: for every input format, generated and mutated inputs either load
 * or are refused with fleetcap's input error on one line naming the file or field: never another
 * exception, never a hang past the budget. A modest count here (seconds); `scripts/fuzz.sh N` runs
 * the long version in worker threads with hang detection and the spawned CLI sample.
 */
import {mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {loadSeriesCsv} from '../../src/forecast/io.js'
import {readK6Summary} from '../../src/k6/summary.js'
import {parseScenario} from '../../src/scenario/load.js'
import {readTrace} from '../../src/workload/read-trace.js'
import {fuzzFormats, writeInput} from './harness/formats.js'
import {judge} from './harness/judge.js'
import {runCli} from '../helpers/cli.js'

const RUNS = Number(process.env.FLEETCAP_FUZZ_RUNS ?? 60)
const BUDGET_MS = 10_000
const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-fuzz-'))

/** The loader's verdict, or a hang when it takes longer than the budget. */
async function verdictOf(load: () => Promise<void>, path: string): Promise<ReturnType<typeof judge>> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), BUDGET_MS)))
  try {
    const r = await Promise.race([load().then(() => undefined, (error: unknown) => error ?? new Error('rejected with nothing')), hang])
    if (r === 'hang') return {kind: 'crash', message: `no result within ${BUDGET_MS} ms`}
    return judge(r, path)
  } finally {
    clearTimeout(timer)
  }
}

describe('every input format: loads, or one input error naming file or field', () => {
  for (const format of fuzzFormats()) {
    it(format.name, async () => {
      const work = join(tmp, format.name)
      mkdirSync(work, {recursive: true})
      format.prepare?.(work)
      const seen = {accepted: 0, refused: 0}
      await fc.assert(
        fc.asyncProperty(format.arbitrary, async (text) => {
          const path = writeInput(format, work, text)
          const v = await verdictOf(() => format.load(path, work), path)
          if (v.kind === 'crash') throw new Error(`${format.name}: ${v.message}`)
          seen[v.kind]++
        }),
        {numRuns: RUNS, seed: 20_261_203},
      )
      // Both outcomes occur: the generators reach past the first check and still break things.
      expect(seen.accepted + seen.refused).toBe(RUNS)
      expect(seen.refused).toBeGreaterThan(0)
    }, 120_000)
  }
})

describe('crashes the fuzzer found', () => {
  it('a k6 summary whose JSON error quotes the input across lines is still one line', async () => {
    const path = join(tmp, 'summary-lines.json')
    writeFileSync(path, '{"root_group": {\n"name": name": "",\n"x": 1}}')
    const v = await verdictOf(() => readK6Summary(path).then(() => undefined), path)
    expect(v.kind).toBe('refused')
    expect(v.kind === 'refused' && v.message).toMatch(/summary-lines\.json: not JSON: [^\n]+$/)
  })

  it('a scenario key that spans lines is quoted on one line', () => {
    let message = ''
    try {
      parseScenario('apiVersion: fleetcap.dev/v1\nkind: Scenario\nname: x\n"a\n  b": 1\n', 'k.yaml')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/^k\.yaml:\d+:\d+: /)
    expect(message).not.toMatch(/\n/)
  })

  it('a series row with a far-off timestamp is refused at its line, not allocated (crash) or filled (hang)', async () => {
    const rows = Array.from({length: 60}, (_, i) => `${1_700_000_000 + i * 3600},${10 + (i % 24)}`)
    for (const [name, far] of [
      ['far-crash.csv', '1800000000000000000000000000000000'],
      ['far-hang.csv', '170000000000000'],
    ] as const) {
      const path = join(tmp, name)
      writeFileSync(path, `${[...rows.slice(0, 30), `${far},5`, ...rows.slice(30)].join('\n')}\n`)
      for (const gaps of ['fill', 'refuse'] as const) {
        const v = await verdictOf(() => loadSeriesCsv(path, {gaps}).then(() => undefined), path)
        expect(v.kind === 'refused' && v.message).toMatch(new RegExp(`${name.replace('.', '\\.')}:31: the rows span .* steps of 3600 s from the first, more than 1,000,000`))
      }
    }
  })
})

describe('descriptors', () => {
  it('a refused CSV trace closes its file (the long run hit EMFILE after ~15,000 refused inputs)', async () => {
    const path = join(tmp, 'fd-leak.csv')
    writeFileSync(path, `time,input_tokens,output_tokens\n0,1,1\nx,1,1\n${'1,1,1\n'.repeat(50_000)}`)
    const before = readdirSync('/proc/self/fd').length
    for (let i = 0; i < 100; i++) {
      await expect(readTrace(path).tasks()[Symbol.asyncIterator]().next()).rejects.toThrow(/fd-leak\.csv:3/)
    }
    await new Promise((r) => setTimeout(r, 200))
    expect(readdirSync('/proc/self/fd').length).toBeLessThan(before + 10)
  })
})

describe('a sample through the real CLI', () => {
  it('exits 0, 2 or 3 with at most one error line, and leaves no partial output', () => {
    const formats = fuzzFormats().filter((f) => ['scenario', 'trace-csv', 'series'].includes(f.name))
    for (const format of formats) {
      const work = join(tmp, `cli-${format.name}`)
      mkdirSync(work, {recursive: true})
      const [text] = fc.sample(format.arbitrary, {seed: 7, numRuns: 1})
      const path = writeInput(format, work, text)
      const out = join(work, 'out')
      const r = runCli(format.name === 'scenario' ? [...format.cli(path, work), '--out', out] : format.cli(path, work))
      expect([0, 2, 3], `${format.name}: ${r.stderr}`).toContain(r.code)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      if (r.code === 2) expect(r.stderr).toMatch(/^Error: [^\n]+\n(Hint: [^\n]+\n)?$/)
      expect(readdirSync(work).filter((f) => f.startsWith('.fleetcap-tmp'))).toEqual([])
      if (r.code === 2) expect(readdirSync(work)).not.toContain('out')
    }
  }, 180_000)
})
