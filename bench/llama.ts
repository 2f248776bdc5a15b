/**
 * `npm run bench -- --only llama`: the closed loop on a real engine. llama.cpp's llama-server on the
 * CPU (scripts/test-deps/llama.sh; the tiny model of scripts/llama/make-model.py), fixed threads and
 * slots, on loopback:
 *
 *   1. probe the server (its own timings, no load) → a CPU llama.cpp profile (src/calibrate/cpu-engine.ts)
 *   2. k6 run workload A (k6 with the stream reader: TTFT and inter-token gaps from the stream), fit
 *      the profile's prefill and decode factors to it (calibrate --engine-profile, replay predictor)
 *   3. predict workloads B (another token mix) and C (mix A at the fitted profile's queueing onset)
 *   4. k6 run B and C, compare per-request figures; sweep the rate for the queueing onset
 *
 *   node dist/bench/llama.js [--quick] [--threads 1] [--slots 4] [--out DIR]
 *
 * Prints predicted vs measured with errors, B and C measured twice (the run-to-run noise), and the
 * machine's load average before and after: the machine may be shared, and the server's threads then
 * compete with everything else on it.
 */
import {mkdirSync, mkdtempSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'

import {compareLoopFigures, type EngineTarget, fitEngineOnWorkload, measureWorkload, predictWorkload, ttftOnsetBracket, ttftOnsetRate, type Workload} from '../src/calibrate/closed-loop.js'
import {cpuEngineLimits, writeCpuEngineProfile} from '../src/calibrate/cpu-engine.js'
import {probeCpuEngine} from '../src/calibrate/cpu-engine-probe.js'
import {findStreamK6} from '../src/k6/binary.js'
import type {CallShape} from '../src/k6/load.js'
import {startLlamaEngine} from '../test/helpers/llama-engine.js'

const args = process.argv.slice(2)
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const quick = args.includes('--quick')
const threads = flag('--threads', 1)
const slots = flag('--slots', 4)
const ctxPerSlot = 2048
const outIdx = args.indexOf('--out')
const out = outIdx >= 0 ? args[outIdx + 1] : mkdtempSync(join(tmpdir(), 'fleetcap-llama-bench-'))
mkdirSync(out, {recursive: true})

/**
 * Mix A: chat-like prompts and answers. Mix B: long prompts with short answers, two to one against a
 * short prompt with a long answer. Two to one, not one to one: B's TTFT is two clusters (prefill of
 * 700-900 tokens, and of 60), and with half the requests in each the median is the edge between
 * them, which one request more or less moves across the gap (2026-12-04, mix B one to one: TTFT p50
 * measured 116 ms, predicted 157 ms, both between the clusters).
 */
const MIX_A: CallShape[][] = [[[200, 48, 0]], [[320, 64, 0]], [[120, 32, 0]], [[260, 80, 0]]]
const MIX_B: CallShape[][] = [[[900, 16, 0]], [[60, 120, 0]], [[700, 24, 0]]]

const pct = (e: number): string => `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)}%`
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')

async function main(): Promise<void> {
  const k6Binary = findStreamK6()
  const loadBefore = load()
  const engine = await startLlamaEngine({threads, parallel: slots, ctxPerSlot})
  try {
    const target: EngineTarget = {url: engine.url, model: engine.model, k6Binary, streamReader: true}
    console.log(`llama-server ${engine.url}: ${threads} thread(s), ${slots} slots, ${ctxPerSlot} context per slot; ${cpus().length} cores, load average ${loadBefore}`)
    const base = await probeCpuEngine({url: engine.url, model: engine.model, threads, cpu: cpus()[0]?.model ?? 'unknown', slots, ctxPerSlot, batchTokens: 2048})
    const c = base.stepCost
    console.log(
      `probe: fixed ${(c.fixedS.value * 1e3).toFixed(3)} ms, prefill ${(c.prefillTokenS.value * 1e6).toFixed(1)} µs/token, decode ${(c.decodeSeqS.value * 1e3).toFixed(3)} ms/slot, context ${(c.contextTokenS.value * 1e9).toFixed(1)} ns/token + ${((c.contextSlotTokenS?.value ?? 0) * 1e9).toFixed(1)} ns/token per extra slot`,
    )
    const limits = cpuEngineLimits(base)

    // Saturation as the probed profile sees it: the predicted onset of mix A over a rate grid.
    const grid: Array<{ratePerS: number; ttftP95Ms: number}> = []
    for (let r = 0.25; r <= 60; r *= 1.15) {
      const f = await predictWorkload({name: 'grid', ratePerS: r, durationS: 60, tasks: MIX_A}, limits, 1)
      grid.push({ratePerS: r, ttftP95Ms: f.ttftP95Ms ?? Infinity})
    }
    const probeOnset = ttftOnsetRate(grid) ?? 10
    const d = quick ? 20 : 60
    const wA: Workload = {name: 'A', ratePerS: round2(0.4 * probeOnset), durationS: d, tasks: MIX_A}
    const wB: Workload = {name: 'B', ratePerS: round2(0.4 * probeOnset), durationS: quick ? 20 : 45, tasks: MIX_B}

    const a = await measureWorkload(wA, target, out)
    const {fit, fitted: fittedProfile} = await fitEngineOnWorkload(a, base)
    console.log(
      `\nworkload A (mix A, ${wA.ratePerS}/s, ${wA.durationS} s): ${a.measurement.requests} requests; fitted ${fit.twoFactor ? `prefill factor ${fit.prefillScale.toFixed(3)}, decode factor ${fit.stepScale.toFixed(3)}` : `step-time factor ${fit.stepScale.toFixed(3)}`} (RMS log error ${fit.rmsLogErrorBefore.toFixed(3)} -> ${fit.rmsLogErrorAfter.toFixed(3)})`,
    )
    printTable(compareLoopFigures(a.figures, fit.predictedAfter))
    const fitted = cpuEngineLimits(fittedProfile)
    await writeCpuEngineProfile(join(out, 'fitted.yaml'), fittedProfile)

    // The queueing onset as the fitted profile predicts it (mix A); C runs at it: near saturation,
    // where a small error in the step cost moves TTFT p95 the most.
    const fittedGrid: Array<{ratePerS: number; ttftP95Ms: number}> = []
    for (let r = 0.25; r <= 60; r *= 1.05) {
      const f = await predictWorkload({name: 'grid', ratePerS: r, durationS: 60, tasks: MIX_A}, fitted, 1)
      fittedGrid.push({ratePerS: r, ttftP95Ms: f.ttftP95Ms ?? Infinity})
    }
    const predictedOnset = ttftOnsetRate(fittedGrid)
    const wC: Workload = {name: 'C', ratePerS: round2(predictedOnset ?? probeOnset), durationS: quick ? 20 : 45, tasks: MIX_A}

    // Each of B and C runs twice, the same arrivals both times: how far the second run lands from
    // the first is the measurement's own noise, the floor under any prediction error.
    for (const w of [wB, wC]) {
      const predicted = await predictWorkload(w, fitted, 1)
      const m = await measureWorkload(w, target, out)
      const again = await measureWorkload({...w, name: `${w.name}-repeat`}, target, out)
      console.log(
        `\nworkload ${w.name} (${w.tasks === MIX_A ? 'mix A' : 'mix B'}, ${w.ratePerS}/s, ${w.durationS} s): ${m.measurement.requests} requests, ${m.measurement.droppedIterations} dropped, error rate ${((m.measurement.errorRate ?? 0) * 100).toFixed(1)}%; repeated: ${again.measurement.requests} requests`,
      )
      printTable(compareLoopFigures(m.figures, predicted), compareLoopFigures(m.figures, again.figures))
    }

    // Queueing onset, measured: mix A at rates around the predicted onset.
    // The lowest rate is the baseline TTFT p95 doubles from: light (30%), yet with enough requests
    // for a p95 (a p95 of 15 requests is their maximum).
    // Steps of 0.1 around the prediction: TTFT p95 jumps from tens of milliseconds to seconds between
    // two neighbouring rates, so interpolation says little and the bracket is the measurement.
    const fractions = quick ? [0.3, 0.7, 1.0, 1.3] : [0.3, 0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5]
    const points: Array<{ratePerS: number; ttftP95Ms: number}> = []
    for (const [i, f] of fractions.entries()) {
      const rate = round2(f * (predictedOnset ?? probeOnset))
      const m = await measureWorkload({name: `onset-${i}`, ratePerS: rate, durationS: (quick ? 15 : 30) * (i === 0 ? 2 : 1), tasks: MIX_A}, target, out)
      points.push({ratePerS: rate, ttftP95Ms: m.figures.ttftP95Ms ?? Infinity})
      console.log(`onset sweep: ${rate}/s -> TTFT p95 ${(m.figures.ttftP95Ms ?? NaN).toFixed(1)} ms (${m.measurement.requests} requests)`)
    }
    const measuredOnset = ttftOnsetRate(points)
    const onsetErr = measuredOnset && predictedOnset ? pct((predictedOnset - measuredOnset) / measuredOnset) : 'n/a'
    const b = ttftOnsetBracket(points)
    let bracket = ''
    if (b && predictedOnset) {
      const errorAt = (rate: number): string => pct((predictedOnset - rate) / rate)
      bracket = `; measured between ${b.below.ratePerS}/s and ${b.above.ratePerS}/s, so the prediction's error is between ${errorAt(b.above.ratePerS)} and ${errorAt(b.below.ratePerS)}`
    }
    console.log(
      `\nqueueing onset (TTFT p95 doubles), mix A: measured ${measuredOnset?.toFixed(2) ?? 'not reached'}/s (interpolated), predicted ${predictedOnset?.toFixed(2) ?? 'not reached'}/s, error ${onsetErr}${bracket}`,
    )
    console.log(`load average before ${loadBefore}, after ${load()}; runs in ${out}`)
  } finally {
    await engine.close()
  }
}

/** Measured, predicted and the error; with a repeat, the repeat's figure and its difference from the first run. */
function printTable(errors: ReturnType<typeof compareLoopFigures>, repeat?: ReturnType<typeof compareLoopFigures>): void {
  console.log(`figure          measured  predicted   error${repeat ? '    repeat  vs first' : ''}`)
  for (const e of errors) {
    const r = repeat?.find((x) => x.figure === e.figure)
    const tail = r ? ` ${r.predicted.toFixed(2).padStart(9)} ${pct(r.error).padStart(9)}` : ''
    console.log(`${e.figure.padEnd(14)} ${e.measured.toFixed(2).padStart(9)} ${e.predicted.toFixed(2).padStart(10)} ${pct(e.error).padStart(7)}${tail}`)
  }
}

function round2(x: number): number {
  return Math.max(0.05, Math.round(x * 100) / 100)
}

await main()
