#!/usr/bin/env node
// Probe a running llama-server (idle) and write a CPU llama.cpp profile (CpuEngineProfile YAML):
// step-cost coefficients (prefill from the server's timings, decode from streamed token gaps),
// limits as you started it.
//   node tools/llama/probe.mjs --url http://127.0.0.1:8080 --model tiny-llama --threads 1 --slots 4 \
//     --ctx-per-slot 2048 [--batch-tokens 2048] [--repeats 5] --out probe.yaml
// Needs `npm run build` (it runs dist/). Then: fleetcap calibrate --engine-profile probe.yaml ...
import {cpus} from 'node:os'
import {parseArgs} from 'node:util'

import {writeCpuEngineProfile} from '../../dist/src/calibrate/cpu-engine.js'
import {probeCpuEngine} from '../../dist/src/calibrate/cpu-engine-probe.js'

const {values: v} = parseArgs({
  options: {
    url: {type: 'string'},
    model: {type: 'string', default: 'tiny-llama'},
    threads: {type: 'string'},
    slots: {type: 'string'},
    'ctx-per-slot': {type: 'string'},
    'batch-tokens': {type: 'string', default: '2048'},
    repeats: {type: 'string', default: '5'},
    out: {type: 'string'},
  },
})
for (const k of ['url', 'threads', 'slots', 'ctx-per-slot', 'out']) {
  if (v[k] === undefined) {
    console.error(`probe.mjs: --${k} is required`)
    process.exit(2)
  }
}
const profile = await probeCpuEngine({
  url: v.url,
  model: v.model,
  threads: Number(v.threads),
  cpu: cpus()[0]?.model ?? 'unknown',
  slots: Number(v.slots),
  ctxPerSlot: Number(v['ctx-per-slot']),
  batchTokens: Number(v['batch-tokens']),
  repeats: Number(v.repeats),
})
await writeCpuEngineProfile(v.out, profile)
for (const [k, c] of Object.entries(profile.stepCost)) console.log(`${k} ${c.value.toExponential(3)}  (${c.source})`)
console.log(`wrote ${v.out}`)
