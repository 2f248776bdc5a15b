/**
 * What a start of the CLI costs: CPU seconds (user + system) and peak memory of `fleetcap --version`
 * and of a 64-request `simulate` (bench/fixtures/simulate-64.yaml), each spawned as a user would run
 * it, median of the runs. Targets (issue 14): --version ≤ 0.25 CPU-s; the small simulate ≤ 0.6 CPU-s
 * and ≤ 120 MiB. Printed with their ratio to the target, never asserted.
 *
 * bin/run.js keeps V8's compiled code between runs (Node's module compile cache). Each case is
 * measured warm (the cache filled by an earlier run: every start after the first) and cold (an
 * empty cache for every run: the first start after an install or upgrade, which also writes the
 * cache). Both use a cache folder of the bench's own (NODE_COMPILE_CACHE), never the user's.
 *
 *   node dist/bench/startup.js [--runs 5]
 *
 * Needs `npm run build` first (dist/ and oclif.manifest.json). CPU and memory come from GNU time
 * (/usr/bin/time); without it, bash's `times` gives the CPU seconds and memory is not reported.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const GNU_TIME = '/usr/bin/time'

/** warm: the compile cache filled by an earlier run; cold: an empty one for every run. */
export type CacheState = 'warm' | 'cold'

export interface StartupRow {
  case: string
  cache: CacheState
  cpuS: number
  maxRssMiB: number | undefined
  targetCpuS: number
  targetMiB: number | undefined
}

interface Sample {
  cpuS: number
  maxRssMiB: number | undefined
}

/** One spawned run of `node bin/run.js ...args` with this compile cache folder: its CPU seconds and peak resident memory. */
function measure(args: string[], compileCache: string): Sample {
  const node = [process.execPath, join(ROOT, 'bin', 'run.js'), ...args]
  const env: NodeJS.ProcessEnv = {...process.env, NODE_COMPILE_CACHE: compileCache}
  delete env.NODE_DISABLE_COMPILE_CACHE
  if (existsSync(GNU_TIME)) {
    const r = spawnSync(GNU_TIME, ['-f', 'fleetcap-bench %U %S %M', ...node], {cwd: ROOT, encoding: 'utf8', env})
    if (r.status !== 0) throw new Error(`fleetcap ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`)
    const m = /fleetcap-bench ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr)
    if (!m) throw new Error(`no figures from ${GNU_TIME}: ${r.stderr.slice(-300)}`)
    return {cpuS: Number(m[1]) + Number(m[2]), maxRssMiB: Number(m[3]) / 1024}
  }
  const quoted = node.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  const r = spawnSync('bash', ['-c', `${quoted} >/dev/null || exit $?; times`], {cwd: ROOT, encoding: 'utf8', env})
  if (r.status !== 0) throw new Error(`fleetcap ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`)
  // `times` prints the shell's own times, then its children's: "0m0.190s 0m0.030s".
  const child = r.stdout.trim().split('\n').at(-1) ?? ''
  const secs = [...child.matchAll(/(\d+)m([\d.]+)s/g)].map((x) => Number(x[1]) * 60 + Number(x[2]))
  return {cpuS: secs[0] + secs[1], maxRssMiB: undefined}
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export function runStartupBench(runs = 5): StartupRow[] {
  if (!existsSync(join(ROOT, 'oclif.manifest.json'))) throw new Error('oclif.manifest.json is missing: run `npm run build` first')
  const out = mkdtempSync(join(tmpdir(), 'fleetcap-startup-'))
  try {
    const cases: [string, string[], number, number | undefined][] = [
      ['fleetcap --version', ['--version'], 0.25, undefined],
      // --out writes index.html too: Vega-Lite's compiler loads and compiles the page's charts.
      ['simulate, 64 req, --out', ['simulate', join(ROOT, 'bench', 'fixtures', 'simulate-64.yaml'), '--out', join(out, 'report')], 0.6, 120],
      // The summary on stdout: the nominal run and the two band-edge runs.
      ['simulate, 64 req, stdout', ['simulate', join(ROOT, 'bench', 'fixtures', 'simulate-64.yaml')], 0.6, 120],
      ['simulate, 64, --band none', ['simulate', join(ROOT, 'bench', 'fixtures', 'simulate-64.yaml'), '--band', 'none'], 0.6, 120],
    ]
    const warmCache = join(out, 'compile-cache-warm')
    const rows: StartupRow[] = []
    for (const cache of ['warm', 'cold'] as const) {
      for (const [name, args, targetCpuS, targetMiB] of cases) {
        if (cache === 'warm') measure(args, warmCache) // fills the cache for this case's modules
        const samples = Array.from({length: runs}, (_, i) => measure(args, cache === 'warm' ? warmCache : join(out, `compile-cache-cold-${name.replace(/\W+/g, '-')}-${i}`)))
        const rss = samples.map((s) => s.maxRssMiB).filter((x): x is number => x !== undefined)
        rows.push({case: name, cache, cpuS: median(samples.map((s) => s.cpuS)), maxRssMiB: rss.length > 0 ? median(rss) : undefined, targetCpuS, targetMiB})
      }
    }
    return rows
  } finally {
    rmSync(out, {recursive: true, force: true})
  }
}

export function renderStartup(rows: StartupRow[], runs: number): string {
  const lines = [`CLI start (median of ${runs} spawned runs; Node ${process.versions.node}; compile cache warm: filled by an earlier run, cold: empty)`, 'case                        cache  CPU s  target  ratio   max RSS MiB  target']
  for (const r of rows) {
    const mib = r.maxRssMiB === undefined ? '   n/a' : r.maxRssMiB.toFixed(0).padStart(6)
    const ratio = (r.cpuS / r.targetCpuS).toFixed(2)
    lines.push(`${r.case.padEnd(26)}  ${r.cache.padEnd(4)} ${r.cpuS.toFixed(3).padStart(6)}  ${r.targetCpuS.toFixed(2).padStart(6)}  ${ratio.padStart(5)}   ${mib.padStart(11)}  ${r.targetMiB === undefined ? '' : String(r.targetMiB).padStart(6)}`)
  }
  return lines.join('\n')
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs')
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 5
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write('startup bench: --runs needs a positive integer\n')
    process.exit(2)
  }
  process.stdout.write(`${renderStartup(runStartupBench(runs), runs)}\n`)
}
