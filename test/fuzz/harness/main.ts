/**
 * Long fuzz run: `node dist/test/fuzz/harness/main.js --count N [--seed S] [--jobs J] [--budget-ms MS]
 * [--cli K] [--formats a,b] [--out DIR]` (scripts/fuzz.sh N wraps it). N inputs are split evenly
 * over the formats; each format runs in a worker thread whose input in flight is watched: one that
 * takes longer than the budget is a hang (the worker is ended and restarted past it). Then K inputs
 * per format go through the real CLI, spawned, to check exit codes, one-line errors and that no
 * partial output is left. Prints counts per format; exits 1 when anything crashed or hung.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {Worker} from 'node:worker_threads'

import {fuzzFormats, repoRoot, writeInput, type FuzzFormat} from './formats.js'
import {inputAt} from './generate.js'
import type {WorkerJob} from './worker.js'

interface Counts {
  format: string
  inputs: number
  accepted: number
  refused: number
  crashes: number
  hangs: number
  seconds: number
  cli: {runs: number; ok: number; refused: number; bad: number; seconds: number}
}

const {values: opts} = parseArgs({
  options: {
    count: {type: 'string', default: '8000'},
    seed: {type: 'string', default: '1'},
    jobs: {type: 'string', default: '1'},
    'budget-ms': {type: 'string', default: '20000'},
    cli: {type: 'string', default: '2'},
    formats: {type: 'string'},
    out: {type: 'string', default: join(tmpdir(), `fleetcap-fuzz-${process.pid}`)},
    work: {type: 'string'},
    shares: {type: 'string'},
  },
})
const seed = Number(opts.seed)
const budgetMs = Number(opts['budget-ms'])
const out = opts.out as string
const all = fuzzFormats()
// --formats also sets the order formats start in: the slowest first keeps both lanes busy to the end.
const formats = opts.formats === undefined ? all : (opts.formats as string).split(',').map((name) => all.find((f) => f.name === name) ?? unknownFormat(name))
function unknownFormat(name: string): never {
  throw new Error(`unknown format ${name}; known: ${all.map((f) => f.name).join(', ')}`)
}
// --shares name=W,...: split --count in proportion to the weights (default 1 each), so that formats
// whose loaders cost 5-8× more (scenario, plan) do not hold the whole run to their pace.
const shares = new Map((opts.shares ?? '').split(',').filter(Boolean).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])] as const))
const weight = (f: FuzzFormat): number => shares.get(f.name) ?? 1
const totalWeight = formats.reduce((a, f) => a + weight(f), 0)
const countOf = (f: FuzzFormat): number => Math.ceil((Number(opts.count) * weight(f)) / totalWeight)
const crashDir = join(out, 'crashes')
mkdirSync(crashDir, {recursive: true})
// Inputs are written where the loaders read them, one file per format rewritten each time: on a
// busy disk that write costs more than most loads (1-3 ms against 20-90 us on tmpfs), so the work
// folder is in memory where the machine has one. Crashes are kept under --out.
const work = opts.work ?? (existsSync('/dev/shm') ? join('/dev/shm', `fleetcap-fuzz-${process.pid}`) : join(out, 'work'))
const wallStart = Date.now()
process.stdout.write(`fuzz: ${process.argv.slice(2).join(' ')}; ${formats.map((f) => `${f.name} ${countOf(f)}`).join(', ')} inputs, seed ${seed}, jobs ${opts.jobs}, budget ${budgetMs} ms, work ${work}\n`)

function record(format: FuzzFormat, index: number, kind: string, message: string, stack?: string): void {
  const text = inputAt(format, seed, index)
  const name = `${format.name}-${index}-${kind}`
  writeFileSync(join(crashDir, `${name}.input`), text)
  writeFileSync(join(crashDir, `${name}.txt`), `${kind}: ${message}\n${stack ?? ''}\n`)
  process.stderr.write(`[${format.name}] ${kind} at input ${index}: ${message}\n`)
}

/** Formats started, with the shared state of the worker in flight: for progress lines and an early stop. */
const live: Array<{c: Counts; state?: Int32Array; started: number; done: boolean}> = []

/** Counts so far: finished workers' plus the one in flight. */
function snapshot(l: (typeof live)[number]): Counts {
  const c = {...l.c}
  if (!l.done && l.state !== undefined) {
    c.accepted += Atomics.load(l.state, 1)
    c.refused += Atomics.load(l.state, 2)
    c.crashes += Atomics.load(l.state, 3)
    c.inputs = Atomics.load(l.state, 0)
    c.seconds = (Date.now() - l.started) / 1000
  }
  return c
}

