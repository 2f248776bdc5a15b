/**
 * A task's way through the fleet: it arrives, issues its calls one after another (an agent chain
 * waits each call's delayS after the previous one finished), each call is admitted to the central
 * queue, dispatched to a replica (the batcher for LLM replicas, a slot for generic ones) and
 * completes; its latencies go to the histograms, its tokens to the books.
 */
import type {Simulation} from '../engine/simulation.js'
import {InputError} from '../errors.js'
import type {Task} from '../workload/types.js'
import type {CallTable, TaskTable} from './calls.js'
import type {CentralQueue} from './central-queue.js'
import type {FleetCounters} from './counters.js'
import {DROP_TOO_LARGE, EV_CALL_ISSUE, EV_SERVICE_DONE, F_DISPATCHED, F_RUNNING, rankOf} from './events.js'
import type {LlmBatcher} from './llm-batcher.js'
import {type LatencyRecorder, R_E2E_CHAIN_CALL, R_E2E_SOLO, R_TASK_E2E_CHAIN, R_TPOT, R_TTFT, R_WAIT} from './metrics.js'
import type {PoolBooks} from './pool-books.js'
import type {PrefixCache} from './prefix-cache.js'
import type {ReplicaTable} from './replica-table.js'
import type {Router} from './router.js'
import {type FleetModelConfig, ReplicaState} from './types.js'

export class CallFlow {
  private queue!: CentralQueue
  private router!: Router
  private batcher!: LlmBatcher

  constructor(
    private readonly sim: Simulation,
    private readonly isLlm: boolean,
    private readonly replicas: ReplicaTable,
    private readonly calls: CallTable,
    private readonly tasks: TaskTable,
    private readonly counters: FleetCounters,
    private readonly books: PoolBooks,
    private readonly latency: LatencyRecorder,
    private readonly cache: PrefixCache | undefined,
    private readonly onCallComplete: FleetModelConfig['onCallComplete'],
  ) {}

  link(queue: CentralQueue, router: Router, batcher: LlmBatcher): void {
    this.queue = queue
    this.router = router
    this.batcher = batcher
  }

  /** A task arrives now (the driver sets sim.now to its arrival time first). */
  arrive(task: Task): void {
    const counters = this.counters
    counters.tasksArrived++
    counters.sArrivals++
    counters.lastWorkS = this.sim.now
    counters.lastArrivalS = this.sim.now
    const cls = rankOf(task.priority)
    counters.tasksByClass[cls]++
    if (this.isLlm ? task.calls.length === 0 || task.serviceTimeS !== undefined : task.serviceTimeS === undefined) this.refuseTask(task)
    this.issueCall(this.tasks.alloc(task), task, cls)
  }

  /** Task t issues its next call (EV_CALL_ISSUE). */
  issueNext(t: number): void {
    const task = this.tasks.obj[t] as Task
    this.issueCall(t, task, rankOf(task.priority))
  }

  /** A task the fleet cannot serve: say why (off the hot path). */
  private refuseTask(task: Task): never {
    if (task.calls.length === 0 && task.serviceTimeS === undefined) {
      throw new InputError({field: `task ${task.id}`}, 'a task needs at least one call or a serviceTimeS')
    }
    if (!this.isLlm) throw new InputError({field: `task ${task.id}`}, 'a generic pool needs tasks with serviceTimeS')
    if (task.serviceTimeS !== undefined) {
      throw new InputError({field: `task ${task.id}`}, 'service-time work (a service_s column, or workload.service) needs generic pools; an LLM pool serves tokens')
    }
    throw new InputError({field: `task ${task.id}`}, 'an LLM pool needs tasks with at least one call (tokens)')
  }

  /** Issue the task's next call (class cls) to the central queue. */
  private issueCall(t: number, task: Task, cls: number): void {
    const now = this.sim.now
    const C = this.calls
    const k = this.tasks.next[t]++
    const c = C.alloc()
    C.task[c] = t
    C.prio[c] = cls
    C.issueS[c] = now
    // A task's own deadline (from its arrival) bounds when its first call starts; the class deadline
    // bounds how long any call waits in the queue.
    C.deadlineS[c] = k === 0 && task.deadlineS !== undefined ? task.arrivalS + task.deadlineS : now + this.queue.deadlineS[cls]
    if (!this.isLlm) C.serviceS[c] = task.serviceTimeS as number
    else if (!this.takeTokens(c, task, k)) return
    this.queue.submit(c, cls)
  }

