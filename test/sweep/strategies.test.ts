/** Scaling-strategy ROI: fixed fleet, HPA, KEDA and a predictive schedule on the same traffic. */
import {describe, expect, it} from 'vitest'

import {hourlyPeaks} from '../../src/sweep/strategies.js'
import {join} from 'node:path'

import {ROOT} from '../helpers/cli.js'
import {runCommand} from '../helpers/run-command.js'

describe('hourlyPeaks (the predictive schedule\'s forecast)', () => {
  it('takes the most replicas desired in each hour, carrying the level across hours without changes', () => {
    const traj: [number, number, number][] = [
      [0, 3, 3],
      [4000, 6, 3],
      [4100, 4, 6],
      [9000, 8, 4],
    ]
    expect(hourlyPeaks(traj, 4 * 3600, 3)).toEqual([
      [0, 3],
      [3600, 6],
      [7200, 8],
      [10800, 8],
    ])
  })
})

const scenario = (name: string) => join(ROOT, 'scenarios', name)

describe('fleetcap sweep --strategies', () => {
  it('compares the four strategies on the same traffic and prints the costs-and-saves table', async () => {
    const r = await runCommand(['sweep', scenario('autoscale-seed-004-hpa.yaml'), '--strategies', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const c = JSON.parse(r.stdout) as {rows: {strategy: string; metrics: Record<string, number>}[]; forecastFloors: [number, number][]}
    expect(c.rows.map((x) => x.strategy)).toEqual(['fixed', 'hpa', 'keda', 'predictive'])
    const m = Object.fromEntries(c.rows.map((x) => [x.strategy, x.metrics]))
    // The fixed fleet holds the HPA's peak all day: it costs more than the HPA, has no cold starts.
    expect(m.fixed.peakReplicas).toBe(m.hpa.peakReplicas)
    expect(m.fixed.costUsd).toBeGreaterThan(m.hpa.costUsd)
    expect(m.fixed.coldStarts).toBe(0)
    expect(m.hpa.coldStarts).toBeGreaterThan(0)
    // Same traffic: every strategy completed the same tasks (no errors in this scenario).
    for (const s of ['hpa', 'keda', 'predictive']) expect(m[s].errorRate).toBe(m.fixed.errorRate)
    // The forecast is 24 hourly floors, never below the HPA's minimum.
    expect(c.forecastFloors).toHaveLength(24)
    expect(Math.min(...c.forecastFloors.map(([, n]) => n))).toBeGreaterThanOrEqual(3)
    const text = await runCommand(['sweep', scenario('autoscale-seed-004-hpa.yaml'), '--strategies'])
    expect(text.stdout).toMatch(/What each strategy costs and saves/)
    expect(text.stdout).toMatch(/^predictive\s/m)
  })

  it('refuses a scenario without an HPA to compare against', async () => {
    const r = await runCommand(['sweep', scenario('mmc-erlang-c.yaml'), '--strategies'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/mmc-erlang-c\.yaml:\d+:\d+: fleet\.pools\.0.*autoscaler/)
  })
})
