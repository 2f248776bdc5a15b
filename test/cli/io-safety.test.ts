/**
 * The first real users' input and output cases (issue 13, items 1, 2, 4, 5), through the real CLI:
 * each exits 0 as meant, or 2 with one line naming the file, line or flag, and never replaces a
 * device, blocks on a FIFO, or leaves a partial file.
 */
import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT, runCli} from '../helpers/cli.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-io-safety-'))
const file = (name: string, text: string): string => {
  const p = join(tmp, name)
  writeFileSync(p, text)
  return p
}
const GEN = ['trace', 'generate', '--rate', '1', '--duration', '5s', '--input-tokens', '10', '--output-tokens', '2']
const oneLineError = (stderr: string): void => {
  expect(stderr).toMatch(/^Error: /)
  expect(stderr).not.toMatch(/\n\s+at /)
  expect(stderr.split('\n').filter((l) => l.startsWith('Error:'))).toHaveLength(1)
}

describe('outputs', () => {
  it('-o - writes the trace to stdout and the summary to stderr; -o /dev/null --force leaves the device alone', () => {
    const r = runCli([...GEN, '-o', '-'])
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')[0]).toMatch(/^arrival_s,input_tokens,output_tokens,/)
    expect(r.stderr).toMatch(/^wrote -: \d+ tasks/)
    const n = runCli([...GEN, '-o', '/dev/null', '--force'])
    expect(n.code).toBe(0)
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true)
    expect(runCli([...GEN, '-o', '-', '--json']).code).toBe(2)
  })

  it('a FIFO output is streamed into, not renamed over', async () => {
    const fifo = join(tmp, 'out.fifo')
    execFileSync('mkfifo', [fifo])
    const reader = spawn('cat', [fifo])
    let got = ''
    reader.stdout.on('data', (d: Buffer) => (got += d.toString()))
    const r = runCli([...GEN, '-o', fifo])
    await new Promise((resolve) => reader.on('exit', resolve))
    expect(r.code).toBe(0)
    expect(got.split('\n')[0]).toMatch(/^arrival_s,/)
    expect(statSync(fifo).isFIFO()).toBe(true)
  })

  it('empty and deep-missing output paths are errors; forecast --out F --save-model BAD writes neither', () => {
    for (const args of [
      [...GEN, '-o', ''],
      [...GEN, '-o', '/nonexistent/a/b'],
      ['simulate', join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), '--out', ''],
      ['simulate', join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), '--out', '/nonexistent/a/b'],
    ]) {
      const r = runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
      oneLineError(r.stderr)
      expect(r.stderr).toMatch(/empty path|the folder \/nonexistent does not exist/)
    }
    const series = file('series.csv', Array.from({length: 96}, (_, i) => `${1_700_000_000 + i * 3600},${10 + (i % 24)}`).join('\n'))
    const out = join(tmp, 'fc.csv')
    const notDir = file('not-a-dir', 'keep')
    const r = runCli(['forecast', 'run', '--series', series, '--model', 'seasonal-naive', '--horizon', '6', '--out', out, '--save-model', notDir])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/not-a-dir: is a file; an output directory is needed here/)
    expect(readdirSync(tmp)).not.toContain('fc.csv')
    const dup = runCli(['forecast', 'run', '--series', series, '--model', 'seasonal-naive', '--horizon', '6', '--quantiles', '0.5,0.9,0.9'])
    expect(dup.code).toBe(2)
    expect(dup.stderr).toMatch(/--quantiles: 0\.9 is given twice/)
  })

  it('rate × duration past the bound is refused at once with the bound and how to split', () => {
    const r = runCli(['trace', 'generate', '--rate', '100', '--duration', '100000d', '--input-tokens', '10', '--output-tokens', '2', '-o', join(tmp, 'huge.csv')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--rate: rate × --duration is about 864,000,000,000 tasks, more than the 100,000,000 rows one trace may hold\nHint: shorten --duration/)
    expect(readdirSync(tmp).filter((f) => f.includes('huge'))).toEqual([])
  })
})

