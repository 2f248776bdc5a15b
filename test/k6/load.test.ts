import {describe, expect, it} from 'vitest'

import {arrivalSchedule} from '../../src/calibrate/predict.js'
import {expectedIterations, loadFromTasks, peakRatePerS, totalDurationS} from '../../src/k6/load.js'
import type {Task, TaskStream} from '../../src/workload/types.js'

/** A local stand-in for the workload reader: tasks at the given arrival times, in chunks of 3. */
function stream(times: number[], calls = (i: number) => [{inputTokens: 10 + i, outputTokens: 5, delayS: 0}]): TaskStream {
  const tasks: Task[] = times.map((t, i) => ({id: i, arrivalS: t, taskType: 'default', priority: 'normal', calls: calls(i)}))
  return (async function* () {
    for (let i = 0; i < tasks.length; i += 3) yield tasks.slice(i, i + 3)
  })()
}

describe('load from a task stream', () => {
  // 1000 s epoch offset: buckets count from the first arrival.
  const times = [1000, 1000.5, 1001, 1002, 1003.5, 1004, 1004.2, 1004.4, 1004.6, 1004.8, 1006]

  it('counts arrivals per bucket into stages of the rate', async () => {
    const load = await loadFromTasks(stream(times), {bucketS: 2})
    // buckets [0,2): 3, [2,4): 2, [4,6): 5, [6,8): 1
    expect(load.stages.slice(0, 3)).toEqual([
      {durationS: 2, ratePerS: 1.5},
      {durationS: 2, ratePerS: 1},
      {durationS: 2, ratePerS: 2.5},
    ])
    expect(load.stages[3].durationS).toBe(2)
    expect(load.tasks.length).toBe(11)
    expect(load.tasks[4]).toEqual([[14, 5, 0]])
    expect(expectedIterations(load)).toBeCloseTo(11, 9)
  })

  it('speeds up, scales the rate and caps the duration', async () => {
    const load = await loadFromTasks(stream(times), {bucketS: 2, speedup: 2, rateScale: 0.5, maxDurationS: 2})
    // 2 test seconds = 4 trace seconds: two buckets of 1 test second at (count/2)·2·0.5.
    expect(load.stages).toEqual([
      {durationS: 1, ratePerS: 1.5},
      {durationS: 1, ratePerS: 1},
    ])
    expect(totalDurationS(load)).toBe(2)
    expect(peakRatePerS(load)).toBe(1.5)
    expect(load.tasks.length).toBe(5)
  })

  it('keeps a short last bucket\'s arrivals over its real length', async () => {
    const load = await loadFromTasks(stream([0, 1, 2, 3, 10, 10.5]), {bucketS: 10})
    expect(load.stages[0]).toEqual({durationS: 10, ratePerS: 0.4})
    expect(load.stages[1].durationS).toBe(10)
    expect(load.stages[1].ratePerS * load.stages[1].durationS).toBeCloseTo(2, 9)
  })

  it('skips the first seconds with fromS and rejects an empty window or a bad scale', async () => {
    const load = await loadFromTasks(stream(times), {bucketS: 10, fromS: 4})
    expect(load.tasks.length).toBe(6)
    await expect(loadFromTasks(stream(times), {bucketS: 1, fromS: 100})).rejects.toThrow(/no tasks/)
    await expect(loadFromTasks(stream(times), {bucketS: 1, rateScale: -1})).rejects.toThrow(/rate scale must be a positive number/)
  })

  it('schedules arrivals the way k6 arrival-rate executors do: evenly, the integral of the rate', () => {
    const sched = arrivalSchedule({executor: 'ramping-arrival-rate', stages: [{durationS: 2, ratePerS: 2}, {durationS: 1, ratePerS: 0}, {durationS: 2, ratePerS: 1.5}], tasks: [[[1, 1, 0]]], origin: {}})
    expect(sched).toEqual([0, 0.5, 1, 1.5, 3, 3 + 1 / 1.5, 3 + 2 / 1.5])
    // constant-arrival-rate starts one more, at the end, as k6 does.
    expect(arrivalSchedule({executor: 'constant-arrival-rate', stages: [{durationS: 2, ratePerS: 2}], tasks: [[[1, 1, 0]]], origin: {}})).toEqual([0, 0.5, 1, 1.5, 2])
  })
})
