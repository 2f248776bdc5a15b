import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {RandomStreams} from '../src/engine/random.js'
import {type BackendChoice, initBackend, readM4} from '../src/forecast/index.js'
import {trainGlobal} from '../src/forecast/models/global.js'

/**
 * Training speed of the global network on one TensorFlow.js backend, on a fixed workload: the first
 * 100 M4 hourly series plus 50 seeded synthetic daily+weekly series, horizon 48, input 168, the
 * plain network (no ETS baseline, so only the network is timed) with the forecaster's window
 * normalisation (`mase`, daily lag), a fixed number of steps per member with early stopping off
 * (`--members=K` times an ensemble: K × steps in all). Prints one JSON line: backend used, skipped backends with reasons, steps/s,
 * windows/s, wall and CPU seconds. scripts/gpu-check.sh runs it once per backend.
 *
 *   node dist/bench/forecast-backends.js --backend=wasm [--steps=300] [--hidden-units=256] [--batch-size=1024] [--members=1]
 */
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]

export async function backendSpeed(choice: BackendChoice, opts: {steps: number; hiddenUnits: number; batchSize: number; members: number}): Promise<object> {
  const backend = await initBackend(choice)
  const m4 = await readM4(resolve(process.cwd(), 'data', 'traces', 'm4_hourly_train.csv'), {limit: 100})
  const rng = new RandomStreams(1).stream('gpu-check-synthetic')
  const synthetic = Array.from({length: 50}, (_, k) => ({
    values: Float64Array.from({length: 900}, (_, i) => (k + 1) * (100 + 30 * Math.sin((2 * Math.PI * i) / 24) + 10 * Math.sin((2 * Math.PI * i) / 168) + 3 * rng.normal()) + 1000),
  }))
  const parts = [...m4.map((s) => ({values: s.values})), ...synthetic]
  const c0 = process.cpuUsage()
  const g = await trainGlobal(parts, {horizon: 48, seed: 1, inputSize: 168, seasonalities: [24, 168], members: opts.members, maxSteps: opts.steps, evalEvery: opts.steps, patience: 1, hiddenUnits: opts.hiddenUnits, batchSize: opts.batchSize})
  const cpu = process.cpuUsage(c0)
  const wallS = (g.trainMs ?? 0) / 1000
  return {
    requested: choice,
    used: backend.used,
    tfBackend: backend.tfBackend,
    skipped: backend.attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`),
    series: parts.length,
    steps: opts.steps * opts.members,
    members: opts.members,
    scaling: g.params.scaling,
    batchSize: opts.batchSize,
    hiddenUnits: opts.hiddenUnits,
    wallS: Number(wallS.toFixed(2)),
    cpuS: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    stepsPerS: Number(((opts.steps * opts.members) / wallS).toFixed(2)),
    windowsPerS: Math.round((opts.steps * opts.members * opts.batchSize) / wallS),
    validLoss: g.params.validLoss,
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const choice = (arg('backend') ?? 'auto') as BackendChoice
  try {
    const r = await backendSpeed(choice, {steps: Number(arg('steps') ?? 300), hiddenUnits: Number(arg('hidden-units') ?? 256), batchSize: Number(arg('batch-size') ?? 1024), members: Number(arg('members') ?? 1)})
    process.stdout.write(`${JSON.stringify(r)}\n`)
  } catch (error) {
    process.stdout.write(`${JSON.stringify({requested: choice, error: String((error as Error).message ?? error).split('\n')[0]})}\n`)
    process.exitCode = 3
  }
}
