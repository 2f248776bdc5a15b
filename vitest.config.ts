import {readFileSync} from 'node:fs'
import {relative} from 'node:path'

import {defineConfig} from 'vitest/config'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

/**
 * Longest files first, by the per-file times of a recorded CI run (test/durations.json; refresh it
 * from a CI log with `node scripts/test-durations.mjs LOG`). On a fresh clone vitest has no timings
 * of its own and starts the biggest files by size, so the control-plane files (long, mostly waiting)
 * started last and left one of the two workers idle at the end. Files not listed keep vitest's order,
 * after the listed ones.
 */
class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files)
    const recorded = JSON.parse(readFileSync(new URL('test/durations.json', import.meta.url), 'utf8')) as Record<string, number>
    const ms = (f: TestSpecification): number => recorded[relative(process.cwd(), f.moduleId).split('\\').join('/')] ?? -1
    // Array.prototype.sort is stable: unlisted files (-1) keep vitest's order among themselves.
    return [...ordered].sort((a, b) => ms(b) - ms(a))
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Suites that start real servers (Prometheus, kube-apiserver, k6) own their ports; run files
    // in parallel only up to the machine's two cores.
    maxWorkers: 2,
    // Files whose tests wait on a shared control plane run them concurrently (describe.concurrent,
    // one namespace each): all of a file's tests at once, not vitest's default 5.
    maxConcurrency: 10,
    sequence: {sequencer: LongestFirstSequencer},
    disableConsoleIntercept: true,
  },
})
