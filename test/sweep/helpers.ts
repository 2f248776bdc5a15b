/** Small sweep specs for the tests: an M/M/c base inline, a few short cells. */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const BASE = `base:
  apiVersion: fleetcap.dev/v1
  kind: Scenario
  name: mmc
  duration: 20m
  workload:
    kind: synthetic
    ratePerS: 3
    service: {distribution: exponential, meanS: 1}
  fleet:
    pools:
      - {name: servers, kind: generic, servers: 4, pricePerHourUsd: 2}
  slo: {queueWaitP95S: 2}
`

/** A 3 × 2 grid, 2 seeds per cell. */
export const GRID_SPEC = `apiVersion: fleetcap.dev/v1
kind: Sweep
name: grid-test
${BASE}design: grid
seed: 5
seedsPerCell: 2
factors:
  - {path: fleet.pools.0.servers, name: servers, values: [4, 5, 6]}
  - {path: workload.ratePerS, name: rate, values: [2.5, 3.2]}
metrics: [costUsd, queueWaitP95S, errorRate, sloPass]
`

export function tempDir(prefix = 'fleetcap-sweep-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function writeSpec(dir: string, text: string, name = 'spec.yaml'): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
