/**
 * The floor for the M/M/c comparison: a loop written for this one model — c identical servers, one
 * FIFO, nothing else — built from fleetcap's own parts (the synthetic generator, the engine's event
 * heap, the latency recorder). No routing, priorities, deadlines, per-replica accounting, task or call
 * tables. It is not a simulator anyone should use; it shows how much of fleetcap's time per request is
 * the price of being a general fleet model, and how fast a JavaScript M/M/c can be at all.
 */
import {EventQueue} from '../src/engine/event-queue.js'
import {LatencyRecorder, M_WAIT, R_E2E_SOLO, R_WAIT} from '../src/sim/metrics.js'
import type {Task, TaskStream} from '../src/workload/types.js'

const NORMAL = 2 // the class every generated task has

export async function runMmcFloor(servers: number, tasks: TaskStream): Promise<{tasks: number; events: number; meanWaitS: number}> {
  const heap = new EventQueue(64)
  const latency = new LatencyRecorder()
  // Waiting jobs: arrival time and service time in two growable rings.
  let cap = 1024
  let arrivals = new Float64Array(cap)
  let services = new Float64Array(cap)
  let head = 0
  let size = 0
  let busy = 0
  let done = 0
  let now = 0
  const start = (service: number, issued: number): void => {
    latency.record(R_WAIT, NORMAL, now - issued)
    heap.push(now + service, 0, 0, 0)
    // e2e is known at dispatch for a FIFO server: wait + service.
    latency.record(R_E2E_SOLO, NORMAL, now - issued + service)
  }
  const complete = (): void => {
    now = heap.poppedTime
    done++
    if (size > 0) {
      const i = head
      head = (head + 1) & (cap - 1)
      size--
      start(services[i], arrivals[i])
    } else {
      busy--
    }
  }
  for await (const chunk of tasks) {
    for (const task of chunk as readonly Task[]) {
      while (heap.peekTime() < task.arrivalS) {
        heap.pop()
        complete()
      }
      now = task.arrivalS
      const service = task.serviceTimeS as number
      if (busy < servers) {
        busy++
        start(service, now)
      } else {
        if (size === cap) {
          const a = new Float64Array(cap * 2)
          const s = new Float64Array(cap * 2)
          for (let k = 0; k < size; k++) {
            a[k] = arrivals[(head + k) & (cap - 1)]
            s[k] = services[(head + k) & (cap - 1)]
          }
          arrivals = a
          services = s
          head = 0
          cap *= 2
        }
        const at = (head + size) & (cap - 1)
        arrivals[at] = now
        services[at] = service
        size++
      }
    }
  }
  while (heap.pop()) complete()
  const meanWaitS = latency.mean(M_WAIT)
  latency.dispose()
  return {tasks: done, events: done + heap.scheduledCount, meanWaitS}
}
