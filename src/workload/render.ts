/** Human rendering of a trace inspection: a small table and a text sparkline of the rate. */
import {formatDuration} from '../util/duration.js'
import type {TokenStats, TraceInspection} from './inspect.js'

const BARS = '▁▂▃▄▅▆▇█'

/** A sparkline of values, averaged down to at most `width` columns. */
export function sparkline(values: readonly number[], width = 60): string {
  if (values.length === 0) return ''
  const cols = Math.min(width, values.length)
  const per = values.length / cols
  const avg: number[] = []
  for (let c = 0; c < cols; c++) {
    const from = Math.floor(c * per)
    const to = Math.max(from + 1, Math.floor((c + 1) * per))
    let s = 0
    for (let i = from; i < to; i++) s += values[i]
    avg.push(s / (to - from))
  }
  const max = Math.max(...avg)
  if (!(max > 0)) return BARS[0].repeat(cols)
  return avg.map((v) => BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1) + 0.5))]).join('')
}

const num = (v: number, digits = 0): string => v.toLocaleString('en-US', {maximumFractionDigits: digits, minimumFractionDigits: digits})

export function renderInspection(r: TraceInspection): string {
  const lines: string[] = []
  lines.push(`${r.file}`)
  lines.push(`  format        ${r.format} (time: ${r.timeUnit ?? 'none'}; columns: ${Object.entries(r.mapping).map(([k, v]) => `${k}=${v}`).join(', ')})`)
  lines.push(`  rows          ${num(r.rows)}${r.tasks !== r.rows ? ` (${num(r.tasks)} tasks)` : ''}`)
  if (r.rowsSkipped > 0) {
    lines.push(`  skipped       ${num(r.rowsSkipped)}: ${r.skipped.map((s) => `${s.reason} ${num(s.count)} (lines ${s.firstLines.join(', ')}${s.count > s.firstLines.length ? ', …' : ''})`).join('; ')}`)
  }
  if (r.rowsReordered > 0) lines.push(`  reordered     ${num(r.rowsReordered)} rows put back in time order`)
  const when = r.firstTimeIso !== undefined ? ` (${r.firstTimeIso} to ${r.lastTimeIso})` : ''
  lines.push(`  span          ${formatDuration(r.spanS)}${when}`)
  lines.push(`  mean rate     ${num(r.meanRatePerS, 3)} tasks/s = ${num(r.meanTasksPerDay)} tasks/day; peak ${num(r.peakRatePerS, 3)}/s per ${formatDuration(r.bucketS)}`)
  lines.push(`  rate          ${sparkline(r.ratePerBucket)}  (${r.ratePerBucket.length} buckets of ${formatDuration(r.bucketS)})`)
  lines.push('')
  lines.push('                  mean       p50       p90       p99       max')
  const row = (name: string, s: TokenStats) =>
    `  ${name.padEnd(14)}${[num(s.mean, 1), num(s.p50), num(s.p90), num(s.p99), num(s.max)].map((x) => x.padStart(10)).join('')}`
  if (r.mapping.inputTokens !== undefined) lines.push(row('input tokens', r.inputTokens))
  else lines.push('  input tokens  (no column)')
  if (r.mapping.outputTokens !== undefined) lines.push(row('output tokens', r.outputTokens))
  else lines.push('  output tokens (no column)')
  if (r.callsPerTask.max > 1) lines.push(row('calls/task', r.callsPerTask))
  const counts = (name: string, c: Record<string, number>) => {
    const e = Object.entries(c).sort((a, b) => b[1] - a[1])
    if (e.length > 0) lines.push(`  ${name.padEnd(14)}${e.slice(0, 8).map(([k, v]) => `${k} ${num(v)}`).join(', ')}${e.length > 8 ? ', …' : ''}`)
  }
  lines.push('')
  counts('task types', r.taskTypes)
  counts('priorities', r.priorities)
  counts('models', r.models)
  return lines.join('\n')
}
