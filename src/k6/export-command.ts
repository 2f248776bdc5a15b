/**
 * `fleetcap k6 export` behind its flags (src/k6/cli-flags.ts): the load (a trace replay, a constant
 * rate, or a plan phase's verified workload), the thresholds, the script written into --out.
 */
import {dirname} from 'node:path'

import {sloFromFlags} from '../cli/flags.js'
import type {CommandIo} from '../cli/command-io.js'
import {InputError, UnknownNameError} from '../errors.js'
import {LIMITS} from '../limits.js'
import {readPhaseWorkloadTasks} from '../plan/workload.js'
import {LOAD_TEST_SLO_FIELDS, type LoadSlo} from '../slo/schema.js'
import {checkOutputDir} from '../util/atomic-write.js'
import {parseMappingFlag, readTrace} from '../workload/index.js'
import type {K6ExportFlags} from './cli-flags.js'
import {writeK6Export} from './export.js'
import type {K6ExportResult} from './export-result.js'
import {parseHeaderFlags, parseTokenMix} from './flags.js'
import {constantLoad, type LoadProfile, loadFromTasks, peakRatePerS, verifiedLoad} from './load.js'
import {renderK6Script} from './script.js'
import {readPlanPhases, readSloFile} from './slo.js'

export async function runK6Export(f: K6ExportFlags, io: CommandIo): Promise<K6ExportResult> {
  checkOutputDir(f.out)
  if (f.model.trim() === '') throw new InputError({field: '--model'}, 'must name the model the endpoint serves')
  const durationS = f.duration
  let load: LoadProfile | undefined
  let planSlo: LoadSlo = {}
  let rate = f.rate
  if (f.plan !== undefined) {
    const phases = await readPlanPhases(f.plan)
    const phase = phases.find((p) => p.name === f.phase)
    if (!phase) throw new UnknownNameError('phase', f.phase!, phases.map((p) => p.name), {file: f.plan})
    if (!Number.isFinite(phase.tasksPerDay)) throw new InputError({file: f.plan, field: `phase ${phase.name}`}, 'is triggered by a date, not a load: give --rate')
    planSlo = await readSloFile(f.plan)
    if (phase.workload !== undefined) {
      // The plan records the workload the phase was verified on: replay exactly that.
      if (f['peak-factor'] !== undefined) throw new InputError({field: '--peak-factor'}, `phase ${phase.name} records the peak it was verified at (${phase.workload.callsPerS} calls/s); --peak-factor applies only to plans without a recorded workload`)
      if (f.tokens !== undefined || f.trace !== undefined) throw new InputError({field: f.tokens === undefined ? '--trace' : '--tokens'}, `phase ${phase.name} records the token mix it was verified on; drop ${f.tokens === undefined ? '--trace' : '--tokens'} (or use --rate without --plan)`)
      if (durationS === undefined) throw new InputError({field: '--duration'}, "a plan phase's load test needs a test length (--duration)")
      load = verifiedLoad(phase.workload, readPhaseWorkloadTasks(dirname(f.plan), phase.workload), durationS, {plan: f.plan, phase: phase.name})
      rate = undefined
    } else {
      io.note(`${f.plan}: phase ${phase.name} records no verified workload (a plan written before fleetcap recorded one): sending tasks/day ÷ 86,400 × --peak-factor single requests of --tokens/--trace; re-run \`fleetcap plan\` to replay the planned calls per task, peak and token mix`)
      rate = (phase.tasksPerDay / 86_400) * (f['peak-factor'] ?? 1)
    }
  }
  if (load === undefined && rate !== undefined) {
    if (durationS === undefined) throw new InputError({field: '--duration'}, 'a constant rate needs a test length (--duration)')
    const mix = f.tokens !== undefined ? parseTokenMix(f.tokens, '--tokens') : f.trace !== undefined ? (await traceLoad(f, 3600, undefined)).tasks : undefined
    if (mix === undefined) throw new InputError({field: '--tokens'}, 'a constant rate needs a token mix: --trace FILE or --tokens IN:OUT,...')
    load = constantLoad(rate, durationS, mix, {rate, ...(f.trace ? {trace: f.trace} : {}), ...(f.plan ? {plan: f.plan, phase: f.phase!} : {})})
  } else if (load === undefined) {
    if (f.trace === undefined) throw new InputError({field: '--trace'}, 'give a trace to replay (--trace FILE) or a constant --rate')
    if (f.tokens !== undefined) throw new InputError({field: '--tokens'}, "only with --rate: a trace replay sends the trace's tokens")
    load = await traceLoad(f, f.bucket, durationS)
  }
  // However the rate came (--rate, a plan phase, a trace sped up or scaled), a load no fleet could be
  // sent is a typo: k6 would plan ~rate × duration iterations.
  if (peakRatePerS(load) > LIMITS.ratePerS) {
    const field = f.plan !== undefined ? '--plan' : rate !== undefined ? '--rate' : '--speedup/--rate-scale'
    throw new InputError({field}, `a peak of more than ${LIMITS.ratePerS.toLocaleString('en-US')} requests per second (got ${peakRatePerS(load).toPrecision(3)})`)
  }
  // The file's (or the plan's) objectives, with the SLO flags on top.
  const slo: LoadSlo = {...(f['slo-from'] ? await readSloFile(f['slo-from']) : planSlo), ...sloFromFlags(f, LOAD_TEST_SLO_FIELDS)}
  const exp = renderK6Script(load, {
    endpoint: {
      url: f.url,
      model: f.model,
      api: f.api,
      stream: f.stream,
      streamReader: f['stream-reader'],
      headers: f.header ? parseHeaderFlags(f.header) : {},
      requestTimeoutS: f['request-timeout'],
      ignoreEos: f['ignore-eos'],
    },
    slo,
    expectedLatencyS: f['expected-latency'] ?? slo.e2eP99S ?? slo.e2eP95S ?? 10,
    maxVUs: f['max-vus'],
  })
  const files = await writeK6Export(f.out, exp)
  const m = exp.meta
  io.say(`${m.executor}: ${m.stages.length} stage(s), ${m.durationS.toFixed(1)} s, peak ${m.peakRatePerS.toFixed(2)} requests/s, ~${Math.round(m.expectedIterations)} iterations`)
  io.say(`VUs: ${m.preAllocatedVUs} pre-allocated, up to ${m.maxVUs}; thresholds: ${Object.entries(m.thresholds).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ') || 'none'}`)
  io.say(`wrote ${files.script}, ${files.data}, ${files.meta}`)
  io.note(`run it: fleetcap k6 run ${f.out}   (or: cd ${f.out} && k6 run load.js)`)
  return {dir: f.out, ...files, meta: m}
}

async function traceLoad(f: K6ExportFlags, bucketS: number, maxDurationS: number | undefined): Promise<LoadProfile> {
  const reader = readTrace(f.trace!, {format: f.format, mapping: f.map === undefined ? undefined : parseMappingFlag(f.map), skipInvalid: f['skip-invalid']})
  return loadFromTasks(reader.tasks(), {
    bucketS,
    rateScale: f['rate-scale'],
    speedup: f.speedup,
    fromS: f.from ?? 0,
    maxDurationS,
    maxTasks: f['max-tasks'],
    origin: {trace: f.trace!},
  })
}
