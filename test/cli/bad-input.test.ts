/**
 * Bad input found by an adversarial pass over every command: each case is one clear line naming the
 * file, line or field, exit 2, no stack, and nothing of the user's overwritten or left behind.
 */
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {fileProblem, oneLine} from '../../src/cli/base-command.js'
import {InputError, UnknownNameError} from '../../src/errors.js'
import {resolveServingProfile} from '../../src/fleet/profiles/index.js'
import {RandomStreams} from '../../src/engine/random.js'
import {loadSeriesCsv, readM4} from '../../src/forecast/index.js'
import {rateSeries} from '../../src/forecast/rate.js'
import {measurementFromSummary, readK6JsonOutput} from '../../src/k6/summary.js'
import {parsePlanSpec} from '../../src/planner/spec.js'
import {parseScenario} from '../../src/scenario/load.js'
import {FleetModel} from '../../src/sim/fleet-model.js'
import {runFleetModel} from '../../src/sim/run.js'
import {checkOutputFile, writeFileAtomic, writeOutputDir} from '../../src/util/atomic-write.js'
import {readTrace, WorkloadSpecSchema} from '../../src/workload/index.js'
import {ROOT, runCli} from '../helpers/cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-bad-input-'))
const file = (name: string, text: string | Uint8Array): string => {
  const p = join(tmp, name)
  writeFileSync(p, text)
  return p
}
const dir = (name: string): string => {
  const p = join(tmp, name)
  mkdirSync(p, {recursive: true})
  return p
}
const scenario = readFileSync(join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), 'utf8')
const errorOf = (text: string): string => {
  try {
    parseScenario(text, 'x.yaml')
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as Error).message
  }
  throw new Error('no error')
}

describe('output paths the user owns', () => {
  it('an existing file is refused without --force; a directory given for a file, and a file for a directory, are named', async () => {
    const mine = file('mine.txt', 'keep')
    expect(() => checkOutputFile(mine, false)).toThrow(/mine\.txt: the output file exists/)
    expect(() => checkOutputFile(mine, true)).not.toThrow()
    const folder = dir('folder')
    expect(() => checkOutputFile(folder, true, '--write-profile')).toThrow(/folder: is a directory; give a file name/)
    await expect(writeFileAtomic(folder, 'x')).rejects.toThrow(/folder: is a directory/)
    await expect(writeOutputDir(mine, {'a.txt': 'x'})).rejects.toThrow(/mine\.txt: is a file; an output directory is needed here/)
    expect(readFileSync(mine, 'utf8')).toBe('keep')
    expect(readdirSync(tmp).filter((f) => f.startsWith('.fleetcap-tmp'))).toEqual([])
  })

  it('forecast run --out keeps an existing file and says to pass --force', () => {
    const mine = file('forecast.csv', 'keep')
    const series = file('series.csv', Array.from({length: 96}, (_, i) => `${1_700_000_000 + i * 3600},${10 + (i % 24)}`).join('\n'))
    const r = runCli(['forecast', 'run', '--series', series, '--model', 'seasonal-naive', '--horizon', '6', '--out', mine])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^Error: .*forecast\.csv: the output file exists\nHint: choose another --out, or pass --force/)
    expect(readFileSync(mine, 'utf8')).toBe('keep')
    const forced = runCli(['forecast', 'run', '--series', series, '--model', 'seasonal-naive', '--horizon', '6', '--out', mine, '--force'])
    expect(forced.code).toBe(0)
    expect(readFileSync(mine, 'utf8')).toMatch(/^timestamp,/)
  })

  it('a trace generation stopped by a signal leaves no temporary file behind', async () => {
    const out = dir('stopped')
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'trace', 'generate', '--rate', '1000', '--duration', '1d', '--input-tokens', '100', '--output-tokens', '20', '--out', join(out, 't.csv')])
    // Wait until the temporary file exists, then interrupt.
    for (let i = 0; i < 200 && readdirSync(out).length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(readdirSync(out).some((f) => f.startsWith('.fleetcap-tmp-t.csv'))).toBe(true)
    child.kill('SIGTERM')
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)))
    expect(signal).toBe('SIGTERM')
    expect(readdirSync(out)).toEqual([])
  }, 30_000)
})