async function runFormat(format: FuzzFormat): Promise<Counts> {
  const c: Counts = {format: format.name, inputs: 0, accepted: 0, refused: 0, crashes: 0, hangs: 0, seconds: 0, cli: {runs: 0, ok: 0, refused: 0, bad: 0, seconds: 0}}
  const started = Date.now()
  const entry: (typeof live)[number] = {c, started, done: false}
  live.push(entry)
  let start = 0
  const perFormat = countOf(format)
  while (start < perFormat) {
    const shared = new SharedArrayBuffer(16)
    const state = new Int32Array(shared)
    Atomics.store(state, 0, start)
    entry.state = state
    const job: WorkerJob = {format: format.name, seed, start, end: perFormat, work: join(work, format.name), shared}
    const worker = new Worker(new URL('./worker.js', import.meta.url), {workerData: job, resourceLimits: {maxOldGenerationSizeMb: 1024}})
    const ended = await new Promise<{next: number}>((resolve) => {
      let last = start
      let since = Date.now()
      let ready = false
      const timer = setInterval(() => {
        const now = Atomics.load(state, 0)
        if (!ready) since = Date.now()
        else if (now !== last) {
          last = now
          since = Date.now()
        } else if (Date.now() - since > budgetMs) {
          clearInterval(timer)
          c.hangs++
          record(format, now, 'hang', `no result within ${budgetMs} ms`)
          void worker.terminate().then(() => resolve({next: now + 1}))
        }
      }, 250)
      worker.on('message', (m: {type: string; index?: number; message?: string; stack?: string}) => {
        if (m.type === 'ready') ready = true
        if (m.type === 'crash') record(format, m.index as number, 'crash', m.message as string, m.stack)
        if (m.type === 'done') {
          clearInterval(timer)
          resolve({next: perFormat})
        }
      })
      worker.on('error', (error) => {
        // Out of memory, or a throw outside the loader: the input in flight is a crash.
        clearInterval(timer)
        const at = Atomics.load(state, 0)
        c.crashes++
        record(format, at, 'crash', `worker died: ${error.message}`, error.stack)
        resolve({next: at + 1})
      })
    })
    c.accepted += Atomics.load(state, 1)
    c.refused += Atomics.load(state, 2)
    c.crashes += Atomics.load(state, 3)
    entry.state = undefined
    start = ended.next
  }
  c.inputs = perFormat
  c.seconds = (Date.now() - started) / 1000
  entry.done = true
  process.stderr.write(`[${format.name}] ${c.inputs} inputs in ${c.seconds.toFixed(0)} s (${(c.inputs / c.seconds).toFixed(0)}/s)\n`)
  return c
}

/** Spawn the real CLI on a few inputs: exit 0/2/3 (4 where a cluster is needed), one-line errors, no partial output. */
function cliSample(format: FuzzFormat, c: Counts, samples: number): void {
  const root = repoRoot()
  const started = Date.now()
  const work = join(out, 'cli', format.name)
  mkdirSync(work, {recursive: true})
  format.prepare?.(work)
  const load = join(work, 'load')
  spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'k6', 'export', '--rate', '1', '--duration', '10s', '--tokens', '100:10', '--url', 'http://127.0.0.1:9', '--model', 'm', '--out', load], {encoding: 'utf8'})
  for (let k = 0; k < samples; k++) {
    const index = Math.floor((k * countOf(format)) / samples)
    const path = writeInput(format, work, inputAt(format, seed, index))
    const outDir = join(work, `out-${k}`)
    const args = format.name === 'scenario' ? [...format.cli(path, work), '--out', outDir] : format.cli(path, work)
    const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {encoding: 'utf8', timeout: budgetMs * 6, env: {...process.env, FLEETCAP_DEBUG: ''}})
    c.cli.runs++
    const code = r.status
    const allowed = format.name === 'plan' ? [0, 2, 4] : [0, 2, 3]
    const problems: string[] = []
    if (code === null) problems.push(`killed (${r.signal}) after ${budgetMs * 6} ms`)
    else if (!allowed.includes(code)) problems.push(`exit ${code}`)
    if (/\n\s+at /.test(r.stderr)) problems.push('a stack trace')
    if (code === 2 && !/^Error: [^\n]+\n(Hint: [^\n]+\n)?$/.test(r.stderr.replace(/^(warning|backend)[^\n]*\n/gm, ''))) problems.push('not one error line')
    const leftovers = readdirSync(work).filter((f) => f.startsWith('.fleetcap-tmp'))
    if (leftovers.length > 0) problems.push(`temp files left: ${leftovers.join(', ')}`)
    if (format.name === 'scenario') {
      const exists = statSync(outDir, {throwIfNoEntry: false}) !== undefined
      if (code === 0 && !(exists && readdirSync(outDir).includes('report.json'))) problems.push('exit 0 without report.json')
      if (code !== 0 && code !== 3 && exists) problems.push('a failed run left its --out directory')
      rmSync(outDir, {recursive: true, force: true})
    }
    if (problems.length > 0) {
      c.cli.bad++
      record(format, index, 'cli', `${args.join(' ')}: ${problems.join('; ')}: ${r.stderr.slice(0, 300)}`)
    } else if (code === 0) c.cli.ok++
    else c.cli.refused++
  }
  c.cli.seconds = (Date.now() - started) / 1000
}

