import {defineConfig} from 'vitest/config'

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
    disableConsoleIntercept: true,
  },
})
