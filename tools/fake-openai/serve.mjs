#!/usr/bin/env node
// Start fleetcap's fake OpenAI-compatible server (test/doubles/fake-openai.ts) on 127.0.0.1, with a
// serving profile from models/ as its latency model. Needs `npm run build` first. Ctrl-C stops it.
//   node tools/fake-openai/serve.mjs --model llama-3.1-8b --gpu A100-80GB [--tp 1] [--replicas 1]
//        [--scale 1.0] [--error-rate 0] [--seed 1] [--port 0] [--served-model fake-model]
import {parseArgs} from 'node:util'

const {values} = parseArgs({
  options: {
    model: {type: 'string', default: 'llama-3.1-8b'},
    gpu: {type: 'string', default: 'A100-80GB'},
    tp: {type: 'string'},
    replicas: {type: 'string', default: '1'},
    scale: {type: 'string', default: '1'},
    'error-rate': {type: 'string', default: '0'},
    seed: {type: 'string', default: '1'},
    port: {type: 'string', default: '0'},
    'served-model': {type: 'string'},
  },
})
const dist = new URL('../../dist/', import.meta.url)
const {resolveServingProfile} = await import(new URL('src/fleet/profiles/catalog.js', dist).href)
// A test double: compiled into dist/test/doubles/, which the package does not ship (package.json "files").
const {startFakeOpenAi} = await import(new URL('test/doubles/fake-openai.js', dist).href)
const profile = resolveServingProfile({model: values.model, gpu: values.gpu, tensorParallel: values.tp === undefined ? undefined : Number(values.tp)})
const server = await startFakeOpenAi({
  profile,
  replicas: Number(values.replicas),
  stepScale: Number(values.scale),
  errorRate: Number(values['error-rate']),
  seed: Number(values.seed),
  port: Number(values.port),
  model: values['served-model'] ?? profile.model,
})
process.stdout.write(`${JSON.stringify({url: server.url, model: server.model, profile: profile.id, replicas: Number(values.replicas), stepScale: Number(values.scale)})}\n`)
const stop = async () => {
  await server.close()
  process.stderr.write(`fake-openai: served ${server.stats.completed} requests (${server.stats.failed} failed on purpose, ${server.stats.rejected} rejected)\n`)
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