const results: Counts[] = []
// Progress once a minute, and the table so far on an early stop (SIGINT, SIGTERM).
const progress = setInterval(() => {
  const now = live.map(snapshot)
  process.stderr.write(`progress: ${now.map((c) => `${c.format} ${c.inputs}`).join(', ')}; ${now.reduce((a, c) => a + c.inputs, 0)} inputs\n`)
}, 60_000)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stdout.write(`stopped by ${signal}; counts so far:\n`)
    printTable(live.map(snapshot))
    rmSync(work, {recursive: true, force: true})
    process.exit(1)
  })
}
const jobs = Math.max(1, Number(opts.jobs))
const queue = [...formats]
await Promise.all(
  Array.from({length: jobs}, async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) results.push(await runFormat(f))
  }),
)
const cliSamples = Number(opts.cli)
if (cliSamples > 0) for (const f of formats) cliSample(f, results.find((r) => r.format === f.name) as Counts, cliSamples)

clearInterval(progress)
rmSync(work, {recursive: true, force: true})
printTable(results)

function printTable(rows: Counts[]): void {
  rows.sort((a, b) => formats.findIndex((f) => f.name === a.format) - formats.findIndex((f) => f.name === b.format))
  const pad = (v: string | number, n: number): string => String(v).padStart(n)
  const line = (name: string, r: Omit<Counts, 'format'>): string =>
    `${name.padEnd(14)}${pad(r.inputs, 10)}${pad(r.accepted, 10)}${pad(r.refused, 10)}${pad(r.crashes, 9)}${pad(r.hangs, 7)}${pad(r.seconds.toFixed(0), 7)}${pad(r.seconds > 0 ? (r.inputs / r.seconds).toFixed(0) : '-', 8)}${pad(r.cli.runs, 5)}${pad(r.cli.bad, 9)}${pad(r.cli.seconds.toFixed(0), 7)}\n`
  process.stdout.write(`${'format'.padEnd(14)}${pad('inputs', 10)}${pad('accepted', 10)}${pad('refused', 10)}${pad('crashes', 9)}${pad('hangs', 7)}${pad('s', 7)}${pad('in/s', 8)}${pad('cli', 5)}${pad('cli bad', 9)}${pad('cli s', 7)}\n`)
  const total: Omit<Counts, 'format'> = {inputs: 0, accepted: 0, refused: 0, crashes: 0, hangs: 0, seconds: 0, cli: {runs: 0, ok: 0, refused: 0, bad: 0, seconds: 0}}
  for (const r of rows) {
    process.stdout.write(line(r.format, r))
    total.inputs += r.inputs
    total.accepted += r.accepted
    total.refused += r.refused
    total.crashes += r.crashes
    total.hangs += r.hangs
    total.seconds += r.seconds
    total.cli.runs += r.cli.runs
    total.cli.bad += r.cli.bad
    total.cli.seconds += r.cli.seconds
  }
  process.stdout.write(line('total', total))
  const wall = (Date.now() - wallStart) / 1000
  process.stdout.write(`wall ${wall.toFixed(0)} s (${(total.inputs / wall).toFixed(0)} inputs/s); seed ${seed}; crashes and hangs, with their inputs: ${crashDir}\n`)
  process.exitCode = total.crashes + total.hangs + total.cli.bad > 0 ? 1 : 0
}
