// Per-file test times from a vitest log (a CI run's output) into test/durations.json, longest first:
// vitest.config.ts's sequencer starts the longest files first. Usage: node scripts/test-durations.mjs LOG
import {readFileSync, renameSync, writeFileSync} from 'node:fs'

const log = process.argv[2]
if (!log) {
  console.error('usage: node scripts/test-durations.mjs LOG')
  process.exit(2)
}
const times = {}
const colour = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')
for (const line of readFileSync(log, 'utf8').replace(colour, '').split('\n')) {
  const m = /^\s*[✓❯×]\s+(?:[a-z]+\s+)?(test\/\S+\.test\.ts) \(.*\) (\d+)ms$/.exec(line)
  if (m) times[m[1]] = Number(m[2])
}
if (Object.keys(times).length === 0) {
  console.error(`${log}: no per-file times found (a vitest run's output is needed)`)
  process.exit(2)
}
const sorted = Object.fromEntries(Object.entries(times).sort((a, b) => b[1] - a[1]))
writeFileSync('test/durations.json.tmp', `${JSON.stringify(sorted, null, 1)}\n`)
renameSync('test/durations.json.tmp', 'test/durations.json')
console.log(`test/durations.json: ${Object.keys(sorted).length} files`)
