import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ROOT} from '../helpers/cli.js'

/** A real Prometheus on loopback, started by scripts/prometheus/start.sh over backfilled data. */
export interface PromServer {
  url: string
  dir: string
  stop(): void
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as {port: number}).port
      srv.close(() => resolve(port))
    })
  })
}

/** Backfill `openMetrics` (OpenMetrics text) with promtool, then start Prometheus on a free port. */
export async function startPrometheus(openMetrics: string): Promise<PromServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetcap-prom-'))
  const om = join(dir, 'input.om')
  writeFileSync(om, openMetrics)
  const fill = spawnSync('bash', [join(ROOT, 'scripts/prometheus/fill.sh'), dir, om], {encoding: 'utf8'})
  if (fill.status !== 0) throw new Error(`fill.sh failed: ${fill.stderr}`)
  const port = await freePort()
  const start = spawnSync('bash', [join(ROOT, 'scripts/prometheus/start.sh'), dir, String(port)], {encoding: 'utf8'})
  if (start.status !== 0) throw new Error(`start.sh failed: ${start.stderr}`)
  return {
    url: start.stdout.trim(),
    dir,
    stop() {
      spawnSync('bash', [join(ROOT, 'scripts/prometheus/stop.sh'), dir], {encoding: 'utf8'})
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
