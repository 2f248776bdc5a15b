import {erlangC} from '../../src/planner/analytic.js'
import type {LlmReplicaModel} from '../../src/sim/types.js'
import type {Priority, Task, TaskStream} from '../../src/workload/types.js'
import type {Rng} from '../../src/engine/random.js'

/** Test-local task generator: Poisson arrivals, a service time or call shape drawn per task. */
export function poissonTasks(options: {
  rng: Rng
  ratePerS: number
  count: number
  serviceTimeS?: () => number
  call?: () => {inputTokens: number; outputTokens: number}
  priority?: () => Priority
  taskType?: () => string
  chunk?: number
}): TaskStream {
  const chunkSize = options.chunk ?? 4096
  return (async function* () {
    let t = 0
    let id = 0
    while (id < options.count) {
      const chunk: Task[] = []
      while (chunk.length < chunkSize && id < options.count) {
        t += options.rng.exponential(options.ratePerS)
        const task: Task = {
          id,
          arrivalS: t,
          taskType: options.taskType?.() ?? 'default',
          priority: options.priority?.() ?? 'normal',
          calls: options.call ? [{...options.call(), delayS: 0}] : [],
        }
        if (options.serviceTimeS) task.serviceTimeS = options.serviceTimeS()
        chunk.push(task)
        id++
      }
      yield chunk
    }
  })()
}

/** A fixed list of tasks as a stream. */
export function listTasks(tasks: Task[]): TaskStream {
  return (async function* () {
    yield tasks
  })()
}

/**
 * Test-local step cost: step = a + b·prefillTokens + d·decodeSeqs + e·contextTokens. Closed-form decode
 * run: Σ_{i<k} (a + d·B + e·(C + i·B)) = k(a + d·B + e·C) + e·B·k(k−1)/2.
 */
export function linearCost(p: {a: number; b: number; d: number; e: number; kv: number; seqs: number; tokens: number}): LlmReplicaModel {
  return {
    kvCacheTokens: p.kv,
    maxBatchSeqs: p.seqs,
    maxBatchTokens: p.tokens,
    stepTimeS: (prefill, seqs, ctx) => p.a + p.b * prefill + p.d * seqs + p.e * ctx,
    decodeRunTimeS: (k, seqs, ctx) => k * (p.a + p.d * seqs + p.e * ctx) + (p.e * seqs * k * (k - 1)) / 2,
  }
}

/** Erlang C: mean wait in queue of M/M/c with arrival rate λ and service rate μ per server. */
export function erlangCWait(lambda: number, mu: number, c: number): number {
  return erlangC(c, lambda / mu) / (c * mu - lambda)
}
