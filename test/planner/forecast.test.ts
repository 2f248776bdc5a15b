import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadPlan} from '../../src/plan/load.js'
import {phasesFromHistory} from '../../src/planner/forecast-input.js'
import {runCommand} from '../helpers/run-command.js'

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
    const fp = await phasesFromHistory({input: {kind: 'csv', path: file}, unit: 'per-step', horizonS: 3 * 7 * 86_400, phaseEveryS: 7 * 86_400, quantile: 0.9})
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

  it('fleetcap plan --series writes a plan whose triggers are the phase dates', async () => {
    const out = join(tmp, 'plan')
    const r = await runCommand(['plan', '--series', file, '--horizon', '2w', '--phase-every', '1w', '--seeds', '1', '--out', out])
    expect(r.stderr).not.toContain('Error')
    expect(r.code).toBe(0)
    const plan = loadPlan(out)
    expect(plan.document.spec.phases.map((p) => p.trigger)).toEqual([{date: '2025-11-06'}, {date: '2025-11-13'}])
    expect(plan.document.spec.forecast?.source).toBe('forecast')
  }, 120_000)

  it('a task trace as history: arrivals per hour, forecast, one phase per week', async () => {
    // Four days of Poisson arrivals, 3,000 tasks a day on a daily cycle (peak/trough 4).
    let state = 12345
    const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31
    const rows = ['timestamp,input_tokens,output_tokens']
    const start = 1_759_968_000
    for (let t = 0; t < 4 * 86_400; ) {
      const rate = (3000 / 86_400) * (1 + 0.6 * Math.cos((2 * Math.PI * ((t / 3600) % 24 - 14)) / 24))
      t += -Math.log(rand()) / rate
      rows.push(`${(start + t).toFixed(3)},${500 + Math.floor(rand() * 2500)},${50 + Math.floor(rand() * 450)}`)
    }
    const trace = join(tmp, 'trace.csv')
    writeFileSync(trace, `${rows.join('\n')}\n`)
    const r = await runCommand(['plan', '--trace', trace, '--step', '1h', '--horizon', '1w', '--phase-every', '1w', '--fast', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    const phases = j.plan.spec.phases
    expect(phases).toHaveLength(1)
    expect(phases[0].trigger.date).toBe('2025-10-13')
    // p90 of a day's arrivals: above the 3,000 mean, well below twice it.
    const tasks = j.plan.status.phases[0].load.tasksPerDay
    expect(tasks).toBeGreaterThan(3000)
    expect(tasks).toBeLessThan(4500)
    expect(j.plan.spec.forecast.unit).toBe('per-second')
  }, 60_000)

  it('refuses a horizon shorter than a day', async () => {
    await expect(phasesFromHistory({input: {kind: 'csv', path: file}, unit: 'per-step', horizonS: 3600, phaseEveryS: 7 * 86_400, quantile: 0.9})).rejects.toThrow(/at least one day/)
  })
})
