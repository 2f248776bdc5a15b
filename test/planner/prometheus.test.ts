/** `fleetcap plan --prometheus`: history read from a real Prometheus (scripts/prometheus, loopback). */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort, type PromServer, startPrometheus} from '../forecast/prometheus-server.js'
import {runCommand} from '../helpers/run-command.js'

// Four days of an hourly task rate (tasks/s): 5,000 tasks a day on a daily cycle peaking at 14:00.
const START = 1_704_067_200 // 2024-01-01T00:00Z
const STEP = 3600
const POINTS = 4 * 24
const rate = (i: number): number => Number(((5000 / 86_400) * (1 + 0.6 * Math.cos((2 * Math.PI * ((i % 24) - 14)) / 24))).toFixed(6))
const END = START + (POINTS - 1) * STEP

function openMetrics(): string {
  const lines = ['# TYPE agent_tasks_rate gauge']
  for (let i = 0; i < POINTS; i++) lines.push(`agent_tasks_rate{job="agents"} ${rate(i)} ${START + i * STEP}`)
  lines.push('# EOF', '')
  return lines.join('\n')
}

describe('plan from Prometheus history', () => {
  let prom: PromServer
  beforeAll(async () => {
    prom = await startPrometheus(openMetrics())
  }, 120_000)
  afterAll(() => prom?.stop())

  it('forecasts the rate series and plans weekly phases from it; exits 4 when Prometheus is unreachable', async () => {
    const args = ['plan', '--query', 'agent_tasks_rate{job="agents"}', '--since', '4d', '--until', new Date((END + STEP) * 1000).toISOString(), '--step', '1h', '--horizon', '1w', '--fast']
    const ok = await runCommand([...args, '--prometheus', prom.url, '--json'])
    expect(ok.code).toBe(0)
    const j = JSON.parse(ok.stdout)
    expect(j.plan.spec.forecast.unit).toBe('per-second')
    expect(j.plan.spec.phases[0].trigger).toEqual({date: '2024-01-05'})
    // 5,000 a day in a noise-free periodic history: the forecast repeats it, with no spread to add.
    const tasks = j.plan.status.phases[0].load.tasksPerDay
    expect(tasks).toBeGreaterThanOrEqual(5000)
    expect(tasks).toBeLessThan(5050)
    const down = await runCommand([...args, '--prometheus', `http://127.0.0.1:${await freePort()}`])
    expect(down.code).toBe(4)
    expect(down.stderr).toMatch(/^Error: Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable/)
  }, 120_000)
})