  /**
   * An LLM call's prompt and output tokens into slot c (generic calls keep 0: slots are only ever
   * used by one kind of pool). False, and the call dropped, when no replica could ever hold it.
   */
  private takeTokens(c: number, task: Task, k: number): boolean {
    const call = task.calls[k]
    const prompt = Math.max(1, call.inputTokens)
    const output = Math.max(1, call.outputTokens)
    this.calls.prompt[c] = prompt
    this.calls.output[c] = output
    this.calls.shared[c] = call.sharedPrefixTokens ?? 0
    if (prompt + output > this.replicas.maxKvCap) {
      this.queue.dropCall(c, DROP_TOO_LARGE)
      return false
    }
    return true
  }

  /** Send call c to replica r (which can take it now). */
  dispatch(c: number, r: number): void {
    const now = this.sim.now
    const C = this.calls
    C.dispatchS[c] = now
    C.replica[c] = r
    // A call sent again after its replica failed has had its queue wait recorded already.
    if ((C.flags[c] & F_DISPATCHED) === 0) this.latency.record(R_WAIT, C.prio[c], now - C.issueS[c])
    C.flags[c] = F_RUNNING | F_DISPATCHED
    this.router.addOutstanding(r, 1)
    this.replicas.dispSum[r] += now
    this.counters.inFlightCalls++
    if (!this.isLlm) {
      // doneAt tells a stale completion (the call was taken back from a lost replica) from the real one.
      const done = now + C.serviceS[c] * this.replicas.slow[r]
      C.doneAt[c] = done
      this.sim.schedule(done, EV_SERVICE_DONE, r, c)
    } else {
      this.batcher.admit(c, r)
    }
  }

  /** A generic slot finished call c (EV_SERVICE_DONE). */
  serviceDone(r: number, c: number): void {
    if (this.replicas.state[r] === ReplicaState.GONE) return // the replica failed; its calls were handled then
    if (this.calls.replica[c] !== r || this.calls.doneAt[c] !== this.sim.now) return // taken back (a partition) and sent again
    this.books.bookCall(c, r)
    this.router.addOutstanding(r, -1)
    this.completeCall(c, r)
    if (this.queue.size > 0) this.queue.drain()
  }

  /** Call c finished on replica r (its replica's books are done): record it, then the task's next call or its end. */
  completeCall(c: number, r: number): void {
    const now = this.sim.now
    const C = this.calls
    const counters = this.counters
    const cls = C.prio[c]
    const p = this.replicas.pool[r]
    const e2e = now - C.issueS[c]
    counters.callsCompleted++
    counters.inFlightCalls--
    this.books.calls[p]++
    if (this.isLlm) this.completeTokens(c, p, cls, e2e)
    this.router.noteCompletion(c, r)
    const t = C.task[c]
    const context = C.prompt[c] + C.output[c]
    const task = this.tasks.obj[t] as Task
    const next = this.tasks.next[t]
    if (this.onCallComplete) this.onCallComplete(task, next - 1, C.issueS[c], this.isLlm ? C.firstTokenS[c] : C.issueS[c], now)
    C.release(c)
    const chain = task.calls.length > 1
    this.latency.record(chain ? R_E2E_CHAIN_CALL : R_E2E_SOLO, cls, e2e)
    if (next < task.calls.length) {
      // The context stays in the replica's cache (idle, evictable) for the task's next call.
      if (this.replicas.poolCaches[p] === 1 && this.replicas.state[r] === ReplicaState.READY) (this.cache as PrefixCache).put(t, r, context)
      this.sim.schedule(now + task.calls[next].delayS, EV_CALL_ISSUE, t, 0)
      return
    }
    counters.tasksCompleted++
    counters.sCompleted++
    if (chain) this.latency.record(R_TASK_E2E_CHAIN, cls, now - task.arrivalS)
    this.tasks.release(t)
  }

  /** An LLM call's TTFT, TPOT and token counts. */
  private completeTokens(c: number, p: number, cls: number, e2e: number): void {
    const C = this.calls
    const out = C.output[c]
    const ttft = C.firstTokenS[c] - C.issueS[c]
    this.latency.record(R_TTFT, cls, ttft)
    if (out > 1) this.latency.record(R_TPOT, cls, (e2e - ttft) / (out - 1))
    this.books.inTokens[p] += C.prompt[c]
    this.books.outTokens[p] += out
    this.counters.inputTokens += C.prompt[c]
  }
}
