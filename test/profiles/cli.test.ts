import {describe, expect, it} from 'vitest'

import {runCommand} from '../helpers/run-command.js'

/** `fleetcap profiles list|show`, run in-process from the command sources (test/helpers/run-command.ts). */
describe('fleetcap profiles', () => {
  it('list prints GPUs and serving profiles, and --json returns them', async () => {
    const human = await runCommand(['profiles', 'list'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/A100-80GB/)
    expect(human.stdout).toMatch(/llama-3\.1-70b@H100-SXM:tp4/)
    const json = await runCommand(['profiles', 'list', '--gpu', 'a100', '--json'])
    expect(json.code).toBe(0)
    const r = JSON.parse(json.stdout) as {gpus: {name: string}[]; profiles: {id: string; kvCacheTokens: number; decodeStepMsBatch32: number; decodeStepMsBatch1: number}[]}
    expect(r.gpus.map((g) => g.name)).toEqual(['A100-80GB'])
    expect(r.profiles.length).toBeGreaterThan(3)
    for (const p of r.profiles) {
      expect(p.id).toContain('@A100-80GB:')
      expect(p.kvCacheTokens).toBeGreaterThan(0)
      expect(p.decodeStepMsBatch32).toBeGreaterThan(p.decodeStepMsBatch1)
    }
  })

  it('show prints a profile with sources and its calibration error', async () => {
    const r = await runCommand(['profiles', 'show', '--model', 'llama-2-70b', '--gpu', 'h100', '--tp', '8'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/llama-2-70b@H100-SXM:tp8 {2}\[measured\]/)
    expect(r.stdout).toMatch(/band {18}step time x0\.\d+-x1\.\d+/)
    expect(r.stdout).toMatch(/calibration error {5}holdout holdout rows: throughput median \d+(\.\d+)?%/)
    expect(r.stdout).toMatch(/leave-one-GPU-out H100-SXM/)
    expect(r.stdout).toMatch(/Run:ai Model Streamer/)
    const j = await runCommand(['profiles', 'show', 'llama-3.1-8b@A100-80GB:tp1', '--json'])
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toMatchObject({id: 'llama-3.1-8b@A100-80GB:tp1', gpusPerReplica: 1})
    const gpu = await runCommand(['profiles', 'show', 'V100'])
    expect(gpu.code).toBe(0)
    expect(gpu.stdout).toMatch(/hbmBandwidthGBs +900 +NVIDIA V100 data sheet/)
  })

  it('an unknown GPU exits 2 with one line listing the known GPUs, no stack', async () => {
    const r = await runCommand(['profiles', 'show', '--model', 'llama-3.1-8b', '--gpu', 'b300'])
    expect(r.code).toBe(2)
    const lines = r.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/^Error: unknown GPU "b300"; known: V100-32GB, A100-40GB, A100-80GB/)
    expect(lines.length).toBeLessThanOrEqual(2)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect((await runCommand(['profiles', 'list', '--gpu', 'b300'])).code).toBe(2)
  })

  it('--engine and --precision pick the profile; an unknown one exits 2 with one line', async () => {
    const r = await runCommand(['profiles', 'show', '--model', 'llama-3.1-70b', '--gpu', 'h100', '--tp', '4', '--engine', 'tensorrt-llm', '--precision', 'fp8', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({id: 'llama-3.1-70b@H100-SXM:tp4:tensorrt-llm:fp8/fp8', status: 'measured', precision: {weights: 'fp8', kv: 'fp8'}})
    const list = await runCommand(['profiles', 'list', '--engine', 'tensorrt-llm', '--gpu', 'h200', '--json'])
    expect(list.code).toBe(0)
    for (const p of (JSON.parse(list.stdout) as {profiles: {id: string; status: string}[]}).profiles) {
      expect(p.id).toContain(':tensorrt-llm')
      expect(['measured', 'transferred', 'roofline']).toContain(p.status)
    }
    const bad = await runCommand(['profiles', 'show', '--model', 'llama-3.1-8b', '--gpu', 'h100', '--precision', 'q3'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/^Error: precision: unknown weight precision "q3"; known: fp16, fp8, int8, int4, fp4/)
    expect(bad.stderr).not.toMatch(/\n\s+at /)
  })

  it('a model that does not fit exits 2 naming the profile', async () => {
    const r = await runCommand(['profiles', 'show', '--model', 'llama-3.1-70b', '--gpu', 'a100-40gb', '--tp', '1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/does not fit A100-40GB at TP 1/)
  })

  it("--price is a number above 0 (USD per GPU-hour): it scales the profile's price; a bad one exits 2 naming --price", async () => {
    const args = ['profiles', 'show', '--model', 'llama-3.1-70b', '--gpu', 'h100', '--tp', '4', '--json']
    const priced = await runCommand([...args, '--price', '2.5'])
    expect(priced.code).toBe(0)
    expect(JSON.parse(priced.stdout)).toMatchObject({pricePerHourUsd: 10})
    for (const [bad, pattern] of [
      ['0', /^Error: --price: must be more than 0 \(got 0\)$/],
      ['cheap', /^Error: --price: "cheap" is not a number$/],
    ] as const) {
      const r = await runCommand([...args.slice(0, -1), '--price', bad])
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split('\n')[0]).toMatch(pattern)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })
})
