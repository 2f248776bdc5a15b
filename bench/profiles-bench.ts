/**
 * Cost of the serving-profile calls the simulator makes in its hot loop.
 *   npx tsc -p tsconfig.json && node dist/bench/profiles-bench.js
 */
import {performance} from 'node:perf_hooks'

import {resolveServingProfile} from '../src/fleet/profiles/index.js'

const profiles = [
  resolveServingProfile({model: 'llama-3.1-8b', gpu: 'h100'}),
  resolveServingProfile({model: 'llama-3.1-70b', gpu: 'a100', tensorParallel: 8}),
]
const N = 5_000_000
for (const p of profiles) {
  let sink = 0
  let t = performance.now()
  for (let i = 0; i < N; i++) sink += p.stepTimeS(i & 511, (i >> 9) & 127, (i & 0xffff) * 8)
  const step = performance.now() - t
  t = performance.now()
  for (let i = 0; i < N; i++) sink += p.decodeRunTimeS(1 + (i & 1023), 1 + ((i >> 10) & 127), (i & 0xffff) * 8)
  const run = performance.now() - t
  process.stdout.write(
    `${p.id}: stepTimeS ${((step * 1e6) / N).toFixed(1)} ns/call, decodeRunTimeS ${((run * 1e6) / N).toFixed(1)} ns/call (${N} calls each; checksum ${sink.toExponential(3)})\n`,
  )
}
