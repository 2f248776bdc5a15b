/**
 * One-line terminal sparklines (▁▂▃▄▅▆▇█) of a series, for the tables simulate and plan print on a
 * terminal. Long series are cut into `width` buckets; each bucket shows its maximum, so a spike is
 * never averaged away.
 */
const BARS = '▁▂▃▄▅▆▇█'

export function sparkline(values: ArrayLike<number>, width = 48): string {
  const n = values.length
  if (n === 0) return ''
  const w = Math.min(width, n)
  const buckets: number[] = []
  for (let b = 0; b < w; b++) {
    let m = Number.NEGATIVE_INFINITY
    const hi = Math.floor(((b + 1) * n) / w)
    for (let i = Math.floor((b * n) / w); i < hi; i++) if (Number.isFinite(values[i]) && values[i] > m) m = values[i]
    buckets.push(m)
  }
  const [lo, top] = extent(buckets)
  if (lo > top) return ' '.repeat(w)
  return buckets.map((v) => (!Number.isFinite(v) ? ' ' : top === lo ? BARS[top > 0 ? 3 : 0] : BARS[Math.min(7, Math.floor(((v - lo) / (top - lo)) * 8))])).join('')
}

const short = (x: number): string => (Math.abs(x) >= 1000 ? `${(x / 1000).toFixed(1)}k` : Number.isInteger(x) ? String(x) : x.toFixed(1))

/** "label  ▁▂▅█▅▂  min–max unit" */
export function sparkLine(label: string, values: ArrayLike<number>, unit: string, width = 48): string {
  const [lo, hi] = extent(values)
  const range = lo > hi ? '' : `  ${short(lo)}–${short(hi)} ${unit}`
  return `${label.padEnd(10)} ${sparkline(values, width)}${range}`
}

/** [min, max] of the finite values ([+∞, −∞] when none). */
function extent(values: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY
  let hi = Number.NEGATIVE_INFINITY
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (!Number.isFinite(v)) continue
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return [lo, hi]
}

/** simulate's lines: arrivals per second and replicas (existing, all pools) over the run. */
export function simulationSparklines(report: {pools: {name: string; replicas: number}[]; autoscaling?: {pools: {name: string}[]}}, ts: {columns: readonly string[]; rows: readonly number[]}): string[] {
  const w = ts.columns.length
  const n = w === 0 ? 0 : Math.floor(ts.rows.length / w)
  if (n === 0) return []
  const at = (name: string): number => ts.columns.indexOf(name)
  const ti = at('time_s')
  const ai = at('arrivals')
  const load = new Float64Array(n)
  const reps = new Float64Array(n)
  const scaled = new Set(report.autoscaling?.pools.map((p) => p.name) ?? [])
  for (let i = 0; i < n; i++) {
    const dt = ts.rows[i * w + ti] - (i > 0 ? ts.rows[(i - 1) * w + ti] : 0)
    load[i] = dt > 0 ? ts.rows[i * w + ai] / dt : Number.NaN
    let r = 0
    for (const p of report.pools) {
      if (!scaled.has(p.name)) r += p.replicas
      else for (const s of ['ready', 'starting', 'draining']) r += ts.rows[i * w + at(`replicas_${s}_${p.name}`)] ?? 0
    }
    reps[i] = r
  }
  return [sparkLine('load', load, 'tasks/s'), sparkLine('replicas', reps, 'replicas')]
}

/** plan's lines for a phase: the HPA day's calls in flight (load) and replicas (all pools). */
export function planSparklines(t: {inFlight: number[]; replicas: Record<string, number[]>}): string[] {
  if (t.inFlight.length === 0) return []
  const reps = t.inFlight.map((_, i) => Object.values(t.replicas).reduce((a, r) => a + r[i], 0))
  return [sparkLine('load', t.inFlight, 'calls in flight'), sparkLine('replicas', reps, 'replicas')]
}
