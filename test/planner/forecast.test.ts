import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadPlan} from '../../src/plan/load.js'
import {phasesFromHistory} from '../../src/planner/forecast-input.js'
import {runCli} from '../helpers/cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-plan-history-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

/** Four weeks of tasks per hour: 5,000 a day growing 2 % a day, a daily cycle peaking at 14:00 (peak/trough 4). */
function history(): string {
  const start = 1_759_968_000 // 2025-10-09T00:00:00Z
  const rows = ['timestamp,tasks']
  for (let h = 0; h < 24 * 28; h++) {
    const perHour = (5000 * (1 + 0.02 * (h / 24))) / 24
    const m = 1 + 0.6 * Math.cos((2 * Math.PI * ((h % 24) - 14)) / 24)
    rows.push(`${start + h * 3600},${(perHour * m).toFixed(2)}`)
  }
  const file = join(tmp, 'history.csv')
  writeFileSync(file, `${rows.join('\n')}\n`)
  return file
}

describe('phases from a forecast', () => {
  const file = history()

  it('cuts the horizon into weekly phases triggered by date, growing with the trend, with the daily curve', async () => {
    const fp = await phasesFromHistory({file, horizonS: 3 * 7 * 86_400, phaseEveryS: 7 * 86_400, quantile: 0.9})
    expect(fp.phases.map((p) => p.date)).toEqual(['2025-11-06', '2025-11-13', '2025-11-20'])
    // The last observed day had ~7,700 tasks; the trend adds ~100 a day; p90 sits above the mean.
    expect(fp.phases[0].tasksPerDay).toBeGreaterThan(7700)
    for (let i = 1; i < fp.phases.length; i++) expect(fp.phases[i].tasksPerDay).toBeGreaterThan(fp.phases[i - 1].tasksPerDay)
    expect(fp.daily).toHaveLength(24)
    const daily = fp.daily ?? []
    expect(daily.indexOf(Math.max(...daily))).toBe(14)
    // Peak/trough 4 in the history; the p90 band adds a constant, which flattens the ratio.
    expect(Math.max(...daily) / Math.min(...daily)).toBeGreaterThan(2)
    expect(fp.summary.quantile).toBe(0.9)
  }, 60_000)

  it('fleetcap plan --history writes a plan whose triggers are the phase dates', () => {
    const out = join(tmp, 'plan')
    const r = runCli(['plan', '--history', file, '--horizon', '2w', '--phase-every', '1w', '--seeds', '1', '--out', out])
    expect(r.stderr).not.toContain('Error')
    expect(r.code).toBe(0)
    const plan = loadPlan(out)
    expect(plan.document.spec.phases.map((p) => p.trigger)).toEqual([{date: '2025-11-06'}, {date: '2025-11-13'}])
    expect(plan.document.spec.forecast?.source).toBe('forecast')
  }, 120_000)

  it('refuses a horizon shorter than a day', async () => {
    await expect(phasesFromHistory({file, horizonS: 3600, phaseEveryS: 7 * 86_400, quantile: 0.9})).rejects.toThrow(/at least one day/)
  })
})