describe('inputs that crashed or hung', () => {
  it('a YAML alias bomb, a FIFO scenario, plan.yaml a directory: one-line errors naming the file', () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 9; i++) bomb.push(`${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9).fill(`*${'abcdefghij'[i - 1]}`).join(',')}]`)
    const bombFile = file('bomb.yaml', `${bomb.join('\n')}\n`)
    const fifo = join(tmp, 'scenario.fifo')
    execFileSync('mkfifo', [fifo])
    const planDir = join(tmp, 'plan-dir')
    mkdirSync(join(planDir, 'plan.yaml'), {recursive: true})
    for (const [args, message] of [
      [['simulate', bombFile], /bomb\.yaml: its YAML aliases expand too much/],
      [['plan', '--spec', bombFile, '--fast'], /bomb\.yaml: its YAML aliases expand too much/],
      [['simulate', fifo], /scenario\.fifo: is a FIFO, not a regular file/],
      [['apply-to-cluster', planDir, '--dry-run'], /plan\.yaml: is a directory, not a file/],
    ] as const) {
      const r = runCli([...args])
      expect(r.code, args.join(' ')).toBe(2)
      oneLineError(r.stderr)
      expect(r.stderr).toMatch(message)
    }
  })

  it('a 50 MB file with no newline is refused at its first line, not read whole', () => {
    const big = join(tmp, 'no-newline.txt')
    writeFileSync(big, Buffer.alloc(50 * 1024 * 1024, 0x78))
    for (const args of [
      ['forecast', 'run', '--series', big],
      ['calibrate', '--k6-json', big, '--profile', 'llama-3.1-70b@H100-SXM:tp4', '--replicas', '1', '--load', tmp],
      ['trace', 'inspect', big],
    ]) {
      const r = runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
      oneLineError(r.stderr)
      expect(r.stderr).toMatch(/no-newline\.txt(:1)?: .*(longer than 1 MiB|Max Record Size)/)
    }
  })
})

describe('honest inputs', () => {
  it('an unknown output column, duplicate headers, extra fields: errors naming file:line and what was found', () => {
    const scenario = (trace: string): string =>
      file(`${trace}.yaml`, readFileSync(join(ROOT, 'scenarios', 'seed-phase1-500-per-day.yaml'), 'utf8').replace(/^workload:\n(?: {2}.*\n|\s*\n)+/m, `workload:\n  kind: trace\n  path: ${trace}.csv\n`))
    file('gen.csv', 'time,input_tokens,generated_tokens\n0,100,20\n1,100,20\n')
    file('dup.csv', 'time,input_tokens,output_tokens,output_tokens\n0,100,20,3\n')
    file('extra.csv', 'time,input_tokens,output_tokens\n0,100,20\n1,100,20,7\n')
    file('service.csv', 'time,input_tokens,output_tokens,service_s\n0,100,20,3\n1,100,20,4\n')
    for (const [name, message] of [
      ['gen', /gen\.csv:1: no output-token column among "time", "input_tokens", "generated_tokens"; accepted: output_tokens, completion_tokens/],
      ['dup', /dup\.csv:1: column "output_tokens": the header names this column twice \(columns 3 and 4\)/],
      ['extra', /extra\.csv:3: 4 fields, but the header has 3/],
      ['service', /service\.csv: task 0: service-time work \(a service_s column, or workload\.service\) needs generic pools/],
    ] as const) {
      const r = runCli(['simulate', scenario(name)])
      expect(r.code, name).toBe(2)
      oneLineError(r.stderr)
      expect(r.stderr).toMatch(message)
    }
  })

  it('an --image with a newline is refused naming the flag', () => {
    const r = runCli(['plan', '--phases', '500', '--fast', '--image', 'vllm/vllm-openai:v1\nrm -rf /'])
    expect(r.code).toBe(2)
    oneLineError(r.stderr)
    expect(r.stderr).toMatch(/image.*not a container image reference/)
  })
})
