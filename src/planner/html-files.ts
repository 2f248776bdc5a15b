/** The plan directory's charts: SVGs for PLAN.md (drawn in Node) and index.html (interactive). */
import type {PlanResult} from './plan.js'
import {renderPage} from '../report/html/page.js'
import {planMdCharts, planPage} from './html-page.js'
import {renderSvg} from '../report/html/svg.js'

/** Add charts/<phase>-*.svg, their section in PLAN.md, and index.html to the plan's files. */
export async function withPlanCharts(files: Record<string, string>, result: PlanResult): Promise<Record<string, string>> {
  const out = {...files}
  const charts = planMdCharts(result)
  const md: string[] = ['', '## Charts', '', 'Drawn from the plan above (also interactive, with every candidate\'s reason on hover, in `index.html` beside this file).', '']
  for (const c of charts) {
    out[c.file] = await renderSvg(c.chart)
    md.push(`**${c.chart.title}**`, '', `![${c.chart.title}](${c.file})`, '', c.chart.caption, '')
  }
  if (charts.length > 0 && out['PLAN.md'] !== undefined) out['PLAN.md'] = `${out['PLAN.md'].replace(/\n+$/, '\n')}${md.join('\n')}`
  out['index.html'] = renderPage(planPage(result))
  return out
}