describe('input files', () => {
  it('a directory or an unreadable CSV given as a series is one input error, not a crash', async () => {
    await expect(loadSeriesCsv(dir('series-dir'))).rejects.toThrow(/series-dir: is a directory, not a file/)
    await expect(readM4(file('binary.csv', new Uint8Array([0x22, 0x41, 0x22, 0x42, 0x22, 0x00, 0xff, 0x0a])))).rejects.toBeInstanceOf(InputError)
    const r = runCli(['plan', '--series', dir('history-dir')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/history-dir: is a directory, not a file/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a trace with no data rows, or no size column, cannot be simulated', async () => {
    const read = async (path: string, requireSize = true): Promise<void> => {
      for await (const chunk of readTrace(path, {requireSize}).tasks()) void chunk
    }
    await expect(read(file('header.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n'))).rejects.toThrow(/header\.csv: no tasks: the file has no data rows/)
    const sizeless = file('sizeless.csv', 'time,output_tokens\n1,10\n2,20\n')
    await expect(read(sizeless)).rejects.toThrow(/sizeless\.csv:1: no input-token column .* and no service_s column/)
    // Reading arrivals alone (trace inspect, a rate series) needs no size.
    await expect(read(sizeless, false)).resolves.toBeUndefined()
    await expect(read(file('huge.csv', 'time,input_tokens,output_tokens\n1,99999999999999999999999,10\n'))).rejects.toThrow(/huge\.csv:2: column "input_tokens": more than 10,000,000/)
    // A JSON object where a value belongs (Mooncake JSONL) is a bad row, not a model named "[object Object]".
    await expect(read(file('obj.jsonl', '{"timestamp": 0, "input_length": 5, "output_length": 1, "model": {"name": "x"}}\n'), false)).resolves.toBeUndefined()
    const mapped = async (): Promise<void> => {
      for await (const c of readTrace(join(tmp, 'obj.jsonl'), {mapping: {time: 'timestamp', model: 'model'}}).tasks()) void c
    }
    await expect(mapped()).rejects.toThrow(/obj\.jsonl:1: column "model": a value is needed, not an object/)
    // An Azure-style CRLF file with one LF row reads every row.
    let rows = 0
    for await (const chunk of readTrace(file('mixed.csv', 'time,input_tokens,output_tokens\r\n1,10,1\r\n2,20,2\n3,30,3\r\n')).tasks()) rows += chunk.length
    expect(rows).toBe(3)
  })
})

describe('values out of range', () => {
  it('a rate or a replica count far beyond any fleet is refused at once', () => {
    expect(WorkloadSpecSchema.safeParse({kind: 'synthetic', tasksPerDay: 1e300, tokens: {input: 100, output: 10}}).success).toBe(false)
    expect(errorOf(scenario.replace(/replicas: 1\b/, 'replicas: 1000000000000'))).toMatch(/fleet\.pools\.0\.replicas: Too big/)
    for (const args of [
      ['plan', '--phases', '1e300', '--fast'],
      ['k6', 'export', '--rate', '1e300', '--duration', '10s', '--tokens', '100:20', '--url', 'http://127.0.0.1:8000', '--model', 'm', '--out', join(tmp, 'k6')],
      // However the rate comes: a trace sped up 1e300 times is the same typo.
      ['k6', 'export', '--trace', join(ROOT, 'data', 'traces', 'AzureLLMInferenceTrace_conv.csv'), '--speedup', '1e300', '--url', 'http://127.0.0.1:8000', '--model', 'm', '--out', join(tmp, 'k6b')],
    ]) {
      const r = runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^Error: .*(Too big|more than 100,000)/)
    }
  })

  it('a zero duration or interval, and clamps with max below min, are refused with their line', () => {
    expect(errorOf(scenario.replace(/^duration: 1d$/m, 'duration: 0s'))).toMatch(/^x\.yaml:\d+:\d+: duration: must be more than 0 s/)
    expect(errorOf(scenario.replace(/sampleIntervalS: \S+/, 'sampleIntervalS: 0'))).toMatch(/report\.sampleIntervalS: must be more than 0 s/)
    expect(errorOf(scenario.replace(/input: \{dist: lognormal, mean: (\d+), cv: ([\d.]+), min: \d+, max: (\d+)\}/, 'input: {dist: lognormal, mean: $1, cv: $2, min: 9000, max: $3}'))).toMatch(
      /workload\.tokens\.input\.max: max must be at least min/,
    )
  })

  it('a misspelt distribution is blamed on its dist field, not on a fromTrace it never meant', () => {
    expect(errorOf(scenario.replace(/input: \{dist: lognormal,/, 'input: {dist: lognormall,'))).toMatch(/workload\.tokens\.input\.dist: Invalid discriminator value/)
  })
})

describe('names and arguments', () => {
  it('an unknown plan phase is refused before anything is printed or contacted', () => {
    const kc = file('kubeconfig', 'apiVersion: v1\nkind: Config\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: gone, user: u}}]\ncurrent-context: c\n')
    for (const extra of [['--print-rbac'], ['--yes']]) {
      const r = runCli(['apply-to-cluster', join(ROOT, 'test', 'fixtures', 'plans', 'two-phase'), '--kubeconfig', kc, '--phase', 'phase-9', ...extra])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^Error: --phase: unknown phase "phase-9"; known: /)
      expect(r.stdout).toBe('')
    }
  })

  it('a profile named twice, a missing argument, and hints that fit the name', () => {
    const both = runCli(['profiles', 'show', 'h100', '--model', 'llama-3.1-8b', '--gpu', 'a100'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/NAME: give NAME \("h100"\) or --model and --gpu, not both/)
    expect(oneLine('Missing 1 required arg:\nscenario  Scenario YAML file.\nSee more help with --help')).toBe('Missing 1 required arg: scenario: Scenario YAML file.')
    expect(new UnknownNameError('GPU', 'x', ['A100-80GB']).hint).toMatch(/profiles list/)
    expect(new UnknownNameError('phase', 'x', ['phase-1']).hint).toBeUndefined()
    expect(fileProblem(Object.assign(new Error('x'), {code: 'EISDIR', path: '/tmp/d', syscall: 'open'}))).toBe('/tmp/d: is a directory, not a file (open)')
    expect(fileProblem(new Error('plain'))).toBeUndefined()
  })
})

describe('serving profiles', () => {
  it('a tensor-parallel degree that does not divide the attention heads is refused, as vLLM refuses it', () => {
    expect(() => resolveServingProfile({model: 'llama-3.1-70b', gpu: 'A100-80GB', tensorParallel: 3})).toThrow(/llama-3\.1-70b has 64 attention heads: tensor parallelism 3 does not divide them/)
    expect(resolveServingProfile({model: 'llama-3.1-70b', gpu: 'A100-80GB', tensorParallel: 4}).tensorParallel).toBe(4)
  })
})

describe('workload values that cannot be meant', () => {
  const synthetic = (extra: Record<string, unknown>): string => {
    const r = WorkloadSpecSchema.safeParse({kind: 'synthetic', ratePerS: 1, tokens: {input: 100, output: 10}, ...extra})
    return r.success ? 'accepted' : `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`
  }

  it('agent chains with no calls, too many calls, or negative times and tokens', () => {
    expect(synthetic({agent: {callsPerTask: 0}})).toBe('agent.callsPerTask: every draw is below 1: a task needs at least one call')
    expect(synthetic({agent: {callsPerTask: 1e9}})).toBe('agent.callsPerTask: draws above 10,000 calls per task')
    expect(synthetic({agent: {callsPerTask: 3, thinkTimeS: -2}})).toBe('agent.thinkTimeS: every draw is below 0: a time cannot be negative')
    expect(synthetic({agent: {callsPerTask: 3, stepInputTokens: {dist: 'uniform', min: -9, max: -1}}})).toMatch(/^agent\.stepInputTokens: every draw is below 0/)
    expect(synthetic({tokens: {input: -100, output: 10}})).toBe('tokens.input: every draw is below 0: tokens cannot be negative')
    // An unbounded distribution is fine (its draws are clamped), and so is a sensible chain.
    expect(synthetic({agent: {callsPerTask: {dist: 'lognormal', mean: 4, cv: 0.5}, thinkTimeS: 2}})).toBe('accepted')
  })

  it('bursts that switch state millions of times a minute, or never send anything', () => {
    expect(synthetic({bursts: {states: [{rateMultiplier: 1, meanDwellS: 1e-7}]}})).toBe('bursts.states: every meanDwellS must be at least 0.01 s')
    expect(synthetic({bursts: {states: [{rateMultiplier: 0, meanDwellS: 60}, {rateMultiplier: 0, meanDwellS: 60}]}})).toBe('bursts.states: at least one state needs a rateMultiplier above 0')
  })

  it('a misspelt key is named, not reported as the key it meant missing', () => {
    expect(errorOf(scenario.replace('tasksPerDay:', 'taskPerDay:'))).toMatch(/workload: unknown field "taskPerDay"$/)
    // A required key misspelt: the key it stood for is known.
    expect(errorOf(scenario.replace(/replicas: 1\b/, 'replica: 1'))).toMatch(/fleet\.pools\.0: unknown field "replica" \(did you mean "replicas"\?\)/)
  })
})

describe('plan requests', () => {
  const base = 'apiVersion: fleetcap.dev/v1\nkind: PlanRequest\nphases: [{tasksPerDay: 500}]\n'
  const planError = (extra: string): string => {
    try {
      parsePlanSpec(base + extra, 'p.yaml')
    } catch (error) {
      return (error as Error).message
    }
    return 'accepted'
  }

  it('refuses what the planner cannot honour, naming the field', () => {
    expect(planError('workload: {kind: synthetic, ratePerS: 1, service: {distribution: exponential, meanS: 1}}\n')).toMatch(/^p\.yaml:\d+: workload\.service: the planner sizes LLM fleets/)
    expect(planError('routing: {policy: prefix-affinity}\n')).toMatch(/routing\.policy: prefix-affinity routes by cached context: set prefixCache: true/)
    expect(planError('routing: {policy: prefix-affinity}\nprefixCache: true\n')).toBe('accepted')
    expect(planError('manifests: {labels: {"bad key!": "x y z"}}\n')).toMatch(/manifests\.labels/)
    expect(planError('manifests: {labels: {team: ml-platform, app.example.com/tier: gpu}}\n')).toBe('accepted')
    expect(parsePlanSpec.bind(null, 'apiVersion: fleetcap.dev/v1\nphases: [{tasksPerDay: 500, date: 2027-01-01}, {tasksPerDay: 5000, date: 2026-01-01}]\n')).toThrow(/phase dates must increase/)
  })
})

describe('k6 measurements', () => {
  it('refuses negative latencies and broken samples instead of fitting to them', async () => {
    const summary = {metrics: {http_req_duration: {type: 'trend', contains: 'time', values: {avg: 10, med: -3, 'p(90)': 12, 'p(95)': 14, max: 20, min: 1}}}}
    expect(() => measurementFromSummary(summary, 's.json')).toThrow(/s\.json: http_req_duration\.p50: negative latency \(-3 ms\)/)
    const metricLine = JSON.stringify({type: 'Metric', metric: 'http_req_duration', data: {type: 'trend'}})
    const point = (value: unknown): string => JSON.stringify({type: 'Point', metric: 'http_req_duration', data: {time: '2026-01-01T00:00:00Z', value, tags: {kind: 'llm'}}})
    await expect(readK6JsonOutput(file('bad-value.json', [metricLine, point(12), point('fast')].join('\n')))).rejects.toThrow(/bad-value\.json:3: data\.value: not a k6 sample/)
    await expect(readK6JsonOutput(file('negative.json', [metricLine, point(-1e9)].join('\n')))).rejects.toThrow(/negative\.json:2: http_req_duration: negative latency/)
    await expect(readK6JsonOutput(file('array.json', '[1, 2]\n'))).rejects.toThrow(/array\.json:1: not a k6 JSON object/)
  })
})

describe('runs that would never end or never fit in memory', () => {
  it('a trace time past the year 9999, or a replay sped up or slowed down beyond reason', async () => {
    const far = file('far.csv', 'arrival_s,input_tokens,output_tokens\n0,100,20\n1e12,100,20\n')
    await expect(
      (async () => {
        for await (const c of readTrace(far).tasks()) void c
      })(),
    ).rejects.toThrow(/far\.csv:3: column "arrival_s": past the year 9999/)
    const trace = (extra: Record<string, unknown>): boolean => WorkloadSpecSchema.safeParse({kind: 'trace', path: 'x.csv', ...extra}).success
    expect(trace({rateScale: 1e9})).toBe(false)
    expect(trace({rateScale: 1e-300})).toBe(false)
    expect(trace({rateScale: 60})).toBe(true)
    expect(trace({targetTasksPerDay: 1e11})).toBe(false)
  })

  it('a rate series of more than a million steps is refused, naming the trace', async () => {
    const long = file('long.csv', 'arrival_s,input_tokens,output_tokens\n0,100,20\n2000000,100,20\n')
    await expect(rateSeries(readTrace(long).tasks(), {stepS: 1, name: long})).rejects.toThrow(/long\.csv: the trace spans more than 1,000,000 steps of 1 s/)
  })

  it('a simulation whose time series would outgrow memory stops with the field to change', async () => {
    const model = new FleetModel(
      {pools: [{kind: 'generic', name: 's', replicas: 1, slots: 1, gpusPerReplica: 1, pricePerHourUsd: 0}], routing: {policy: 'least-outstanding'}, queue: {}, durationS: Number.POSITIVE_INFINITY, sampleIntervalS: 1},
      new RandomStreams(1).stream('routing'),
    )
    const task = {id: 0, arrivalS: 0, taskType: 'default', priority: 'normal' as const, calls: [], serviceTimeS: 2e6}
    await expect(runFleetModel(model, (async function* () {
      yield [task]
    })())).rejects.toThrow(/report\.sampleIntervalS: .*more than 1,000,000 time-series samples of 1 s/)
  })

  it('a plan phase too large to hold its peak window in memory, and a file in the way of an output folder', () => {
    expect(() => parsePlanSpec('phases: [{tasksPerDay: 2e9}]\n', 'p.yaml')).toThrow(/p\.yaml:1: phases\[0\]\.tasksPerDay: Too big: expected number to be <=10000000/)
    expect(fileProblem(Object.assign(new Error('x'), {code: 'EEXIST', path: '/tmp/f', syscall: 'mkdir'}))).toBe('/tmp/f: a file is in the way of a directory here (mkdir)')
  })
})
