/**
 * The load gate of a rollout: k6 (src/k6) at the phase's planned load, thresholds from the plan's
 * SLO, run by the executor (src/k8s) after the phase's gates pass. Every flag is checked when the
 * gate is built, before anything in the cluster changes.
 */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {InputError} from '../errors.js'
import type {PhaseCheck} from '../k8s/executor.js'
import {findK6} from '../k6/binary.js'
import {parseHeaderFlags, parseTokenMix} from '../k6/flags.js'
import {runPhaseLoadGate} from '../k6/index.js'
import type {LoadedPlan} from '../plan/load.js'
import {readPhaseWorkloadTasks} from '../plan/workload.js'
import type {ApplyToClusterFlags} from './flags.js'

export function loadTestCheck(plan: LoadedPlan, f: ApplyToClusterFlags, note: (line: string) => void): PhaseCheck {
  const planDir = plan.dir
  const slo = plan.document.spec.slo
  if (!f['load-test-url']) throw new InputError({field: '--load-test-url'}, "a load test needs the fleet's endpoint URL")
  const url = f['load-test-url']
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new InputError({field: '--load-test-url'}, `not an http(s) URL (got "${url}")`)
  }
  const k6Binary = findK6({explicit: f.k6})
  const durationS = f['load-test-duration']
  // A plan that records the workload its phases were verified on is replayed as recorded.
  const recorded = plan.document.spec.phases.some((p) => p.workload !== undefined)
  for (const flag of ['load-test-peak-factor', 'load-test-tokens'] as const) {
    if (recorded && f[flag] !== undefined)
      throw new InputError(
        {field: `--${flag}`},
        'the plan records the workload its phases were verified on (calls per task, peak, token mix), and the load test replays it; drop the flag, or pass --load-test-rate for a constant rate',
      )
  }
  // Read (and checked against plan.yaml's SHA-256) now, before anything in the cluster changes.
  const recordedTasks = new Map(plan.document.spec.phases.flatMap((p) => (p.workload ? [[p.name, readPhaseWorkloadTasks(planDir, p.workload)] as const] : [])))
  const peak = f['load-test-peak-factor'] ?? 1
  // The plan's own error budget wins; the flag is the default for plans that set none.
  const errorRateMax = slo.errorRateMax ?? f['load-test-error-rate-max']
  const tasks = parseTokenMix(f['load-test-tokens'] ?? '1024:256', '--load-test-tokens')
  const headers = f['load-test-header'] ? parseHeaderFlags(f['load-test-header']) : {}
  const fixedRate = f['load-test-rate']
  return {
    name: 'load test',
    run: async (phase, signal) => {
      let ratePerS: number
      const verified = fixedRate === undefined ? phase.workload : undefined
      if (verified) ratePerS = verified.tasksPerS
      else if (fixedRate !== undefined) ratePerS = fixedRate
      else if ('tasksPerDay' in phase.trigger) ratePerS = (phase.trigger.tasksPerDay / 86_400) * peak
      else throw new InputError({field: '--load-test-rate'}, `phase ${phase.name} is triggered by a date, not a load: give --load-test-rate`)
      const model = f['load-test-model'] ?? phase.pools[0].model
      // The default folder lives in the plan's own directory, which fleetcap wrote: its load-tests/
      // parent is created here. A --load-test-out path must exist up to its last part.
      if (f['load-test-out'] === undefined) mkdirSync(join(planDir, 'load-tests'), {recursive: true})
      const dir = f['load-test-out'] ?? join(planDir, 'load-tests', phase.name)
      if (verified)
        note(
          `load test: the workload phase ${phase.name} was verified on: ${verified.tasksPerS} tasks/s × ${verified.callsPerTask} calls = ${verified.callsPerS} calls/s, prompts ${verified.meanInputTokens}, outputs ${verified.meanOutputTokens} tokens (mean)`,
        )
      note(`load test: ${ratePerS.toFixed(2)} ${verified ? 'tasks' : 'requests'}/s for ${durationS} s against ${url} (model ${model}); k6 script in ${dir}`)
      const r = await runPhaseLoadGate({
        dir,
        endpoint: {url, model, api: f['load-test-api'], stream: true, headers, requestTimeoutS: 60},
        ratePerS,
        durationS,
        tasks: verified ? recordedTasks.get(phase.name)! : tasks,
        ...(verified ? {verified} : {}),
        slo: {e2eP95S: slo.e2eP95S, e2eP99S: slo.e2eP99S, ttftP95S: slo.ttftP95S, ttftP99S: slo.ttftP99S, tpotP95S: slo.tpotP95S, errorRateMax},
        k6Binary,
        signal,
      })
      return {passed: r.passed, reason: r.reason, record: r.record}
    },
  }
}
