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
import {parseHeaderFlags} from '../k6/flags.js'
import {runPhaseLoadGate} from '../k6/index.js'
import type {LoadedPlan} from '../plan/load.js'
import {readPhaseWorkloadTasks} from '../plan/workload.js'
import {tryParseDuration} from '../util/duration.js'
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
  const durationS = tryParseDuration(f['load-test-duration'])
  if (durationS === undefined || !(durationS > 0)) throw new InputError({field: '--load-test-duration'}, `not a positive duration (got "${f['load-test-duration']}")`)
  const positive = (name: string, text: string): number => {
    const v = Number(text)
    if (!(Number.isFinite(v) && v > 0)) throw new InputError({field: name}, `must be a positive number (got "${text}")`)
    return v
  }
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
  const peak = positive('--load-test-peak-factor', f['load-test-peak-factor'] ?? '1')
  // The plan's own error budget wins; the flag is the default for plans that set none.
  const errorRateMax = slo.errorRateMax ?? Number(f['load-test-error-rate-max'])
  if (!(errorRateMax >= 0 && errorRateMax <= 1)) throw new InputError({field: '--load-test-error-rate-max'}, `must be a share from 0 to 1 (got "${f['load-test-error-rate-max']}")`)
  const tasks = (f['load-test-tokens'] ?? '1024:256').split(',').map((pair) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(pair)
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InputError({field: '--load-test-tokens'}, `"${pair}" is not INPUT:OUTPUT with positive token counts`)
    return [[Number(m[1]), Number(m[2]), 0] as [number, number, number]]
  })
  const headers = f['load-test-header'] ? parseHeaderFlags(f['load-test-header']) : {}
  // Checked now, before anything in the cluster changes; used once the phase's gates pass.
  const fixedRate = f['load-test-rate'] === undefined ? undefined : positive('--load-test-rate', f['load-test-rate'])
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
