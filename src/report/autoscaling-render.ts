/** The autoscaling part of the summary a person reads: per pool, scaling events, failures. */
import type {AutoscalingReport} from '../sim/cluster-runtime.js'
import {humanSeconds} from '../util/duration.js'

const t = (s: number): string => {
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = Math.round(s % 60)
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
}
const dur = (s: number | null): string => (s === null ? 'not recovered' : s < 120 ? `${s.toFixed(0)} s` : humanSeconds(s))

/** Lines for the summary; `maxEvents` scaling events are listed (the rest are in report.json). */
export function renderAutoscalingSummary(a: AutoscalingReport, maxEvents = 20): string[] {
  const out: string[] = ['', 'Autoscaling']
  for (const p of a.pools) {
    const r = p.replicas
    out.push(
      `  ${p.name} (${p.autoscaler}${p.syncPeriodS === null ? '' : `, sync ${p.syncPeriodS} s`}, scrape ${p.metrics.scrapeIntervalS} s, lag ${p.metrics.reportDelayS} s): ` +
        `replicas ${r.initial} → ${r.final}, desired ${r.minDesired}–${r.maxDesired}, peak ready ${r.peakReady}; ` +
        `${p.scaleUps} up, ${p.scaleDowns} down, ${p.flapping} direction changes; nodes ${p.nodes.provisioned} provisioned (peak ${p.nodes.peak}); ` +
        `${p.gpuHours.toFixed(1)} GPU-h billed from provisioning (${p.readyGpuHours.toFixed(1)} ready), $${p.costUsd.toFixed(2)}`,
    )
  }
  if (a.events.length > 0) {
    out.push(`  scaling events (${a.events.length}${a.events.length > maxEvents ? `, first ${maxEvents}` : ''}):`)
    for (const e of a.events.slice(0, maxEvents)) {
      out.push(`    ${t(e.timeS)}  ${e.pool}  ${e.from} → ${e.to}  [${e.autoscaler}${e.limitedBy.length > 0 ? `; limited by ${e.limitedBy.join(', ')}` : ''}]  ${e.reason}`)
    }
  }
  for (const f of a.failures) {
    const i = f.impact
    out.push(
      `  failure ${t(f.timeS)} ${f.kind} ${f.pool}: ${f.targets} hit, ${f.replicasLost} replicas lost, ${f.callsRetried} calls retried, ${f.callsLost} lost; ` +
        `recovered in ${dur(f.timeToRecoverS)}; meanwhile ${i.tasksCompleted} tasks done, ${i.tasksFailed} failed, call e2e p95 ${i.callE2eP95S === null ? '-' : `${i.callE2eP95S.toFixed(2)} s`}${i.ttftP95S === null ? '' : `, TTFT p95 ${i.ttftP95S.toFixed(3)} s`}`,
    )
  }
  if (a.callsRetried + a.callsLost > 0) out.push(`  calls retried after a loss: ${a.callsRetried}; lost: ${a.callsLost}`)
  return out
}
