/** `plan --strategy-roi`: PLAN.md's "what each strategy costs and saves" table, per one-pool phase. */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {runCommand} from '../helpers/run-command.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-roi-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const money = (s: string): number => Number(s.replace('−', '-').replace(/[$,]/g, '').split(' ')[0])

describe('plan --strategy-roi', () => {
  it('adds one table per phase: four strategies on the same traffic, savings against the fixed fleet and the HPA', async () => {
    const out = join(tmp, 'p')
    const r = await runCommand(['plan', '--phases', '50000', '--seeds', '1', '--gpu', 'A100-80GB=64', '--out', out, '--strategy-roi'])
    expect(r.code, r.stderr).toBe(0)
    const md = readFileSync(join(out, 'PLAN.md'), 'utf8')
    const section = md.slice(md.indexOf('## What each strategy costs and saves'))
    expect(section).toContain('### phase-1')
    const rows = section
      .split('\n')
      .filter((l) => /^\| (fixed|hpa|keda|predictive) \|/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()).slice(1, -1))
    expect(rows.map((c) => c[0])).toEqual(['fixed', 'hpa', 'keda', 'predictive'])
    const cost = Object.fromEntries(rows.map((c) => [c[0], money(c[2])]))
    for (const c of rows) {
      // "saves vs fixed" and "saves vs HPA" are the differences of the cost column (to the dollar).
      expect(Math.abs(money(c[3]) - (cost.fixed - cost[c[0]]))).toBeLessThanOrEqual(1)
      expect(Math.abs(money(c[4]) - (cost.hpa - cost[c[0]]))).toBeLessThanOrEqual(1)
      expect(c[6]).toMatch(/^(met|missed)$/)
    }
    // The fixed fleet runs at the HPA's peak all day: it never pays a cold start, and costs at least as much.
    expect(rows[0][8]).toBe('0')
    expect(cost.fixed).toBeGreaterThanOrEqual(cost.hpa)
  }, 600_000)
})
