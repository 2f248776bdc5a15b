import {describe, expect, it} from 'vitest'

import {MetricsPipeline} from '../../src/autoscale/metrics-lag.js'

describe('metrics pipeline lag', () => {
  it('a controller sees the latest scrape, not the present', () => {
    const p = new MetricsPipeline() // 15 s scrapes, no delay
    expect(p.nextScrapeAtOrAfter(0)).toBe(0)
    expect(p.nextScrapeAtOrAfter(1)).toBe(15)
    expect(p.nextScrapeAtOrAfter(30)).toBe(30)
    // True value: 100 before t=20, 1000 from t=20 (a step). Samples at 0, 15, 30.
    const truth = (t: number) => (t < 20 ? 100 : 1000)
    for (const t of [0, 15, 30]) p.record('pod-a/queue_depth', t, truth(t))
    expect(p.read('pod-a/queue_depth', 25)).toEqual({value: 100, timestampS: 15, samples: 1})
    expect(p.read('pod-a/queue_depth', 30)).toEqual({value: 1000, timestampS: 30, samples: 1})
    expect(p.read('pod-b/queue_depth', 30)).toBeUndefined() // a new pod has no sample yet
  })

  it('a report delay and an averaging window delay and smooth a step', () => {
    const p = new MetricsPipeline({scrapeIntervalS: 15, reportDelayS: 10, averagingWindowS: 60})
    const seen: number[] = []
    for (let t = 0; t <= 120; t += 15) {
      p.record('q', t, t < 60 ? 100 : 1000)
      seen.push(p.read('q', t + 5)?.value ?? Number.NaN) // read 5 s after each scrape: that scrape is not visible yet
    }
    // Each read sees the scrape before the latest; once the step is visible (read at 80) the 60 s window
    // still averages three samples from before it with one after.
    expect(seen[0]).toBeNaN()
    expect(seen.slice(1)).toEqual([100, 100, 100, 100, (100 * 3 + 1000) / 4, (100 * 2 + 1000 * 2) / 4, (100 + 1000 * 3) / 4, 1000])
  })

  it('keeps bounded memory per series and rejects time going back', () => {
    const p = new MetricsPipeline({scrapeIntervalS: 15})
    for (let t = 0; t < 15 * 10_000; t += 15) p.record('s', t, t)
    expect(p.read('s', 1e9)).toEqual({value: 15 * 9_999, timestampS: 15 * 9_999, samples: 1})
    expect(() => p.record('s', 0, 1)).toThrow(/older than the last one/)
    p.drop('s')
    expect(p.seriesCount).toBe(0)
  })
})
