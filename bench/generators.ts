/**
 * Workload generators for the benchmark: Poisson arrivals with an exponential service time
 * (M/M/c) or with token counts (LLM), in chunks, as the workload area's generator delivers them.
 */
import type {Rng} from '../src/engine/random.js'
import type {Task, TaskStream} from '../src/workload/types.js'

export function mmcTasks(rng: Rng, service: Rng, lambda: number, mu: number, count: number, chunk = 8192): TaskStream {
  return {
    async *[Symbol.asyncIterator]() {
      let t = 0
      let id = 0
      const noCalls: Task['calls'] = []
      while (id < count) {
        const n = Math.min(chunk, count - id)
        const out: Task[] = new Array<Task>(n)
        for (let i = 0; i < n; i++) {
          t += rng.exponential(lambda)
          out[i] = {id: id++, arrivalS: t, taskType: 'default', priority: 'normal', calls: noCalls, serviceTimeS: service.exponential(mu)}
        }
        yield out
      }
    },
  }
}

export function llmTasks(rng: Rng, tokens: Rng, lambda: number, count: number, chunk = 8192): TaskStream {
  return {
    async *[Symbol.asyncIterator]() {
      let t = 0
      let id = 0
      while (id < count) {
        const n = Math.min(chunk, count - id)
        const out: Task[] = new Array<Task>(n)
        for (let i = 0; i < n; i++) {
          t += rng.exponential(lambda)
          // Lognormal prompt/output around the Azure conversation trace's medians (1,020 / 129 tokens).
          const input = Math.min(8000, Math.max(16, Math.round(tokens.lognormal(Math.log(1020), 0.8))))
          const output = Math.min(2000, Math.max(1, Math.round(tokens.lognormal(Math.log(129), 0.9))))
          out[i] = {id: id++, arrivalS: t, taskType: 'default', priority: 'normal', calls: [{inputTokens: input, outputTokens: output, delayS: 0}]}
        }
        yield out
      }
    },
  }
}
