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

/**
 * The file whose assertions compare wall-clock timings measured at two moments (a probe and workload
 * A, then workload B) against each other, on a real engine. Beside another file on a two-core
 * machine the other file's load comes and goes between those moments (CI, stop 25: probe and A at
 * load average 2.2, B alone, TTFT predicted ×2.15). It runs after everything else, alone, so both
 * moments see the same idle machine. (calibrate-cli's fits against the fake server have bounds wide
 * enough for a shared machine and passed beside other files in every CI run: it stays in the suite.)
 */
const TIMING_SENSITIVE = ['test/llama/closed-loop.test.ts']

export default defineConfig({
  test: {
    projects: [
      {extends: true, test: {name: 'suite', include: ['test/**/*.test.ts'], exclude: TIMING_SENSITIVE, sequence: {groupOrder: 0}}},
      {extends: true, test: {name: 'timing', include: TIMING_SENSITIVE, maxWorkers: 1, sequence: {groupOrder: 1}}},
    ],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Three files at a time on the two-core CI machine: the control-plane and k6 files mostly wait
    // (a control plane's syncs, k6 stages, drills' restarts: drills 119 s wall for 54 CPU-s, k6-run
    // 64 s for 19, plan-replay 60 s for 16, measured alone), so a third worker fills the cores they
    // leave idle. Each file owns its servers' ports. vitest's own VITEST_MAX_WORKERS (or
    // --maxWorkers) overrides the count.
    maxWorkers: 3,
    // Files whose tests wait on a shared control plane run them concurrently (describe.concurrent,
    // one namespace each): all of a file's tests at once, not vitest's default 5.
    maxConcurrency: 10,
    sequence: {sequencer: LongestFirstSequencer},
    disableConsoleIntercept: true,
  },
})
